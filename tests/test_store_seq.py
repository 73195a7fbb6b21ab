"""Scan numbers are never reused: the floor raised from head office or a replaced
database holds across reopening, retention and restore."""

from __future__ import annotations

from pathlib import Path

from edge.store import Store


def _scan(store: Store, waybill: str) -> int:
    scan = {
        "type": "receive", "waybill": waybill, "scanned_at": "2026-11-28T09:00:00+08:00",
        "boot_id": "b", "mono_ns": 1, "clock_synced": 1, "device": "gun-1",
    }  # fmt: skip
    with store.transaction():
        seq, _ = store.insert_scan(scan)
    return seq


def test_raise_seq_floor_on_an_empty_store_is_durable(tmp_path: Path) -> None:
    with Store(tmp_path / "station.db", create=True) as store:
        store.raise_seq_floor(41)
    with Store(tmp_path / "station.db") as store:
        assert store.seq_high_water() == 41
        assert _scan(store, "SF1") == 42


def test_raise_seq_floor_never_lowers(tmp_path: Path) -> None:
    with Store(tmp_path / "station.db", create=True) as store:
        store.raise_seq_floor(100)
        store.raise_seq_floor(7)
        assert _scan(store, "SF1") == 101
        store.raise_seq_floor(101)
        assert _scan(store, "SF2") == 102


def test_restore_from_an_older_backup_never_reuses_a_seq(tmp_path: Path) -> None:
    with Store(tmp_path / "station.db", create=True) as store:
        _scan(store, "SF1")
        store.backup_to(tmp_path / "old.db")
        sent = [_scan(store, f"SF{i}") for i in range(2, 5)]
        store.restore_from(tmp_path / "old.db")
        assert store.one("SELECT count(*) FROM scans")[0] == 1
        assert _scan(store, "SF9") == max(sent) + 1
