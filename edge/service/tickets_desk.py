"""Tickets at the desk, for the page and the CLI alike: check with the pure rules, write
through the store, and present a ticket the same way everywhere."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from edge.privacy import scrub, valid_last4
from edge.service import tickets
from edge.service.common import clean_waybill, iso, parse_time
from edge.service.errors import ServiceError
from edge.service.settings import ServiceSection
from edge.store import Store

MAX_WORDS = 1000
LISTS = ("all", "open", "overdue")
LIVE_STATES = ("open", "answered", "settled")


def open_ticket(
    store: Store,
    rules: ServiceSection,
    now: datetime,
    operator: str,
    *,
    kind: str,
    words: str,
    waybills: Sequence[str] = (),
    phone_last4: str | None = None,
    category: str | None = None,
    photos: Sequence[str] = (),
) -> int:
    if kind not in tickets.KINDS:
        raise ServiceError("ticket.bad_kind", kind=kind)
    category = category or "other"
    if category not in tickets.CATEGORIES:
        raise ServiceError("ticket.bad_category", category=category)
    words = scrub(words.strip()[:MAX_WORDS])
    if not words:
        raise ServiceError("ticket.words_needed")
    cleaned = list(dict.fromkeys(clean_waybill(w, "ticket.bad_waybill") for w in waybills))
    if phone_last4 is not None and not valid_last4(phone_last4):
        raise ServiceError("send.bad_last4", field="phone_last4")
    if not cleaned and not phone_last4:
        raise ServiceError("ticket.link_needed")
    ticket = {
        "kind": kind,
        "category": category,
        "phone_last4": phone_last4,
        "words": words,
        "opened_at": iso(now),
        "opened_by": operator,
    }
    return store.service_ticket_open(ticket, cleaned, photos)


def update_ticket(
    store: Store,
    rules: ServiceSection,
    now: datetime,
    operator: str,
    tid: int,
    *,
    state: str,
    words: str | None = None,
    satisfaction: int | None = None,
    unreachable: bool = False,
) -> dict[str, Any]:
    """Move a ticket on. A follow-up that reaches nobody counts a try; the ticket is
    followed up as unreachable at the configured number of tries."""
    row = store.service_ticket(tid)
    if row is None:
        raise ServiceError("ticket.not_found", id=tid)
    passes = tickets.check_move(row["state"], state)
    stamp = iso(now)
    fields: dict[str, Any] = {}
    events = list(passes)
    if state == "followed_up":
        tickets.check_follow_up(satisfaction, unreachable)
        if unreachable:
            tries = row["follow_up_tries"] + 1
            fields["follow_up_tries"] = tries
            if tries < rules.follow_up_tries:
                # Not yet given up: the ticket stays settled, one more try is logged.
                passes, events = passes[:-1], [*passes[:-1], "follow_up_try"]
            else:
                fields["outcome"] = "unreachable"
        else:
            fields.update(outcome="satisfied", satisfaction=satisfaction)
    for reached in passes:
        fields[f"{reached}_at"] = stamp
    if passes:
        fields["state"] = passes[-1]
    text = scrub((words or "").strip()[:MAX_WORDS]) or None
    if not store.service_ticket_update(tid, row["state"], fields, events, stamp, operator, text):
        raise ServiceError("ticket.changed")
    return present(store, rules, now, [store.service_ticket(tid)])[0]


def present(
    store: Store, rules: ServiceSection, now: datetime, rows: Sequence[Any]
) -> list[dict[str, Any]]:
    """Tickets as the page and `station tickets --json` show them."""
    links = store.service_ticket_waybills([r["id"] for r in rows]) if rows else {}
    shown = []
    for row in rows:
        opened = parse_time(row["opened_at"])
        settled = parse_time(row["settled_at"]) if row["settled_at"] else None
        d = tickets.deadlines(row["kind"], opened, settled, rules)
        due = tickets.due_at(row["state"], d)
        done = {s: parse_time(row[f"{s}_at"]) for s in tickets.STATES[1:] if row[f"{s}_at"]}
        shown.append(
            {
                "id": row["id"],
                "kind": row["kind"],
                "category": row["category"],
                "state": row["state"],
                "waybills": links.get(row["id"], []),
                "phone_last4": row["phone_last4"],
                "words": row["words"],
                "opened_at": row["opened_at"],
                "opened_by": row["opened_by"],
                "due_at": iso(due) if due else None,
                "overdue": bool(due and now > due),
                "late": tickets.breaches(d, done, now),
                "outcome": row["outcome"],
                "satisfaction": row["satisfaction"],
                "follow_up_tries": row["follow_up_tries"],
                "age_minutes": int((now - opened).total_seconds() // 60),
            }
        )
    return shown


def list_tickets(
    store: Store, rules: ServiceSection, now: datetime, which: str = "all"
) -> list[dict[str, Any]]:
    """all, open (not yet followed up) or overdue (past the deadline of their state),
    oldest first."""
    states = LIVE_STATES if which in ("open", "overdue") else tickets.STATES
    shown = present(store, rules, now, store.service_tickets(states))
    return [t for t in shown if t["overdue"]] if which == "overdue" else shown


def follow_up_rate(store: Store) -> float | None:
    counts = store.service_ticket_counts()
    return tickets.follow_up_rate(counts.get("followed_up", 0), counts.get("settled", 0))
