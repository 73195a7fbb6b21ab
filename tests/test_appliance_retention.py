"""Retention deletes only what head office holds, and backups are online, checked, rotated
and restorable."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from edge import config as config_mod
from edge.appliance import retention
from edge.cli import main
from edge.config import Config
from edge.station import Desk, Station
from edge.store import Store
from edge.store import appliance as appliance_sql
from tests.conftest import ManualClock

CONFIG = """
[station]
code = "SZ-NS-0042"

[appliance]
photo_retention_days = 30
scan_retention_days = 90
backup_keep = 2

[[shelves]]
id = "1"
layers = 4
capacity = 100

[[sorting]]
shelves = ["1"]
"""


@pytest.fixture
def cfg() -> Config:
    return config_mod.parse(CONFIG, "station.toml")


def count(store: Store, table: str) -> int:
    return int(store.one(f"SELECT count(*) FROM {table}")[0])  # type: ignore[index]


def add_photo(store: Store, data: Path, name: str, uploaded: datetime | None) -> tuple[str, Path]:
    body = name.encode() * 100
    sha = hashlib.sha256(body).hexdigest()
    path = data / "photos" / sha[:2] / f"{sha}.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    with store.transaction():
        store.conn.execute(
            "INSERT INTO photos (sha256, path, size, created_at) VALUES (?, ?, ?, ?)",
            (sha, str(path.relative_to(data)), len(body), "2020-01-01T00:00:00+08:00"),
        )
        # Every photo is some scan's (an unlinked one is an orphan the sweep removes).
        store.insert_scan(
            {"type": "problem", "waybill": f"W{sha[:10]}", "scanned_at": "2020-01-01T00:00:00",
             "boot_id": "b", "mono_ns": 1, "clock_synced": 1, "device": "d"},
            photos=(sha,),
        )  # fmt: skip
    if uploaded is not None:
        store.mark_photo_uploaded(sha, at=uploaded.isoformat())
    return sha, path


def test_photos_go_only_after_head_office_held_them_long_enough(
    store: Store, cfg: Config, tmp_path: Path
) -> None:
    now = ManualClock().wall
    _, old = add_photo(store, tmp_path, "held-40-days", now - timedelta(days=40))
    _, recent = add_photo(store, tmp_path, "held-10-days", now - timedelta(days=10))
    _, never = add_photo(store, tmp_path, "never-uploaded", None)
    with store.transaction():
        store.conn.execute("UPDATE photos SET created_at = '2019-01-01T00:00:00+08:00'")

    result = retention.prune(store, cfg, now)
    assert result.photos_deleted == 1 and result.photo_bytes_freed > 0
    assert not old.exists()
    assert recent.exists() and never.exists()
    old_sha = old.stem
    assert store.photo_pruned(old_sha) and not store.photo_pruned(recent.stem)
    assert count(store, "photos") == 3  # rows stay: scans refer to them

    again = retention.prune(store, cfg, now)
    assert again.photos_deleted == 0
    assert recent.exists() and never.exists()


def test_a_photo_outside_the_data_folder_is_never_deleted(
    store: Store, cfg: Config, tmp_path: Path
) -> None:
    now = ManualClock().wall
    outside = tmp_path.parent / f"{tmp_path.name}-elsewhere.jpg"
    outside.write_bytes(b"not ours")
    try:
        with store.transaction():
            store.conn.execute(
                "INSERT INTO photos (sha256, path, size, created_at) VALUES ('ab', ?, 8, 'x')",
                (str(outside),),
            )
        store.mark_photo_uploaded("ab", at=(now - timedelta(days=400)).isoformat())
        assert retention.prune(store, cfg, now).photos_deleted == 0
        assert outside.exists()
    finally:
        outside.unlink()


def test_scans_go_only_when_sent_long_enough_ago(
    store: Store, cfg: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Chunks of one row: every step of the chunked delete's cursor is exercised.
    monkeypatch.setattr(appliance_sql, "DELETE_CHUNK", 1)
    clock = ManualClock()
    station = Station(store, cfg, clock)
    for i in range(6):
        assert station.read(f"75{i:012d}", Desk("desk-1")).status == "accepted"
    long_ago = (clock.wall - timedelta(days=100)).isoformat()
    recently = (clock.wall - timedelta(days=10)).isoformat()
    store.apply_sync_results([(1, "sent", None), (2, "sent", None)], at=long_ago)
    store.apply_sync_results([(3, "sent", None)], at=recently)
    store.apply_sync_results([(4, "rejected", "waybill: bad")], at=long_ago)
    # 5 and 6 were never sent.
    clock.advance(200 * 86400)  # everything is old by now, by the wall clock

    result = retention.prune(store, cfg, clock.wall - timedelta(days=200))
    assert result.scans_deleted == 2
    assert sorted(r[0] for r in store.all("SELECT seq FROM scans")) == [3, 4, 5, 6]
    assert count(store, "scan_sync") == 4
    assert count(store, "parcels") == 6  # the parcels' state stays
    states = {r[0]: r[1] for r in store.all("SELECT seq, state FROM scan_sync")}
    assert states == {3: "sent", 4: "rejected", 5: "pending", 6: "pending"}

    # A year on, only sent scans ever go; the journal lines of deleted scans go too.
    result = retention.prune(store, cfg, clock.wall + timedelta(days=365))
    assert result.scans_deleted == 1
    assert sorted(r[0] for r in store.all("SELECT seq FROM scans")) == [4, 5, 6]
    assert sorted(r[0] for r in store.all("SELECT seq FROM reads")) == [4, 5, 6]
    assert store.integrity_check() == "ok"


def scans_in(path: Path, table: str = "scans") -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def test_backup_is_online_checked_and_rotated(store: Store, cfg: Config, tmp_path: Path) -> None:
    clock = ManualClock()
    station = Station(store, cfg, clock)
    for i in range(5):
        station.read(f"75{i:012d}", Desk("desk-1"))

    # Another process is in the middle of a write: the backup neither waits nor sees it.
    other = Store(store.path)
    try:
        other.conn.execute("BEGIN IMMEDIATE")
        other.conn.execute("DELETE FROM scan_sync")
        store.backup_to(tmp_path / "online.db")
        other.conn.execute("ROLLBACK")
    finally:
        other.close()
    assert scans_in(tmp_path / "online.db", "scan_sync") == 5
    assert retention.verify(tmp_path / "online.db") is None

    first = retention.backup(store, cfg, now=clock.wall)
    assert first.parent == tmp_path / "backups"
    assert retention.verify(first) is None
    assert scans_in(first) == 5

    clock.advance(86400)
    second = retention.backup(store, cfg, now=clock.wall)
    clock.advance(86400)
    third = retention.backup(store, cfg, now=clock.wall)
    assert retention.backups(tmp_path / "backups") == [second, third]  # backup_keep = 2
    assert not first.exists()
    assert not list((tmp_path / "backups").glob("*.partial"))
    assert store.appliance_state("backup")["value"] == str(third)  # type: ignore[index]


def test_backup_never_takes_the_space_scans_need(store: Store, cfg: Config) -> None:
    cfg.appliance.min_free_mb = 10**9
    cfg.appliance.warn_free_mb = 10**9
    with pytest.raises(retention.BackupError, match="not enough free space"):
        retention.backup(store, cfg)


def test_restore_puts_a_backup_back_and_keeps_the_current_one(
    store: Store, cfg: Config, tmp_path: Path
) -> None:
    clock = ManualClock()
    station = Station(store, cfg, clock)
    for i in range(3):
        station.read(f"75{i:012d}", Desk("desk-1"))
    saved = retention.backup(store, cfg, now=clock.wall)
    for i in range(3, 7):
        station.read(f"75{i:012d}", Desk("desk-1"))
    clock.advance(60)

    safety = retention.restore(store, cfg, saved, now=clock.wall)
    assert count(store, "scans") == 3
    assert scans_in(safety) == 7
    assert store.integrity_check() == "ok"
    # The restored station scans on.
    assert station.read("75999999999999", Desk("desk-1")).status == "accepted"

    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(retention.BackupError, match="cannot be restored"):
        retention.restore(store, cfg, junk)
    assert count(store, "scans") == 4


def test_backup_restore_and_nightly_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "station.toml").write_text(CONFIG)
    base = ["--data", str(data), "--config", str(data / "station.toml")]
    assert main([*base, "init"]) == 0
    assert main([*base, "scan", "--type", "receive", "75000000000001"]) == 0
    capsys.readouterr()

    assert main([*base, "backup", "--to", str(tmp_path / "usb")]) == 0
    saved = Path(capsys.readouterr().out.strip())
    assert saved.parent == tmp_path / "usb" and scans_in(saved) == 1

    assert main([*base, "scan", "--type", "receive", "75000000000002"]) == 0
    assert main([*base, "nightly"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert json.loads(out[-2])["scans_deleted"] == 0
    assert Path(out[-1]).parent == data / "backups" and scans_in(Path(out[-1])) == 2

    assert main([*base, "restore", str(saved)]) == 0
    assert "previous database is kept" in capsys.readouterr().out
    with closing(Store(data / "station.db")) as store:
        assert count(store, "scans") == 1

    assert main([*base, "restore", str(tmp_path / "missing.db")]) == 1
    assert "no such file" in capsys.readouterr().err

    # A lost database: every command refuses it, restore brings it back, numbering above
    # what head office may hold is kept by the sync side (raise_seq_floor).
    for suffix in ("", "-wal", "-shm"):
        Path(f"{data / 'station.db'}{suffix}").unlink(missing_ok=True)
    assert main([*base, "scan", "--type", "receive", "75000000000003"]) == 3
    assert not (data / "station.db").exists()
    assert main([*base, "restore", str(saved)]) == 0
    assert main([*base, "scan", "--type", "receive", "75000000000003"]) == 0
