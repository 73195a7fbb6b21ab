"""Tickets (工单) at the counter: open with the customer's words and photos, move on,
follow up; the list by age with overdue ones standing out and the follow-up rate."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from edge.service import tickets, tickets_desk
from edge.service.errors import ServiceError
from web import catalog, context
from web.desk import take_photos
from web.service_common import number, refused, text

bp = Blueprint("tickets", __name__)


def _rules() -> Any:
    return context.config().service


@bp.get("/tickets")
def index() -> str:
    store, now = context.store(), context.now()
    rate = tickets_desk.follow_up_rate(store)
    return render_template(
        "tickets.html",
        tickets=tickets_desk.list_tickets(store, _rules(), now, "open"),
        rate="-" if rate is None else f"{rate:.0%}",
        kinds=tickets.KINDS,
        categories=tickets.CATEGORIES,
        rules=_rules(),
    )


@bp.post("/tickets")
def open_ticket() -> Response:
    waybills = (request.form.get("waybills") or "").split()[:20]
    try:
        # Checked before the photos are stored, so a refused ticket leaves no files.
        kind, category = request.form.get("kind") or "", text("category")
        tid = tickets_desk.open_ticket(
            context.store(),
            _rules(),
            context.now(),
            context.operator_id(),
            kind=kind,
            words=text("words", tickets_desk.MAX_WORDS) or "",
            waybills=waybills,
            phone_last4=text("phone_last4"),
            category=category,
            photos=_photos_if_valid(),
        )
    except ServiceError as exc:
        raise refused(exc) from None
    return redirect(url_for("tickets.ticket", tid=tid))


def _photos_if_valid() -> tuple[str, ...]:
    if request.form.get("kind") not in tickets.KINDS or not text("words"):
        return ()
    return take_photos()


@bp.get("/tickets/<int:tid>")
def ticket(tid: int) -> str:
    store = context.store()
    row = store.service_ticket(tid)
    if row is None:
        raise refused(ServiceError("ticket.not_found", id=tid))
    shown = tickets_desk.present(store, _rules(), context.now(), [row])[0]
    return render_template(
        "ticket.html",
        ticket=shown,
        late=", ".join(catalog.label("late_stage", s, context.lang()) for s in shown["late"]),
        history=store.service_ticket_events(tid),
        photos=store.service_ticket_photos(tid),
        parcels=_parcels(shown),
        states=tickets.STATES,
    )


def _parcels(ticket: dict[str, Any]) -> list[Any]:
    """What the station knows of the ticket's parcels: its waybills, and the parcels on
    the shelves for its phone (an inquiry is often "where is mine?")."""
    store = context.store()
    found = {w: store.parcel(w) for w in ticket["waybills"]}
    if ticket["phone_last4"]:
        found.update((r["waybill"], r) for r in store.find_parcels(ticket["phone_last4"]))
    return [p for p in found.values() if p is not None]


@bp.post("/tickets/<int:tid>")
def update(tid: int) -> Response:
    unreachable = request.form.get("unreachable") == "1"
    state = "followed_up" if unreachable else request.form.get("state") or ""
    try:
        tickets_desk.update_ticket(
            context.store(),
            _rules(),
            context.now(),
            context.operator_id(),
            tid,
            state=state,
            words=text("note", tickets_desk.MAX_WORDS),
            satisfaction=None if unreachable else number("satisfaction", "ticket.satisfaction"),
            unreachable=unreachable,
        )
    except ServiceError as exc:
        raise refused(exc) from None
    return redirect(url_for("tickets.ticket", tid=tid))
