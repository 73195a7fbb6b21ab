"""Properties of the day's pure rules (Hypothesis, derandomized in CI by conftest):
a handover's reconciliation partitions what came and what was owed; a statement's fees
are what each group's fee in force says, and its total line is the sum of its carriers."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from edge.desk import money
from edge.desk.rules import reconcile

WAYBILLS = st.lists(st.sampled_from([f"W{i}" for i in range(12)]), max_size=20)


@given(WAYBILLS, WAYBILLS)
def test_reconcile_partitions(expected: list[str], scanned: list[str]) -> None:
    r = reconcile(expected, scanned)
    came, owed = set(scanned), set(expected)
    assert set(r.missing) | (came & owed) == owed
    assert not set(r.missing) & came
    assert len(r.scanned) == len(came)
    if owed:
        assert set(r.extra) == came - owed
    else:
        assert r.extra == []


CARRIERS = ["zto", "yto", "sf"]
START = date(2026, 11, 1)
fees_st = st.lists(
    st.builds(
        money.Fee,
        carrier=st.sampled_from(CARRIERS),
        kind=st.sampled_from(money.FEE_KINDS),
        effective_from=st.integers(-40, 29).map(lambda d: START + timedelta(days=d)),
        fen=st.integers(0, 500),
        free_days=st.none() | st.integers(0, 10),
    ),
    max_size=8,
)
groups_st = st.lists(
    st.builds(
        money.Group,
        carrier=st.sampled_from(CARRIERS),
        column=st.sampled_from(["received", "signed", "returned", "dispatched", "problems_opened"]),
        day=st.integers(0, 29).map(lambda d: START + timedelta(days=d)),
        days_on_shelf=st.none() | st.integers(0, 30),
        n=st.integers(1, 50),
    ),
    max_size=30,
)


@given(groups_st, fees_st)
def test_statement_counts_and_fees(groups: list[money.Group], fees: list[money.Fee]) -> None:
    body = money.statement("2026-11", groups, {"zto": 2}, fees)
    for column in ("received", "signed", "returned", "dispatched", "problems_opened"):
        assert body["total"][column] == sum(g.n for g in groups if g.column == column)
    assert body["total"]["problems_closed"] == 2
    expected_receive = sum(
        (money.fee_on(fees, g.carrier, "receive", g.day) or money.Fee("", "", START, 0)).fen * g.n
        for g in groups
        if g.column == "received"
    )
    assert body["total"]["receive_fen"] == expected_receive
    for key, value in body["total"].items():
        assert value == sum(line[key] for line in body["carriers"].values())
    for line in body["carriers"].values():
        parts = ("receive_fen", "sign_fen", "return_fen", "storage_fen")
        assert line["total_fen"] == sum(line[p] for p in parts)
        assert all(v >= 0 for v in line.values())
