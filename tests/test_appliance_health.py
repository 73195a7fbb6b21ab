"""`station status`, the checks behind /healthz, and /metrics, on a real store."""

from __future__ import annotations

import json
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from edge import config as config_mod
from edge.appliance import health, metrics
from edge.cli import main
from edge.config import Config
from edge.station import Desk, Station
from edge.store import Store
from tests.conftest import ManualClock

CONFIG = """
[station]
code = "SZ-NS-0042"

[head_office]
url = "http://127.0.0.1:9"
token_file = "/nonexistent/token"

[appliance]
max_backlog_age_h = 24

[[shelves]]
id = "1"
layers = 4
capacity = 100

[[sorting]]
shelves = ["1"]

[[scanners]]
name = "desk-1"
match = "0c2e:0b61"

[[scales]]
name = "scale-1"
port = "/dev/station/scale-x"
"""


@pytest.fixture
def cfg() -> Config:
    return config_mod.parse(CONFIG, "station.toml")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    (tmp_path / "station.toml").write_text(CONFIG)
    return tmp_path


def status(data: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    code = main(["--data", str(data), "--config", str(data / "station.toml"), "status", "--json"])
    return code, json.loads(capsys.readouterr().out)


def connect_all(store: Store, at: str) -> None:
    store.set_device_state("desk-1", "gun", "connected", at, path="/dev/input/event3", detail=None)
    store.set_device_state("scale-1", "scale", "connected", at, path="/dev/ttyUSB0", detail=None)


def test_status_names_each_problem_and_exits_non_zero(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # No database: an alarm naming the file, and none is made.
    code, out = status(data, capsys)
    assert code == 1 and out["ok"] is False
    failing = {c["name"]: c["detail"] for c in out["checks"] if not c["ok"]}
    assert set(failing) == {"database"}
    assert str(data / "station.db") in failing["database"] and "missing" in failing["database"]
    assert not (data / "station.db").exists()

    Store(data / "station.db", create=True).close()
    code, out = status(data, capsys)
    assert code == 1 and out["ok"] is False
    failing = {c["name"]: c["detail"] for c in out["checks"] if not c["ok"]}
    assert set(failing) == {"gun desk-1", "scale scale-1"}
    assert "journalctl -u station-scanner" in failing["gun desk-1"]

    with closing(Store(data / "station.db")) as store:
        connect_all(store, "2026-11-23T09:00:00+08:00")
    code, out = status(data, capsys)
    assert code == 0 and out["ok"] is True
    assert [c["name"] for c in out["checks"]] == [
        "database",
        "gun desk-1",
        "scale scale-1",
        "sync",
        "disk",
    ]

    with closing(Store(data / "station.db")) as store:
        store.set_device_state(
            "scale-1",
            "scale",
            "disconnected",
            "2026-11-23T09:05:00+08:00",
            path=None,
            detail="unplugged",
        )
    code, out = status(data, capsys)
    assert code == 1
    failing = {c["name"]: c["detail"] for c in out["checks"] if not c["ok"]}
    assert list(failing) == ["scale scale-1"]
    assert "disconnected" in failing["scale scale-1"] and "unplugged" in failing["scale scale-1"]


def test_status_text_for_people(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Store(data / "station.db", create=True).close()
    assert main(["--data", str(data), "--config", str(data / "station.toml"), "status"]) == 1
    text = capsys.readouterr().out
    assert "FAIL  gun desk-1" in text and "ok    database" in text
    assert text.rstrip().endswith("2 problem(s)")


def test_old_backlog_fails_until_head_office_has_it(store: Store, cfg: Config) -> None:
    clock = ManualClock()
    station = Station(store, cfg, clock)
    for i in range(3):
        assert station.read(f"75{i:012d}", Desk("desk-1")).status == "accepted"
    connect_all(store, clock.wall.isoformat())

    clock.advance(3600)
    sync = next(c for c in health.check(store, cfg, clock.wall).checks if c.name == "sync")
    assert sync.ok and "3 scan(s) waiting" in sync.detail

    clock.advance(2 * 86400)
    result = health.check(store, cfg, clock.wall)
    assert [c.name for c in result.problems()] == ["sync"]
    assert "station sync status" in result.problems()[0].detail

    seqs = [r[0] for r in store.all("SELECT seq FROM scans")]
    store.apply_sync_results([(seq, "sent", None) for seq in seqs])
    assert health.check(store, cfg, clock.wall).ok


def test_backlog_is_not_a_problem_when_sync_is_off(store: Store, cfg: Config) -> None:
    clock = ManualClock()
    cfg.head_office.url = ""
    assert Station(store, cfg, clock).read("75000000000001", Desk("d")).status == "accepted"
    connect_all(store, clock.wall.isoformat())
    clock.advance(30 * 86400)
    result = health.check(store, cfg, clock.wall)
    assert result.ok
    assert "off" in next(c for c in result.checks if c.name == "sync").detail


def test_read_only_database_is_reported(store: Store, cfg: Config) -> None:
    connect_all(store, "2026-11-23T09:00:00+08:00")
    store.conn.execute("PRAGMA query_only = ON")
    result = health.check(store, cfg)
    assert [c.name for c in result.problems()] == ["database"]
    assert "cannot write" in result.problems()[0].detail


def samples(body: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(body.decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_from_the_store(store: Store, cfg: Config) -> None:
    clock = ManualClock()
    station = Station(store, cfg, clock)
    desk = Desk("desk-1")
    for i in range(4):
        assert station.read(f"75{i:012d}", desk).status == "accepted"
        clock.advance(5)
    assert station.read("75000000000000", desk).status == "duplicate"
    assert station.read("x", desk).status == "refused"
    store.set_device_state(
        "desk-1", "gun", "connected", clock.wall.isoformat(), path=None, detail=None
    )
    store.apply_sync_results([(1, "sent", None), (2, "rejected", "waybill: bad")])
    clock.advance(60)

    body, content_type = metrics.render(store, cfg, clock.wall)
    assert content_type.startswith("text/plain")
    m = samples(body)
    assert m[("station_reads_total", (("status", "accepted"), ("type", "receive")))] == 4
    assert m[("station_reads_total", (("status", "duplicate"), ("type", "receive")))] == 1
    assert m[("station_reads_total", (("status", "refused"), ("type", "invalid")))] == 1
    assert m[("station_sync_backlog", ())] == 2
    assert m[("station_scans_by_sync_state", (("state", "sent"),))] == 1
    assert m[("station_upload_errors", (("kind", "scan_rejected"),))] == 1
    assert m[("station_sync_oldest_unsent_age_seconds", ())] == pytest.approx(
        timedelta(seconds=60 + 5 + 5).total_seconds(), abs=1
    )
    assert m[("station_device_connected", (("kind", "gun"), ("name", "desk-1")))] == 1
    assert m[("station_device_connected", (("kind", "scale"), ("name", "scale-1")))] == 0
    assert m[("station_disk_free_bytes", ())] > 0
    assert m[("station_healthy", ())] == 0
    assert m[("station_health_check_ok", (("check", "database"),))] == 1


def test_read_counters_never_go_down(store: Store, cfg: Config) -> None:
    clock = ManualClock()
    station = Station(store, cfg, clock)
    for i in range(3):
        station.read(f"75{i:012d}", Desk("desk-1"))
    with store.transaction():
        store.conn.execute("DELETE FROM reads")
    m = samples(metrics.render(store, cfg, clock.wall)[0])
    assert m[("station_reads_total", (("status", "accepted"), ("type", "receive")))] == 3


def test_a_scan_head_office_rejected_is_a_failure(store: Store, cfg: Config) -> None:
    clock = ManualClock()
    station = Station(store, cfg, clock)
    assert station.read("75000000000001", Desk("desk-1")).status == "accepted"
    connect_all(store, clock.wall.isoformat())
    assert health.check(store, cfg, clock.wall).ok
    store.apply_sync_results([(1, "rejected", "seq: already used")])
    result = health.check(store, cfg, clock.wall)
    assert [c.name for c in result.problems()] == ["sync"]
    assert "1 scan(s) rejected by head office" in result.problems()[0].detail
