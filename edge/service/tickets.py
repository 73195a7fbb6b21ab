"""Tickets (工单): kinds, the carriers' problem categories, states and their deadlines.

Pure: times in, answers out. A ticket moves open → answered → settled → followed_up;
a move may skip ahead (a clerk who settles at once has answered too), never back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from edge.service.errors import ServiceError
from edge.service.settings import TICKET_KINDS, ServiceSection

KINDS = TICKET_KINDS
# The carriers' complaint taxonomy (投诉分类).
CATEGORIES = (
    "signed_not_received",  # 签收未收到
    "wrong_address",  # 地址错、电话错、查无此人
    "damaged_outer",  # 外包装破损
    "damaged_refused",  # 派送中破损，拒收
    "lost_label",  # 掉面单
    "items_missing",  # 内件短少
    "wrong_item",  # 错件
    "delay",  # 延误
    "attitude",  # 服务态度
    "other",
)
STATES = ("open", "answered", "settled", "followed_up")
# How a follow-up ended.
OUTCOMES = ("satisfied", "unreachable")


@dataclass(frozen=True)
class Deadlines:
    answer_by: datetime
    settle_by: datetime
    follow_up_by: datetime | None  # known once the ticket is settled


def deadlines(
    kind: str, opened_at: datetime, settled_at: datetime | None, rules: ServiceSection
) -> Deadlines:
    answer_by = opened_at + timedelta(minutes=rules.first_answer_minutes)
    if kind in rules.same_day_kinds:
        # Midnight that ends the opening day, in the ticket's own (station) zone.
        settle_by = datetime.combine(opened_at.date() + timedelta(days=1), time(), opened_at.tzinfo)
    else:
        settle_by = opened_at + timedelta(days=rules.settle_days)
    follow_up_by = settled_at + timedelta(days=rules.follow_up_days) if settled_at else None
    return Deadlines(answer_by, settle_by, follow_up_by)


def due_at(state: str, d: Deadlines) -> datetime | None:
    """The deadline the ticket works toward in ``state``; None once followed up."""
    return {"open": d.answer_by, "answered": d.settle_by, "settled": d.follow_up_by}.get(state)


def breaches(d: Deadlines, done: dict[str, datetime], now: datetime) -> list[str]:
    """The stages (answer, settle, follow_up) whose deadline passed before they were done.

    ``done`` maps a state to when the ticket reached it; a stage not done yet is late
    once ``now`` is past its deadline.
    """
    late = []
    for stage, state, by in (
        ("answer", "answered", d.answer_by),
        ("settle", "settled", d.settle_by),
        ("follow_up", "followed_up", d.follow_up_by),
    ):
        if by is None:
            continue
        if done.get(state, now) > by:
            late.append(stage)
    return late


def check_move(current: str, target: str) -> list[str]:
    """The states a move passes through (skipped ones included), or ServiceError."""
    if target not in STATES:
        raise ServiceError("ticket.bad_state", state=target)
    here, there = STATES.index(current), STATES.index(target)
    if there <= here:
        raise ServiceError("ticket.no_going_back", current=current, target=target)
    return list(STATES[here + 1 : there + 1])


def check_follow_up(satisfaction: int | None, unreachable: bool) -> None:
    if unreachable and satisfaction is not None:
        raise ServiceError("ticket.follow_up_both")
    if not unreachable and satisfaction is None:
        raise ServiceError("ticket.satisfaction_needed")
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        raise ServiceError("ticket.satisfaction_range")


def follow_up_rate(followed_up: int, settled: int) -> float | None:
    """Share of settled tickets followed up (the rule is 100 %); None when none settled."""
    total = followed_up + settled
    return followed_up / total if total else None
