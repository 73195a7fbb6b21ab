"""A full disk never makes the scanner pretend, and photos give way before scans do."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge import config as config_mod
from edge.appliance import disk, health
from edge.config import Config
from edge.station import Desk, Station
from edge.store import Store
from tests.conftest import ManualClock

ROOMY = """
[station]
code = "SZ-NS-0042"

[[shelves]]
id = "1"
layers = 10
capacity = 10000

[[sorting]]
shelves = ["1"]
"""


def waybill(i: int) -> str:
    return f"75{i:012d}"  # ZTO-style 14 digits


@pytest.fixture
def roomy() -> Config:
    return config_mod.parse(ROOMY, "roomy.toml")


def counts(store: Store) -> dict[str, int]:
    return {
        table: int(store.one(f"SELECT count(*) FROM {table}")[0])  # type: ignore[index]
        for table in ("scans", "scan_sync", "parcels", "reads")
    }


def test_full_database_refuses_every_scan_loses_nothing_and_recovers(
    store: Store, roomy: Config
) -> None:
    station = Station(store, roomy, ManualClock())
    desk = Desk("desk-1", mode="receive")
    pages = int(store.one("PRAGMA page_count")[0])  # type: ignore[index]
    # A database that may grow by a few pages only: the disk is "full" soon.
    store.conn.execute(f"PRAGMA max_page_count = {pages + 8}")

    accepted: list[str] = []
    refused: list[str] = []
    for i in range(5000):
        out = station.read(waybill(i), desk)
        if out.status == "accepted":
            accepted.append(waybill(i))
            continue
        # The clerk is told, in both languages, and nothing claims to be recorded.
        assert out.status == "refused"
        assert out.message_key == "store_failed"
        assert out.message_zh and out.message_en
        assert out.event_id is None and out.seq is None
        refused.append(waybill(i))
        if len(refused) == 20:
            break
    assert accepted, "nothing fitted at all: the limit is too tight for this test"
    assert len(refused) == 20, "the database never filled up"

    assert store.integrity_check() == "ok"
    n = counts(store)
    # Every accepted scan is whole (scan, sync row, parcel, journal line); no refused one
    # left a trace. The refused reads could not be journalled either: the disk is full.
    assert n["scans"] == n["scan_sync"] == n["parcels"] == len(accepted)
    assert n["reads"] == len(accepted)
    recorded = {r[0] for r in store.all("SELECT waybill FROM scans")}
    assert recorded == set(accepted)
    assert not recorded & set(refused)

    # `station status` says the database cannot be written.
    result = health.check(store, roomy)
    assert not result.ok
    assert [c.name for c in result.problems()] == ["database"]
    assert "full" in result.problems()[0].detail

    # Space comes back: scanning goes on where it stopped, refused parcels included.
    store.conn.execute("PRAGMA max_page_count = 1073741823")
    for code in refused:
        out = station.read(code, desk)
        assert out.status == "accepted", out.message_en
    n = counts(store)
    assert n["scans"] == n["parcels"] == len(accepted) + len(refused)
    assert store.integrity_check() == "ok"
    assert health.check(store, roomy).ok


def test_photos_are_refused_below_the_threshold_while_scans_go_on(
    store: Store, roomy: Config, tmp_path: Path
) -> None:
    assert disk.photo_space_ok(tmp_path, roomy) is None
    free = disk.free_mb(tmp_path)
    roomy.appliance.min_free_mb = int(free) + 1000
    roomy.appliance.warn_free_mb = int(free) + 2000
    message = disk.photo_space_ok(tmp_path, roomy)
    assert message is not None and "MB" in message and "扫描不受影响" in message
    roomy.station.language = "en"
    message = disk.photo_space_ok(tmp_path, roomy)
    assert message is not None and "Scanning still works" in message

    station = Station(store, roomy, ManualClock())
    assert station.read(waybill(1), Desk("desk-1")).status == "accepted"
    disk_check = next(c for c in health.check(store, roomy).checks if c.name == "disk")
    assert not disk_check.ok and "photos stop" in disk_check.detail


def test_free_space_of_a_folder_not_made_yet(tmp_path: Path) -> None:
    assert disk.free_mb(tmp_path / "photos" / "2026") == pytest.approx(
        disk.free_mb(tmp_path), rel=0.05
    )
