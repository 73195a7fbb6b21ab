"""Quiet hours, the reminder ladder and the notify loop over a real receiver database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from edge.cli import main
from edge.config_base import ConfigError
from sync.headoffice.config import parse
from sync.headoffice.notify.config import NotifySection
from sync.headoffice.notify.gateways import LogGateway
from sync.headoffice.notify.ladder import due, in_quiet_hours
from sync.headoffice.notify.loop import Notifier
from sync.headoffice.notify.queue import NotifyQueue
from sync.headoffice.phones import PhoneBook
from sync.headoffice.records import records_for
from sync.headoffice.rows import scan_rows
from sync.headoffice.sqlite import SQLiteStorage
from tests.sync_fixtures import STATION, a_scan

SH = ZoneInfo("Asia/Shanghai")
# The receive scan a_scan() makes is at 09:15 Shanghai time on 2026-11-22.
ARRIVED = datetime(2026, 11, 22, 9, 15, 2, tzinfo=SH)


@pytest.mark.parametrize(
    ("hhmm", "quiet"),
    [("20:59", False), ("21:00", True), ("23:30", True), ("03:00", True), ("07:59", True),
     ("08:00", False), ("12:00", False)],
)  # fmt: skip
def test_quiet_hours_cross_midnight_in_station_time(hhmm: str, quiet: bool) -> None:
    h, m = map(int, hhmm.split(":"))
    now = datetime(2026, 11, 28, h, m, tzinfo=SH).astimezone(UTC)
    assert in_quiet_hours(now, "21:00", "08:00", SH) is quiet


def test_quiet_hours_within_one_day() -> None:
    noon = datetime(2026, 11, 28, 12, 30, tzinfo=SH)
    assert in_quiet_hours(noon, "12:00", "13:00", SH)
    assert not in_quiet_hours(noon, "13:00", "14:00", SH)


def test_ladder_sends_the_latest_due_step_once() -> None:
    ladder = [1, 3, 5]
    at = ARRIVED
    assert due(at, at + timedelta(hours=23), set(), ladder, 7) is None
    assert due(at, at + timedelta(days=1), set(), ladder, 7) == 1
    assert due(at, at + timedelta(days=2), {1}, ladder, 7) is None
    assert due(at, at + timedelta(days=4), {1}, ladder, 7) == 3
    assert due(at, at + timedelta(days=4), set(), ladder, 7) == 3  # no burst after an outage
    assert due(at, at + timedelta(days=7), {1, 3, 5}, ladder, 7) == 7
    assert due(at, at + timedelta(days=9), {1, 3, 5, 7}, ladder, 7) is None
    assert due(at, at + timedelta(days=9), {1, 3, 5}, ladder, 0) is None


def test_config_names_unknown_keys_and_bad_values() -> None:
    with pytest.raises(ConfigError, match=r"notify\.gatway: unknown key"):
        parse('[notify]\ngatway = "log"\n')
    with pytest.raises(ConfigError, match="webhook_url/webhook_secret"):
        parse('[notify]\ngateway = "webhook"\n')
    with pytest.raises(ConfigError, match="quiet_start: expected HH:MM"):
        parse('[notify]\nquiet_start = "9pm"\n')
    config = parse(
        '[notify]\nladder_days = [2, 4]\n[[notify.stations]]\ncode = "S1"\nname = "一号站"\n'
    )
    assert config.notify.ladder_days == [2, 4]
    assert config.notify.station("S1").name == "一号站"
    assert config.notify.station("S2").name == ""


class World:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.storage = SQLiteStorage(folder)
        self.queue, self.phones = NotifyQueue(folder), PhoneBook(folder)
        self.log = folder / "messages.log"
        settings = NotifySection(default_station=parse(
            '[notify.default_station]\nname = "南山驿站"\naddress = "科技园12栋"\n'
            'hours = "08:00-21:00"\n').notify.default_station)  # fmt: skip
        self.notifier = Notifier(
            settings, self.storage, self.queue, self.phones, LogGateway(self.log)
        )
        self.seq = 0

    def scan(self, kind: str, waybill: str, at: datetime) -> None:
        self.seq += 1
        scan = a_scan(self.seq, type=kind, waybill=waybill, scanned_at=at.isoformat())
        self.storage.add_scans(scan_rows(STATION, "b", [scan], at.isoformat()))

    def sent(self) -> list[dict[str, str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines()]

    def close(self) -> None:
        self.queue.close()
        self.phones.close()
        self.storage.close()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    yield w
    w.close()


def test_arrival_then_ladder_then_pickup_stops_it(world: World) -> None:
    world.phones.put([(STATION, "SF0001", "13812345678", True)], ARRIVED)
    world.scan("receive", "SF0001", ARRIVED)
    first = world.notifier.run_pass(ARRIVED + timedelta(minutes=1))
    assert (first.arrivals, first.sent) == (1, 1)
    (arrival,) = world.sent()
    assert arrival["to"] == "13812345678" and arrival["template"] == "arrival"
    assert "南山驿站" in arrival["text"] and "3-2-1045" in arrival["text"]
    assert world.queue.status(STATION, "SF0001") == {
        "template": "arrival", "status": "sent", "reason": None,
        "at": (ARRIVED + timedelta(minutes=1)).isoformat(timespec="seconds"),
    }  # fmt: skip
    # The same scans seen again (another pass, the look-back) ask for nothing more.
    assert world.notifier.run_pass(ARRIVED + timedelta(hours=2)).sent == 0
    world.notifier.run_pass(ARRIVED + timedelta(days=1, hours=1))
    world.notifier.run_pass(ARRIVED + timedelta(days=3, hours=1))
    assert [m["template"] for m in world.sent()] == ["arrival", "reminder", "reminder"]
    assert "已到站 3 天" in world.sent()[-1]["text"]
    world.scan("sign", "SF0001", ARRIVED + timedelta(days=4))
    world.notifier.run_pass(ARRIVED + timedelta(days=5, hours=1))
    world.notifier.run_pass(ARRIVED + timedelta(days=8, hours=1))
    assert len(world.sent()) == 3


def test_quiet_hours_hold_messages_until_morning(world: World) -> None:
    late = datetime(2026, 11, 22, 22, 30, tzinfo=SH)
    world.phones.put([(STATION, "SF0002", "13812345678", None)], late)
    world.scan("receive", "SF0002", late)
    held = world.notifier.run_pass(late + timedelta(minutes=1))
    assert (held.sent, held.held) == (0, 1) and world.sent() == []
    assert world.queue.status(STATION, "SF0002")["status"] == "queued"  # type: ignore[index]
    morning = world.notifier.run_pass(datetime(2026, 11, 23, 8, 0, tzinfo=SH))
    assert morning.sent == 1 and len(world.sent()) == 1


def test_a_parcel_without_a_number_fails_with_a_reason(world: World) -> None:
    world.scan("receive", "SF0003", ARRIVED)
    result = world.notifier.run_pass(ARRIVED + timedelta(minutes=1))
    assert result.failed == 1 and world.sent() == []
    assert world.queue.status(STATION, "SF0003")["reason"] == "no number in the manifest"  # type: ignore[index]


def test_resend_queues_the_arrival_again(world: World) -> None:
    world.phones.put([(STATION, "SF0004", "13812345678", None)], ARRIVED)
    world.scan("receive", "SF0004", ARRIVED)
    world.notifier.run_pass(ARRIVED + timedelta(minutes=1))
    assert world.queue.resend(STATION, "SF0004", ARRIVED + timedelta(minutes=2))
    world.notifier.run_pass(ARRIVED + timedelta(minutes=3))
    assert [m["template"] for m in world.sent()] == ["arrival", "arrival"]
    assert not world.queue.resend(STATION, "UNKNOWN1", ARRIVED)


def test_notify_run_once_cli_writes_only_to_the_log_gateway_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    office = tmp_path / "office"
    w = World(office)
    w.phones.put([(STATION, "SF0005", "13812345678", True)], ARRIVED)
    w.scan("receive", "SF0005", ARRIVED)
    w.close()
    now = (ARRIVED + timedelta(minutes=5)).isoformat()
    argv = ["head-office", "notify", "run", "--once", "--now", now, "--data", str(office)]
    (office / "head-office.toml").write_text(
        '[notify]\ncollect_url = "https://ho.example.com"\n', encoding="utf-8"
    )
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["sent"] == 1
    (line,) = (office / "messages.log").read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["to"] == "13812345678"
    assert "扫码取件：https://ho.example.com/collect/YZQ1:" in json.loads(line)["text"]
    assert "13812345678" not in caplog.text
    storage = SQLiteStorage(office)
    records = records_for(storage)
    assert records is not None
    updates = records.updates(STATION, 0, 10)
    storage.close()
    assert [u["body"]["status"] for u in updates] == ["queued", "sent"]
    (office / "head-office.toml").write_text('[notify]\ngateway = "nope"\n', encoding="utf-8")
    assert main(argv) == 2
    assert "notify.gateway" in capsys.readouterr().err


def test_readme_documents_every_head_office_toml_key() -> None:
    from sync.headoffice.config import reference_markdown

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert reference_markdown() in readme, "run: .venv/bin/python -m sync.headoffice.config"


def test_a_scan_uploaded_late_is_found_by_the_hourly_deep_look(world: World) -> None:
    later = ARRIVED + timedelta(days=2)
    world.scan("receive", "SF0006", later)
    assert world.notifier.run_pass(later + timedelta(minutes=1)).arrivals == 1
    world.phones.put([(STATION, "SF0007", "13812345678", True)], ARRIVED)
    world.scan("receive", "SF0007", ARRIVED)  # recorded two days ago, uploaded only now
    assert world.notifier.run_pass(later + timedelta(minutes=5)).arrivals == 0
    deep = world.notifier.run_pass(later + timedelta(hours=2))
    assert (deep.arrivals, deep.sent, deep.reminders) == (1, 1, 0)  # no reminder on its heels
