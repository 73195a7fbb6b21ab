"""The service desk's records in a real SQLite store: sync state per record, requirement
updates, batches, the monthly count of outstanding receipts."""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.service import receipts_desk, sends_desk, tickets, tickets_desk
from edge.service.errors import ServiceError
from edge.service.receipts import Signing
from edge.service.settings import ServiceSection
from edge.store import Store

RULES = ServiceSection()
AT = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
ZTO = [f"75123456789{i:03d}" for i in range(10)]


def test_a_record_changed_during_its_upload_stays_pending(store: Store) -> None:
    tid = tickets_desk.open_ticket(
        store, RULES, AT, "c1", kind="inquiry", words="在哪", phone_last4="5678"
    )
    (sent,) = store.service_pending("ticket")
    # The clerk answers while the upload is on its way: that version was not sent.
    tickets_desk.update_ticket(store, RULES, AT + timedelta(minutes=1), "c1", tid, state="answered")
    assert store.service_mark_synced("ticket", [(tid, sent["updated_at"])]) == 0
    (again,) = store.service_pending("ticket")
    assert again["state"] == "answered"
    assert store.service_mark_synced("ticket", [(tid, again["updated_at"])]) == 1
    assert store.service_pending("ticket") == []
    tickets_desk.update_ticket(store, RULES, AT + timedelta(minutes=2), "c2", tid, state="settled")
    assert [r["id"] for r in store.service_pending("ticket")] == [tid]


def test_every_record_type_starts_pending(store: Store) -> None:
    sends_desk.send(
        store, RULES, AT, "c1", carrier="zto", weight_g=800, province="广东", waybill=ZTO[0]
    )
    receipts_desk.require(store, RULES, AT, "c1", ZTO[1], "signature")
    row = receipts_desk.check_signing(store, ZTO[1], Signing(True, None, False, 1, 1), "self")
    receipts_desk.record_signing(
        store, RULES, AT, "c1", row, Signing(True, None, False, 1, 1), "self", ()
    )
    with store.transaction():
        store.conn.execute("UPDATE receipts SET carrier = 'zto'")
    receipts_desk.send_batch(store, AT, "c1", "zto", None, [ZTO[1]])
    for record in ("sending", "receipt", "receipt_batch"):
        assert len(store.service_pending(record)) == 1, record


def test_a_newer_requirement_corrects_an_unsigned_one_only(store: Store) -> None:
    assert receipts_desk.require(store, RULES, AT, "hq", ZTO[2], "signature", source="manifest")
    assert receipts_desk.require(store, RULES, AT, "c1", ZTO[2], "signature,stamp,copies=2", hops=3)
    row = store.service_receipt(ZTO[2])
    assert (row["need_stamp"], row["copies"], row["hops"], row["source"]) == (1, 2, 3, "receive")
    signing = Signing(True, None, True, 2, 1)
    row = receipts_desk.check_signing(store, ZTO[2], signing, "self")
    due = receipts_desk.record_signing(store, RULES, AT, "c1", row, signing, "self", ())
    assert due == AT + timedelta(days=20)
    assert not receipts_desk.require(store, RULES, AT, "hq", ZTO[2], "signature")
    assert store.service_receipts_needed([ZTO[2], ZTO[3]]) == set()


def test_outstanding_receipts_per_carrier_at_a_months_end(store: Store) -> None:
    for i, (carrier, days) in enumerate([("zto", 40), ("zto", 10), ("sf", 20), ("sf", 1)]):
        waybill = ZTO[i + 4]
        receipts_desk.require(store, RULES, AT, "c1", waybill, "signature")
        with store.transaction():
            store.conn.execute(
                "UPDATE receipts SET carrier = ? WHERE waybill = ?", (carrier, waybill)
            )
        row = store.service_receipt(waybill)
        receipts_desk.record_signing(
            store,
            RULES,
            AT - timedelta(days=days),
            "c1",
            row,
            Signing(True, None, False, 1, 1),
            "self",
            (),
        )
    bid, _ = receipts_desk.send_batch(store, AT, "c1", "zto", None, [ZTO[4]])
    rows = store.service_outstanding_receipts((AT - timedelta(days=5)).isoformat())
    assert [tuple(r) for r in rows] == [("sf", 1, 1, 0), ("zto", 2, 1, 1)]
    receipts_desk.confirm_batch(store, AT, "s1", bid)
    rows = store.service_outstanding_receipts(AT.isoformat())
    assert [tuple(r) for r in rows] == [("sf", 2, 2, 0), ("zto", 1, 1, 0)]


def test_migrations_apply_once(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db", create=True) as first:
        names = {r[0] for r in first.all("SELECT name FROM schema_migrations")}
    assert {
        "service-001-tickets",
        "receipts-001-receipts-batches",
        "sendings-001-sendings",
    } <= names
    with Store(tmp_path / "a.db") as again:
        assert again.migrate() == []


def test_numbers_in_the_customers_words_are_not_kept(store: Store) -> None:
    tid = tickets_desk.open_ticket(
        store,
        RULES,
        AT,
        "c1",
        kind="inquiry",
        waybills=[ZTO[0]],
        words="打我电话 13812345678，身份证 44030119900101123X",
    )
    tickets_desk.update_ticket(
        store, RULES, AT, "c1", tid, state="answered", words="已回电 139-1234-5678"
    )
    kept = store.service_ticket(tid)["words"] + str(
        [tuple(e) for e in store.service_ticket_events(tid)]
    )
    assert "138****5678" in kept and "139****5678" in kept and "123X" in kept
    assert "13812345678" not in kept and "1234-5678" not in kept and "4403011990" not in kept
    assert ZTO[0] in str(store.service_ticket_waybills([tid]))


MOVES = st.lists(
    st.tuples(
        st.sampled_from(tickets.STATES), st.one_of(st.none(), st.integers(0, 6)), st.booleans()
    ),
    max_size=12,
)


@settings(derandomize=True, max_examples=60, deadline=None)
@given(MOVES)
def test_any_sequence_of_updates_keeps_a_ticket_coherent(moves: list) -> None:
    """Whatever clerks try, a ticket only moves forward, each reached state has its time,
    every accepted step is in the history, and a refused one changes nothing."""
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "s.db", create=True) as store:
        tid = tickets_desk.open_ticket(
            store, RULES, AT, "c1", kind="complaint", words="w", phone_last4="5678"
        )
        for n, (state, satisfaction, unreachable) in enumerate(moves):
            before = store.service_ticket(tid)
            events = len(store.service_ticket_events(tid))
            try:
                tickets_desk.update_ticket(
                    store,
                    RULES,
                    AT + timedelta(minutes=n),
                    "c2",
                    tid,
                    state=state,
                    satisfaction=satisfaction,
                    unreachable=unreachable,
                )
            except ServiceError:
                assert tuple(store.service_ticket(tid)) == tuple(before)
                assert len(store.service_ticket_events(tid)) == events
                continue
            after = store.service_ticket(tid)
            assert tickets.STATES.index(after["state"]) >= tickets.STATES.index(before["state"])
            assert len(store.service_ticket_events(tid)) > events
        row = store.service_ticket(tid)
        reached = tickets.STATES[1 : tickets.STATES.index(row["state"]) + 1]
        assert all(row[f"{s}_at"] for s in reached)
        actions = [e["action"] for e in store.service_ticket_events(tid)]
        assert [a for a in actions if a in tickets.STATES] == ["open", *reached]
        assert row["follow_up_tries"] == actions.count("follow_up_try") + (
            row["outcome"] == "unreachable"
        )
        if row["state"] == "followed_up":
            assert row["outcome"] in tickets.OUTCOMES
