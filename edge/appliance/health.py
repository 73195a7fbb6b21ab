"""Is this station well? The checks behind `station status` and GET /healthz."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from edge.appliance.disk import free_mb
from edge.config import Config
from edge.store import Store, StoreError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    value: float | None = None


@dataclass
class Health:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def problems(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [asdict(c) for c in self.checks]}

    def text(self) -> str:
        width = max((len(c.name) for c in self.checks), default=0)
        lines = [
            f"{'ok  ' if c.ok else 'FAIL'}  {c.name:<{width}}  {c.detail}" for c in self.checks
        ]
        lines.append("all well" if self.ok else f"{len(self.problems())} problem(s)")
        return "\n".join(lines)


def check(store: Store, config: Config, now: datetime | None = None) -> Health:
    """Run every check; none raises, each says what is wrong and what to do."""
    now = now or datetime.now(config.tz)
    health = Health()
    health.checks.append(_database(store, now))
    health.checks.extend(_devices(store, config))
    health.checks.append(_sync(store, config, now))
    health.checks.append(_disk(store.path.parent, config))
    return health


def check_at(db_path: Path, config: Config, now: datetime | None = None) -> Health:
    """``check`` on the database at ``db_path``; one that cannot be opened (missing,
    outdated, unreadable, disk full) is a failing check naming the file, never an error."""
    try:
        store = Store(db_path)
    except StoreError as exc:
        return Health([_store_failed(exc), _disk(db_path.parent, config)])
    try:
        store.check_schema()
        return check(store, config, now)
    except StoreError as exc:
        return Health([_store_failed(exc), _disk(db_path.parent, config)])
    finally:
        store.close()


def _store_failed(exc: StoreError) -> Check:
    log.error("database: %s", exc)
    return Check("database", False, f"{exc.en} / {exc.zh} ({exc})")


def _database(store: Store, now: datetime) -> Check:
    # A real write: a read-only mount, a full disk or a broken card only shows on write.
    try:
        store.health_probe(now.isoformat(timespec="seconds"))
    except StoreError as exc:
        return _store_failed(exc)
    return Check("database", True, f"writable ({store.path})")


def _devices(store: Store, config: Config) -> list[Check]:
    configured = [("gun", s.name) for s in config.scanners]
    configured += [("scale", s.name) for s in config.scales]
    if not configured:
        return [Check("devices", True, "none configured")]
    states = {row["name"]: row for row in store.devices()}
    checks = []
    for kind, name in configured:
        row = states.get(name)
        label = f"{kind} {name}"
        if row is None:
            checks.append(
                Check(
                    label,
                    False,
                    "never seen: is the scanner service running? (journalctl -u station-scanner)",
                    0.0,
                )
            )
        elif row["state"] != "connected":
            why = f" ({row['detail']})" if row["detail"] else ""
            checks.append(
                Check(
                    label,
                    False,
                    f"{row['state']} since {row['since']}{why}: "
                    "check the cable and `station devices`",
                    0.0,
                )
            )
        else:
            checks.append(Check(label, True, f"connected since {row['since']}", 1.0))
    return checks


def _sync(store: Store, config: Config, now: datetime) -> Check:
    status = store.sync_status(now)
    count, age = status["backlog"], status["oldest_unsent_age_s"]
    detail = f"{count} scan(s) waiting"
    if age is not None:
        detail += f", oldest {_human(timedelta(seconds=age))} old"
    if not config.head_office.url:
        return Check("sync", True, f"off (no [head_office].url); {detail}", age)
    if status["blocked_reason"]:
        return Check("sync", False, f"stopped: {status['blocked_reason']}; {detail}", age)
    limit_h = config.appliance.max_backlog_age_h
    if age is not None and age > limit_h * 3600:
        last = f"; last error: {status['last_error']}" if status["last_error"] else ""
        return Check(
            "sync",
            False,
            f"{detail} (limit {limit_h:g} h){last}: check the network and `station sync status`",
            age,
        )
    if status["rejected"]:
        # Head office will never take these as they are: someone has to look.
        return Check(
            "sync",
            False,
            f"{status['rejected']} scan(s) rejected by head office; {detail}: "
            "see `station sync status`, correct and `station sync retry`",
            age,
        )
    return Check("sync", True, detail, age)


def _disk(folder: Path, config: Config) -> Check:
    free = free_mb(folder)
    warn = config.appliance.warn_free_mb
    if free < warn:
        return Check(
            "disk",
            False,
            f"{free:.0f} MB free (below {warn} MB; photos stop below "
            f"{config.appliance.min_free_mb} MB): delete old files or use a bigger card",
            free,
        )
    return Check("disk", True, f"{free:.0f} MB free", free)


def _human(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"
