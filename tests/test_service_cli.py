"""`station ticket/tickets/receipt/receipts/send/sends` against a real data folder."""

from __future__ import annotations

import json
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
ZTO = "75123456789001"
TICKET_FIELDS = {"id", "kind", "category", "state", "waybills", "opened_at", "due_at", "overdue"}


def run(data: Path, *words: str) -> int:
    return main(["--data", str(data), *words])


@pytest.fixture
def data(tmp_path: Path) -> Path:
    assert run(tmp_path / "st", "init", "--station", "SZ-NS-0042") == 0
    return tmp_path / "st"


def lines(capsys: Cap) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]


def long_ago(hours: float) -> datetime:
    return datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(hours=hours)


def test_a_complaint_from_open_to_followed_up(data: Path, capsys: Cap) -> None:
    capsys.readouterr()
    assert (
        run(
            data,
            "ticket",
            "open",
            "--kind",
            "complaint",
            "--waybill",
            ZTO,
            "--text",
            "外箱破了",
            "--category",
            "damaged_outer",
            "--operator",
            "c1",
            "--json",
        )
        == 0
    )
    (opened,) = lines(capsys)
    assert opened.keys() >= TICKET_FIELDS
    assert (opened["state"], opened["waybills"], opened["overdue"]) == ("open", [ZTO], False)
    tid = str(opened["id"])
    for state in ("answered", "settled"):
        assert run(data, "ticket", "update", tid, "--state", state, "--operator", "c2") == 0
    assert run(data, "ticket", "update", tid, "--state", "answered") == 2
    assert "不能改回" in capsys.readouterr().err
    # Three unanswered calls make the follow-up "unreachable" (the default tries).
    for _ in range(3):
        assert (
            run(
                data,
                "ticket",
                "update",
                tid,
                "--state",
                "followed_up",
                "--unreachable",
                "--operator",
                "c3",
                "--json",
            )
            == 0
        )
    *_, last = lines(capsys)
    assert (last["state"], last["outcome"], last["follow_up_tries"]) == (
        "followed_up",
        "unreachable",
        3,
    )
    assert run(data, "ticket", "show", tid, "--json") == 0
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
    assert run(data, "tickets", "--open", "--json") == 0
    assert lines(capsys) == []


def test_overdue_tickets_are_listed(data: Path, capsys: Cap) -> None:
    with Store(data / "station.db") as store:
        old = tickets_desk.open_ticket(
            store,
            ServiceSection(),
            long_ago(1),
            "c1",
            kind="inquiry",
            words="在哪",
            phone_last4="5678",
        )
        tickets_desk.open_ticket(
            store, ServiceSection(), long_ago(0), "c1", kind="claim", words="赔", waybills=[ZTO]
        )
    capsys.readouterr()
    assert run(data, "tickets", "--overdue", "--json") == 0
    assert [t["id"] for t in lines(capsys)] == [old]
    assert run(data, "tickets", "--json") == 0
    assert [t["overdue"] for t in lines(capsys)] == [True, False]
    assert run(data, "tickets") == 0
    assert "OVERDUE" in capsys.readouterr().out


def test_refusals_are_plain_in_both_languages(data: Path, capsys: Cap) -> None:
    capsys.readouterr()
    assert run(data, "ticket", "open", "--kind", "inquiry", "--text", "where") == 2
    err = capsys.readouterr().err
    assert "至少一项" in err and "at least one" in err
    assert run(data, "ticket", "update", "42", "--state", "answered") == 2
    assert "No ticket 42" in capsys.readouterr().err
    assert (
        run(
            data,
            "send",
            "--carrier",
            "zto",
            "--weight-g",
            "0",
            "--to-province",
            "湖南",
            "--waybill",
            ZTO,
        )
        == 2
    )
    assert "Weight must be" in capsys.readouterr().err
    assert run(data, "receipt", "require", ZTO, "--needs", "blood") == 2
    assert "unknown receipt field" in capsys.readouterr().err


def test_a_sending_is_priced_and_chased_past_its_deadline(data: Path, capsys: Cap) -> None:
    capsys.readouterr()
    assert (
        run(
            data,
            "send",
            "--carrier",
            "zto",
            "--weight-g",
            "2300",
            "--to-province",
            "湖南省",
            "--waybill",
            ZTO,
            "--payment",
            "qr",
            "--receiver-name",
            "张三丰",
            "--receiver-phone-last4",
            "5678",
            "--json",
        )
        == 0
    )
    (sent,) = lines(capsys)
    assert (sent["price_fen"], sent["price_yuan"], sent["zone"]) == (1600, "16.00", "near")
    assert (
        run(
            data,
            "send",
            "--carrier",
            "zto",
            "--weight-g",
            "900",
            "--to-province",
            "湖南",
            "--waybill",
            ZTO,
        )
        == 2
    )
    assert "已经寄过" in capsys.readouterr().err
    with Store(data / "station.db") as store:
        sends_desk.send(
            store,
            ServiceSection(),
            long_ago(30),
            "c1",
            carrier="sf",
            weight_g=500,
            province="浙江",
            waybill="SF1234567890123",
        )
    assert run(data, "sends", "--overdue", "--json") == 0
    assert [s["waybill"] for s in lines(capsys)] == []
    with Store(data / "station.db") as store:
        sends_desk.send(
            store,
            ServiceSection(),
            long_ago(50),
            "c1",
            carrier="sf",
            weight_g=500,
            province="浙江",
            waybill="SF1234567890124",
        )
        assert store.service_sending_signed(ZTO, datetime.now().astimezone().isoformat())
    assert run(data, "sends", "--overdue", "--json") == 0
    assert [s["waybill"] for s in lines(capsys)] == ["SF1234567890124"]
    assert run(data, "sends", "--open", "--json") == 0
    assert len(lines(capsys)) == 2
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    assert run(data, "sends", "--day", today, "--json") == 0
    (day,) = lines(capsys)
    assert day["sendings"] >= 1 and day["qr_fen"] == 1600
    assert run(data, "report", "daily", "--json") == 0
    (report,) = lines(capsys)
    assert report["sendings"]["qr_fen"] == 1600 and report["sendings"]["sendings"] >= 1


def test_receipts_due_batched_confirmed_and_summed(data: Path, capsys: Cap) -> None:
    capsys.readouterr()
    assert run(data, "receipt", "require", ZTO, "--needs", "signature,id", "--hops", "2") == 0
    rules = ServiceSection()
    with Store(data / "station.db") as store:
        row = receipts_desk.check_signing(
            store, ZTO, Signing(True, "1234", False, 1, 1), relation="self"
        )
        receipts_desk.record_signing(
            store,
            rules,
            long_ago(24 * 16),
            "c1",
            row,
            Signing(True, "1234", False, 1, 1),
            "self",
            (),
        )
        with store.transaction():
            store.conn.execute("UPDATE receipts SET carrier = 'zto'")
    capsys.readouterr()
    assert run(data, "receipts", "--overdue", "--json") == 0
    (late,) = lines(capsys)
    assert (late["waybill"], late["state"], late["hops"], late["overdue"]) == (
        ZTO,
        "signed",
        2,
        True,
    )
    month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    assert run(data, "receipts", "--month", month, "--json") == 0
    assert lines(capsys) == [{"carrier": "zto", "n": 1, "unsent": 1, "unconfirmed": 0}]
    assert run(data, "receipt", "batch", "--carrier", "zto", "--branch", "杭州", "--json") == 0
    (batch,) = lines(capsys)
    assert (batch["count"], batch["waybills"]) == (1, [ZTO])
    assert run(data, "receipt", "confirm", str(batch["batch"])) == 0
    assert run(data, "receipt", "confirm", str(batch["batch"])) == 2
    capsys.readouterr()
    assert run(data, "receipts", "--due", "--json") == 0
    assert lines(capsys) == []
    assert run(data, "receipt", "require", ZTO) == 2
