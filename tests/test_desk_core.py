"""The station's day through the core and the store, on a real SQLite file: a courier's
handover against the manifest, problems closed, the month's money, and the CLI."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from edge import barcode
from edge import config as config_mod
from edge.cli import main
from edge.config import Config
from edge.desk import money, summaries
from edge.desk.rules import reconcile
from edge.station import ScanRequest, Station
from edge.store import Store
from tests.conftest import ManualClock

DAY_CONFIG = """
[station]
code = "SZ-NS-0042"

[[shelves]]
id = "1"
layers = 3
capacity = 40

[[sorting]]
shelves = ["1"]
"""
ZTO = [f"75123456789{i:03d}" for i in range(40)]
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def day_config() -> Config:
    return config_mod.parse(DAY_CONFIG, "test.toml")


@pytest.fixture
def day(store: Store, day_config: Config, clock: ManualClock) -> Station:
    store.courier_save("zto-7", "Zhang San", "zto", "4321", clock.wall.isoformat())
    return Station(store, day_config, clock)


def gun(station: Station, clock: ManualClock, code: str, device: str = "gun-1") -> str:
    clock.advance(2)
    out = station.read(code, station.desk(device))
    return out.status


def test_courier_card_is_a_command() -> None:
    assert barcode.parse_command("COURIER:zto-7") == barcode.Command("courier", "zto-7")
    assert isinstance(barcode.parse_command("COURIER:"), barcode.Message)


def test_reconcile_counts_missing_and_extra() -> None:
    counted = reconcile(["a", "b", "c"], ["b", "x", "b", "a"])
    assert counted.counts() == {"expected": 3, "scanned": 3, "missing": 1, "extra": 1}
    assert (counted.missing, counted.extra) == (["c"], ["x"])
    # No manifest for the carrier: nothing is missing, nothing is extra.
    assert reconcile([], ["a"]).counts() == {"expected": 0, "scanned": 1, "missing": 0, "extra": 0}


def test_handover_from_a_gun_counts_against_the_manifest(
    day: Station, store: Store, clock: ManualClock
) -> None:
    store.upsert_manifest([{"waybill": w, "carrier": "zto"} for w in ZTO[:32]])
    assert gun(day, clock, "COURIER:zto-7") == "accepted"
    desk = day.desk("gun-1")
    assert (desk.mode, desk.carrier) == ("receive", "zto")
    for waybill in [*ZTO[:30], ZTO[35]]:
        assert gun(day, clock, waybill) == "accepted"
    # Another gun's receive at the same time belongs to no handover.
    assert gun(day, clock, ZTO[36], device="gun-2") == "accepted"
    # An undone receive leaves the count.
    assert gun(day, clock, ZTO[37]) == "accepted"
    assert gun(day, clock, "UNDO") == "accepted"
    handover_id = store.handover_open_at("gun-1")["id"]
    live = summaries.handover(store, handover_id)
    assert live is not None
    assert (live["expected"], live["scanned"], live["missing"], live["extra"]) == (32, 31, 2, 1)
    assert store.handover_close(handover_id, clock.wall.isoformat(), "ab" * 32)
    # Scans after closing do not change the sheet.
    assert gun(day, clock, ZTO[38]) == "accepted"
    sheet = summaries.handover(store, handover_id)
    assert sheet is not None
    assert sheet["missing_waybills"] == ZTO[30:32] and sheet["extra_waybills"] == [ZTO[35]]
    assert (sheet["scanned"], sheet["sync_state"]) == (31, "pending")
    assert [r["id"] for r in store.desk_pending("handover")] == [handover_id]


def test_unknown_courier_card_is_refused(day: Station, clock: ManualClock) -> None:
    assert gun(day, clock, "COURIER:nobody") == "refused"
    assert day.desk("gun-1").carrier is None


def test_problem_open_until_resolved(day: Station, store: Store, clock: ManualClock) -> None:
    assert gun(day, clock, ZTO[0]) == "accepted"
    out = day.scan(ScanRequest(type="problem", code=ZTO[0], device="web:c1", reason="damaged"))
    assert out.seq
    assert [r["seq"] for r in store.problems(open_only=True)] == [out.seq]
    at = clock.wall.isoformat()
    assert store.problem_resolve(out.seq, "compensated", "paid 20 yuan", "s1", at) == "resolved"
    assert store.problem_resolve(out.seq, "found", "again", "s1", at) == "already"
    assert store.problem_resolve(999, "found", "x", "s1", at) == "unknown"
    assert store.problems(open_only=True) == []
    assert store.problems()[0]["resolution"] == "compensated"
    assert store.desk_pending("resolution")[0]["problem_seq"] == out.seq


def test_fee_in_force_follows_effective_dates() -> None:
    from datetime import date

    fees = [
        money.Fee("zto", "receive", date(2026, 1, 1), 30),
        money.Fee("zto", "receive", date(2026, 11, 15), 50),
    ]
    assert money.fee_on(fees, "zto", "receive", date(2026, 11, 14)).fen == 30  # type: ignore[union-attr]
    assert money.fee_on(fees, "zto", "receive", date(2026, 11, 15)).fen == 50  # type: ignore[union-attr]
    assert money.fee_on(fees, "zto", "receive", date(2025, 12, 31)) is None
    assert money.parse_month("2026-13") is None and money.parse_month("2026-02") == "2026-02"


def _statement_fixture(day: Station, store: Store, clock: ManualClock) -> None:
    """November: 4 received on the 1st at 00:30 local (still October in UTC), one signed
    after 10 days, one returned; fees change on the 15th."""
    at = clock.wall.isoformat()
    store.fee_set("zto", "receive", "2026-01-01", 30, None, at, "s1")
    store.fee_set("zto", "receive", "2026-11-15", 50, None, at, "s1")
    store.fee_set("zto", "sign", "2026-01-01", 10, None, at, "s1")
    store.fee_set("zto", "storage", "2026-01-01", 100, 7, at, "s1")
    clock.wall = datetime(2026, 11, 1, 0, 30, tzinfo=SHANGHAI)
    for waybill in ZTO[:4]:
        assert gun(day, clock, waybill) == "accepted"
    clock.wall = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
    assert gun(day, clock, ZTO[10]) == "accepted"
    clock.wall = datetime(2026, 11, 11, 10, 0, tzinfo=SHANGHAI)
    day.scan(ScanRequest(type="sign", code=ZTO[0], device="web:c1"))
    day.scan(ScanRequest(type="dispatch", code=ZTO[1], device="web:c1", reason="return"))
    # December does not count in November.
    clock.wall = datetime(2026, 12, 1, 0, 0, tzinfo=SHANGHAI)
    assert gun(day, clock, ZTO[11]) == "accepted"


def test_monthly_statement_counts_fees_and_ties_out_with_daily_reports(
    day: Station, store: Store, clock: ManualClock, day_config: Config, tmp_path: Path
) -> None:
    _statement_fixture(day, store, clock)
    body = summaries.monthly(store, day_config, "2026-11", clock.wall + timedelta(days=1))
    zto = body["carriers"]["zto"]
    assert (zto["received"], zto["signed"], zto["returned"], zto["dispatched"]) == (5, 1, 1, 0)
    # 4 x 30 before the 15th, 1 x 50 after; one sign; 10 days on the shelf, 7 free.
    assert (zto["receive_fen"], zto["sign_fen"], zto["storage_fen"]) == (170, 10, 600)
    assert zto["total_fen"] == body["total"]["total_fen"] == 780
    # The statement was kept for head office once the month was over.
    assert store.desk_pending("monthly")[0]["month"] == "2026-11"
    # The total line ties out with the sum of that month's daily reports.
    from edge.cli_support import Context
    from edge.core_cli import daily_report

    ctx = Context(data_dir=tmp_path)
    ctx.__dict__["config"] = day_config
    ctx._opened.append(store)
    ctx.store = lambda: store  # type: ignore[method-assign]
    sums = dict.fromkeys(("received", "signed", "dispatched"), 0)
    first = datetime(2026, 11, 1).date()
    for n in range(30):
        for line in daily_report(ctx, first + timedelta(days=n)).values():
            for key in sums:
                sums[key] += line[key]
    total = body["total"]
    assert sums == {
        "received": total["received"],
        "signed": total["signed"],
        "dispatched": total["returned"] + total["dispatched"],
    }


def test_scans_before_the_clock_synced_count_on_their_corrected_day(
    day: Station, store: Store, clock: ManualClock, day_config: Config
) -> None:
    clock.wall, clock.synced = datetime(1970, 1, 1, 8, 0, tzinfo=SHANGHAI), False
    assert gun(day, clock, ZTO[0]) == "accepted"
    body = summaries.monthly(store, day_config, "2026-11", clock.wall)
    assert (body["uncorrected"], body["total"]["received"]) == (1, 0)
    # Synced 60 s (monotonic) later at 2026-11-05 09:00: the scan happened at 08:59.
    store.record_clock_sync_point("boot-a", "2026-11-05T09:00:00+08:00", clock.mono_ns + 60 * 10**9)
    body = summaries.monthly(store, day_config, "2026-11", clock.wall)
    assert (body["uncorrected"], body["corrected"], body["total"]["received"]) == (0, 1, 1)


def run(data: Path, *words: str) -> int:
    return main(["--data", str(data), *words])


def test_cli_couriers_handovers_problems_and_monthly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "st"
    assert run(data, "init", "--station", "SZ-NS-0042") == 0
    assert run(data, "courier", "add", "zto-7", "--name", "Zhang", "--carrier", "ZTO",
               "--phone-last4", "4321") == 0  # fmt: skip
    assert run(data, "courier", "add", "x", "--name", "X", "--carrier", "nope") == 2
    assert run(data, "courier", "add", "bad id", "--name", "X", "--carrier", "zto") == 2
    capsys.readouterr()
    assert run(data, "courier", "list", "--json") == 0
    (courier,) = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert courier["carrier"] == "zto" and courier["phone_last4"] == "4321"
    cards = tmp_path / "cards.html"
    assert run(data, "courier", "cards", "--out", str(cards)) == 0
    assert "COURIER:zto-7" in cards.read_text() and "<svg" in cards.read_text()

    with Store(data / "station.db") as store:
        store.handover_open(store.courier("zto-7"), "terminal", None, "2026-11-23T09:00:00+08:00")
    assert run(data, "scan", "--type", "receive", ZTO[0], ZTO[1]) == 0
    assert run(data, "scan", "--type", "problem", "--reason", "damaged", ZTO[0]) == 0
    capsys.readouterr()
    assert run(data, "handover", "list", "--json") == 0
    (listed,) = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    for key in ("id", "carrier", "courier", "opened_at", "closed_at", "scanned", "expected",
                "missing", "extra"):  # fmt: skip
        assert key in listed
    assert (listed["carrier"], listed["scanned"], listed["closed_at"]) == ("zto", 2, None)
    assert run(data, "handover", "list", "--date", "2026-11-22", "--json") == 0
    assert capsys.readouterr().out == ""
    assert run(data, "handover", "show", str(listed["id"]), "--json") == 0
    assert json.loads(capsys.readouterr().out)["scanned_waybills"] == ZTO[:2]
    assert run(data, "handover", "show", "99") == 1

    assert run(data, "problems", "--open", "--json") == 0
    (problem,) = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert (problem["waybill"], problem["problem_code"]) == (ZTO[0], "damaged")

    assert run(data, "fee", "zto", "receive", "30", "--from", "2020-01-01") == 0
    with Store(data / "station.db") as store:
        # This machine's clock may not say it synced: mark the boot synced as the uploader
        # would, at the last scan's own reading, so the scans keep their times.
        last = store.one("SELECT boot_id, scanned_at, mono_ns FROM scans ORDER BY seq DESC")
        store.record_clock_sync_point(last["boot_id"], last["scanned_at"], last["mono_ns"])
    month = datetime.now(SHANGHAI).strftime("%Y-%m")
    capsys.readouterr()
    assert run(data, "report", "monthly", "--month", month, "--json") == 0
    body = json.loads(capsys.readouterr().out)
    assert body["total"]["received"] == 2 and body["total"]["receive_fen"] == 60
    assert run(data, "report", "monthly", "--month", month, "--csv") == 0
    lines = list(csv.reader(capsys.readouterr().out.splitlines()))
    assert lines[0][:2] == ["carrier", "received"] and lines[-1][:2] == ["total", "2"]
    xlsx = tmp_path / "m.xlsx"
    assert run(data, "report", "monthly", "--month", month, "--xlsx", str(xlsx)) == 0
    from openpyxl import load_workbook

    sheet = load_workbook(xlsx).active
    assert sheet is not None
    assert [c.value for c in sheet[sheet.max_row]][:2] == ["total", 2]
    assert run(data, "report", "monthly", "--month", "2026-13") == 2
