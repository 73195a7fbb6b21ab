"""Helpers for the sync tests: a real receiver on 127.0.0.1, a station config pointing at
it, a token file, bulk scans, and the count report of the fault tests."""

from __future__ import annotations

import random
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from edge import config as config_mod
from edge.config import Config
from edge.station import Outcome, ScanRequest, Station
from edge.store import Store
from sync.receiver.app import hash_token, new_token
from sync.receiver.server import Running, start
from sync.uploader import Uploader
from tests.conftest import ManualClock

STATION = "SZ-NS-0042"
TZ = "Asia/Shanghai"


@dataclass
class Receiver:
    running: Running
    token: str
    data_dir: Path

    @property
    def url(self) -> str:
        return self.running.url

    def query_token(self) -> str:
        token = new_token()
        self.running.storage.add_token("auditor", hash_token(token), "query")
        return token

    def db(self) -> sqlite3.Connection:
        conn = sqlite3.connect(str(self.data_dir / "head-office.db"))
        conn.row_factory = sqlite3.Row
        return conn


@pytest.fixture(name="receiver")
def receiver_fixture(tmp_path: Path) -> Iterator[Receiver]:
    data = tmp_path / "head-office"
    running = start(data)
    token = new_token()
    running.storage.add_token(STATION, hash_token(token), "station")
    yield Receiver(running, token, data)
    running.close()


def write_token(path: Path, token: str, mode: int = 0o600) -> Path:
    path.write_text(token + "\n", encoding="utf-8")
    path.chmod(mode)
    return path


def station_config(url: str, token_file: Path, **head_office: Any) -> Config:
    """A station config for sync tests: fast retries, short timeouts, no clock hold."""
    settings = {
        "url": url,
        "token_file": str(token_file),
        "connect_timeout_s": 2.0,
        "read_timeout_s": 2.0,
        "backoff_initial_s": 0.01,
        "backoff_max_s": 0.05,
        "poll_s": 0.05,
        "hold_unsynced_s": 0.0,
        "manifest_interval_s": 0.0,
        **head_office,
    }
    lines = [f'[station]\ncode = "{STATION}"\ntimezone = "{TZ}"\n', "[head_office]"]
    for key, value in settings.items():
        lines.append(f"{key} = {config_mod._toml_value(value)}")
    lines.append('\n[[shelves]]\nid = "1"\nlayers = 10\ncapacity = 100000\n')
    lines.append('[[sorting]]\nshelves = ["1"]\n')
    return config_mod.parse("\n".join(lines), "sync-test.toml")


def config_text(config: Config) -> str:
    return config_mod.commented_template(config)


def make_uploader(
    store: Store, config: Config, data_dir: Path, clock: ManualClock | None = None
) -> Uploader:
    return Uploader(
        store=store,
        settings=config.head_office,
        station=config.station.code,
        tz=config.tz,
        clock=clock or ManualClock(),
        data_dir=data_dir,
        sleep=lambda s: None,
        rng=random.Random(7),
    )


def bulk_scans(
    store: Store,
    count: int,
    *,
    clock: ManualClock | None = None,
    bad_every: int = 0,
    prefix: str = "",
) -> list[tuple[int, str]]:
    """Record ``count`` plain scans in one transaction (fast; for volume tests).

    Every ``bad_every``-th scan gets a waybill head office must refuse (too long).
    """
    clock = clock or ManualClock()
    kinds = ("receive", "stocktake", "problem", "dispatch")
    made = []
    with store.transaction():
        for i in range(count):
            now = clock.now(clock.wall.tzinfo)  # type: ignore[arg-type]
            kind = kinds[i % len(kinds)]
            waybill = f"SF{prefix}{i:011d}"
            if bad_every and i % bad_every == bad_every - 1:
                waybill = "X" * 41
            made.append(
                store.insert_scan(
                    {
                        "event_id": str(uuid.uuid4()),
                        "type": kind,
                        "waybill": waybill,
                        "carrier": "sf",
                        "scanned_at": now.iso,
                        "boot_id": now.boot_id,
                        "mono_ns": now.mono_ns,
                        "clock_synced": int(now.synced),
                        "device": "gun-1",
                        "operator": "op-7",
                        "weight_g": 1200 + i % 500,
                        "dispatch_reason": "delivery" if kind == "dispatch" else None,
                        "problem_code": "damaged" if kind == "problem" else None,
                    }
                )
            )
            clock.advance(0.5)
    return made


def count_report(store: Store, receiver: Receiver, station: str = STATION) -> dict[str, int]:
    """expected / accepted / duplicate / rejected / missing / misordered / held twice."""
    local = {
        r["event_id"]: (r["seq"], r["state"])
        for r in store.all(
            "SELECT s.event_id, s.seq, y.state FROM scans s JOIN scan_sync y ON y.seq = s.seq"
        )
    }
    with receiver.db() as conn:
        rows = conn.execute(
            "SELECT event_id, seq FROM scans WHERE station = ? ORDER BY id", (station,)
        ).fetchall()
    held = [r["event_id"] for r in rows]
    rejected = {e for e, (_, state) in local.items() if state == "rejected"}
    expected = set(local) - rejected
    misordered, highest = 0, 0
    for r in rows:
        if r["seq"] < highest:
            misordered += 1
        highest = max(highest, r["seq"])
    return {
        "expected": len(expected),
        "accepted": len(set(held) & expected),
        "rejected": len(rejected),
        "missing": len(expected - set(held)),
        "unexpected": len(set(held) - set(local)),
        "misordered": misordered,
        "held_twice": len(held) - len(set(held)),
        "pending": sum(1 for _, state in local.values() if state == "pending"),
    }


@dataclass
class Env:
    """A station (real Store and Station, manual clock) and a receiver it syncs to."""

    tmp: Path
    receiver: Receiver
    clock: ManualClock
    store: Store
    token_file: Path

    def config(self, url: str | None = None, **head_office: Any) -> Config:
        return station_config(url or self.receiver.url, self.token_file, **head_office)

    def uploader(self, url: str | None = None, **head_office: Any) -> Uploader:
        return make_uploader(self.store, self.config(url, **head_office), self.tmp, self.clock)

    def station(self) -> Station:
        return Station(self.store, self.config(), self.clock)

    def scan(self, kind: str, waybill: str, **fields: Any) -> Outcome:
        out = self.station().scan(ScanRequest(kind, waybill, "gun-1", operator="op-1", **fields))
        assert out.status == "accepted", out
        self.clock.advance(1)
        return out

    def states(self) -> dict[str, str]:
        return {
            r["event_id"]: r["state"]
            for r in self.store.all(
                "SELECT s.event_id, y.state FROM scans s JOIN scan_sync y ON y.seq = s.seq"
            )
        }

    def held(self) -> dict[str, sqlite3.Row]:
        with self.receiver.db() as conn:
            return {r["event_id"]: r for r in conn.execute("SELECT * FROM scans ORDER BY id")}


@pytest.fixture(name="env")
def env_fixture(tmp_path: Path, receiver: Receiver) -> Iterator[Env]:
    store = Store(tmp_path / "station.db")
    token_file = write_token(tmp_path / "head-office.token", receiver.token)
    yield Env(tmp_path, receiver, ManualClock(), store, token_file)
    store.close()
