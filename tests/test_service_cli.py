"""`station ticket/tickets/receipt/receipts/send/sends` against a real data folder."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from edge.cli import main
from edge.service import receipts_desk, sends_desk, tickets_desk
from edge.service.receipts import Signing
from edge.service.settings import ServiceSection
from edge.store import Store

Cap = pytest.CaptureFixture[str]
TZ = ZoneInfo("Asia/Shanghai")
ZTO = "75123456789001"
TICKET_FIELDS = {"id", "kind", "category", "state", "waybills", "opened_at", "due_at", "overdue"}
RULES = ServiceSection()
Station = Callable[[str], int]


@pytest.fixture
def station(tmp_path: Path) -> Station:
    """`station WORDS` run in a fresh data folder; returns the exit status."""
    data = tmp_path / "st"
    assert main(["--data", str(data), "init", "--station", "SZ-NS-0042"]) == 0
    return lambda words: main(["--data", str(data), *shlex.split(words)])


def db(tmp_path: Path) -> Store:
    return Store(tmp_path / "st" / "station.db")


def lines(capsys: Cap) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]


def long_ago(hours: float) -> datetime:
    return datetime.now(TZ) - timedelta(hours=hours)


def test_a_complaint_from_open_to_followed_up(station: Station, capsys: Cap) -> None:
    capsys.readouterr()
    assert (
        station(
            f"ticket open --kind complaint --waybill {ZTO} --text 外箱破了 "
            "--category damaged_outer --operator c1 --json"
        )
        == 0
    )
    (opened,) = lines(capsys)
    assert opened.keys() >= TICKET_FIELDS
    assert (opened["state"], opened["waybills"], opened["overdue"]) == ("open", [ZTO], False)
    tid = opened["id"]
    for state in ("answered", "settled"):
        assert station(f"ticket update {tid} --state {state} --operator c2") == 0
    assert station(f"ticket update {tid} --state answered") == 2
    assert "不能改回" in capsys.readouterr().err
    # Three unanswered calls make the follow-up "unreachable" (the default tries).
    for _ in range(3):
        assert (
            station(f"ticket update {tid} --state followed_up --unreachable --operator c3 --json")
            == 0
        )
    *_, last = lines(capsys)
    assert (last["state"], last["outcome"], last["follow_up_tries"]) == (
        "followed_up",
        "unreachable",
        3,
    )
    assert station(f"ticket show {tid} --json") == 0
    (shown,) = lines(capsys)
    actions = [(e["action"], e["operator"]) for e in shown["history"]]
    assert actions == [
        ("open", "c1"),
        ("answered", "c2"),
        ("settled", "c2"),
        ("follow_up_try", "c3"),
        ("follow_up_try", "c3"),
        ("followed_up", "c3"),
    ]
    assert station("tickets --open --json") == 0
    assert lines(capsys) == []


def test_overdue_tickets_are_listed(station: Station, tmp_path: Path, capsys: Cap) -> None:
    with db(tmp_path) as store:
        old = tickets_desk.open_ticket(
            store, RULES, long_ago(1), "c1", kind="inquiry", words="在哪", phone_last4="5678"
        )
        tickets_desk.open_ticket(
            store, RULES, long_ago(0), "c1", kind="claim", words="赔", waybills=[ZTO]
        )
    capsys.readouterr()
    assert station("tickets --overdue --json") == 0
    assert [t["id"] for t in lines(capsys)] == [old]
    assert station("tickets --json") == 0
    assert [t["overdue"] for t in lines(capsys)] == [True, False]
    assert station("tickets") == 0
    assert "OVERDUE" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("words", "zh", "en"),
    [
        ("ticket open --kind inquiry --text where", "至少一项", "at least one"),
        ("ticket update 42 --state answered", "没有这个工单", "No ticket 42"),
        (
            f"send --carrier zto --weight-g 0 --to-province 湖南 --waybill {ZTO}",
            "重量应在",
            "Weight must be",
        ),
        (f"send --carrier zto --weight-g 9 --to-province 火星 --waybill {ZTO}", "省份", "province"),
        (f"receipt require {ZTO} --needs blood", "回单要求", "unknown receipt field"),
    ],
)
def test_refusals_are_plain_in_both_languages(
    station: Station, capsys: Cap, words: str, zh: str, en: str
) -> None:
    capsys.readouterr()
    assert station(words) == 2
    err = capsys.readouterr().err
    assert zh in err and en in err


def test_a_sending_is_priced_and_chased_past_its_deadline(
    station: Station, tmp_path: Path, capsys: Cap
) -> None:
    capsys.readouterr()
    send = f"send --carrier zto --weight-g 2300 --to-province 湖南省 --waybill {ZTO} --json"
    assert station(send + " --payment qr --receiver-name 张三丰 --receiver-phone-last4 5678") == 0
    (sent,) = lines(capsys)
    assert (sent["price_fen"], sent["price_yuan"], sent["zone"]) == (1600, "16.00", "near")
    assert station(send) == 2
    assert "已经寄过" in capsys.readouterr().err
    with db(tmp_path) as store:
        for hours, waybill in ((30, "SF1234567890123"), (50, "SF1234567890124")):
            sends_desk.send(
                store,
                RULES,
                long_ago(hours),
                "c1",
                carrier="sf",
                weight_g=500,
                province="浙江",
                waybill=waybill,
            )
        assert store.service_sending_signed(ZTO, datetime.now(TZ).isoformat())
    # Zhejiang is 48 h away: only the one sent 50 h ago is chased.
    assert station("sends --overdue --json") == 0
    assert [s["waybill"] for s in lines(capsys)] == ["SF1234567890124"]
    assert station("sends --open --json") == 0
    assert len(lines(capsys)) == 2
    assert station(f"sends --day {datetime.now(TZ).date()} --json") == 0
    (day,) = lines(capsys)
    assert day["sendings"] >= 1 and day["qr_fen"] == 1600
    assert station("report daily --json") == 0
    (report,) = lines(capsys)
    assert report["sendings"]["qr_fen"] == 1600 and report["sendings"]["sendings"] >= 1


def test_receipts_due_batched_confirmed_and_summed(
    station: Station, tmp_path: Path, capsys: Cap
) -> None:
    assert station(f"receipt require {ZTO} --needs signature,id --hops 2") == 0
    signing = Signing(True, "1234", False, 1, 1)
    with db(tmp_path) as store:
        row = receipts_desk.check_signing(store, ZTO, signing, relation="self")
        receipts_desk.record_signing(
            store, RULES, long_ago(24 * 16), "c1", row, signing, "self", ()
        )
        with store.transaction():
            store.conn.execute("UPDATE receipts SET carrier = 'zto'")
    capsys.readouterr()
    assert station("receipts --overdue --json") == 0
    (late,) = lines(capsys)
    assert (late["waybill"], late["state"], late["hops"], late["overdue"]) == (
        ZTO,
        "signed",
        2,
        True,
    )
    assert station(f"receipts --month {datetime.now(TZ):%Y-%m} --json") == 0
    assert lines(capsys) == [{"carrier": "zto", "n": 1, "unsent": 1, "unconfirmed": 0}]
    assert station("receipt batch --carrier zto --branch 杭州 --json") == 0
    (batch,) = lines(capsys)
    assert (batch["count"], batch["waybills"]) == (1, [ZTO])
    assert station(f"receipt confirm {batch['batch']}") == 0
    assert station(f"receipt confirm {batch['batch']}") == 2
    capsys.readouterr()
    assert station("receipts --due --json") == 0
    assert lines(capsys) == []
    assert station(f"receipt require {ZTO}") == 2
