"""Is this station well? The checks behind `station status` and GET /healthz."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
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
    health.checks.append(_backlog(store, config, now))
    health.checks.append(_disk(store, config))
    return health


def _database(store: Store, now: datetime) -> Check:
    # A real write: a read-only mount, a full disk or a broken card only shows on write.
    try:
        store.set_appliance_state("health_probe", "ok", now.isoformat(timespec="seconds"))
    except StoreError as exc:
        return Check(
            "database",
            False,
            f"cannot write: {exc}. Scans are not being recorded; "
            "free disk space or check the SD card",
        )
    return Check("database", True, f"writable ({store.path})")


def _devices(store: Store, config: Config) -> list[Check]:
    configured = [("scanner", s.name) for s in config.scanners]
    configured += [("scale", s.name) for s in config.scales]
    if not configured:
        return [Check("devices", True, "none configured")]
    states = {(s.kind, s.name): s for s in store.device_states()}
    checks = []
    for kind, name in configured:
        state = states.get((kind, name))
        if state is None:
            checks.append(
                Check(
                    f"{kind} {name}",
                    False,
                    "never seen: is the scanner service running? (journalctl -u station-scanner)",
                )
            )
        elif not state.connected:
            why = f": {state.error}" if state.error else ""
            checks.append(
                Check(
                    f"{kind} {name}",
                    False,
                    f"disconnected since {state.since}{why}; check the cable",
                )
            )
        else:
            checks.append(Check(f"{kind} {name}", True, f"connected since {state.since}"))
    return checks


def _backlog(store: Store, config: Config, now: datetime) -> Check:
    count, oldest = store.unsent_backlog()
    if not count or oldest is None:
        return Check("sync backlog", True, "nothing waiting", 0.0)
    age = now - datetime.fromisoformat(oldest)
    limit = timedelta(hours=config.appliance.max_backlog_age_h)
    detail = f"{count} scan(s) waiting, oldest {_human(age)} old"
    if age > limit:
        return Check(
            "sync backlog",
            False,
            f"{detail} (limit {config.appliance.max_backlog_age_h:g} h): check the "
            "network and `station sync status`",
            age.total_seconds(),
        )
    return Check("sync backlog", True, detail, age.total_seconds())


def _disk(store: Store, config: Config) -> Check:
    free = free_mb(store.path.parent)
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
