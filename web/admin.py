"""Running the station from the page (supervisors): operators added, disabled, enabled,
their PIN reset and role changed, every change audited; the audit log with filters."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from edge.pins import hash_pin, pin_problem
from web import context
from web.auth import supervisor_only
from web.context import PageError, bad

bp = Blueprint("admin", __name__)

ROLES = ("clerk", "supervisor")
OPERATOR_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
FILTER_MAX = 64


@bp.get("/admin/operators")
@supervisor_only
def operators() -> str:
    return render_template(
        "admin_operators.html", operators=context.store().web_operators(), roles=ROLES
    )


def _pin() -> str:
    pin = request.form.get("pin") or ""
    if pin_problem(pin):
        raise bad("admin.err_pin")
    return hash_pin(pin)


@bp.post("/admin/operators")
@supervisor_only
def add() -> Response:
    operator_id = (request.form.get("id") or "").strip()
    name = (request.form.get("name") or "").strip()[:40]
    role = request.form.get("role") or ""
    if not OPERATOR_ID.match(operator_id) or not name or role not in ROLES:
        raise bad("admin.err_operator")
    added = context.store().admin_operator_add(
        operator_id, name, role, _pin(), context.operator_id(), context.now_iso()
    )
    if not added:
        raise PageError(409, "admin.err_taken", id=operator_id)
    return redirect(url_for("admin.operators"))


@bp.post("/admin/operators/<operator_id>")
@supervisor_only
def change(operator_id: str) -> Response:
    store = context.store()
    target = store.operator(operator_id)
    if target is None:
        raise PageError(404, "err.not_found")
    action = request.form.get("action") or ""
    value: str | None = None
    if action == "role":
        value = request.form.get("role") or ""
        if value not in ROLES:
            raise bad("err.bad_choice", field=context.t("ops.role"))
    elif action == "pin":
        value = _pin()
    elif action not in ("disable", "enable"):
        raise bad("err.bad_request")
    # The station must keep a supervisor who can sign in: checked in the change's own
    # transaction, so two supervisors disabling each other at once cannot both succeed.
    demotes = action == "disable" or (action == "role" and value != "supervisor")
    with store.transaction():
        if (
            demotes
            and target["role"] == "supervisor"
            and target["active"]
            and store.admin_active_supervisors() <= 1
        ):
            raise PageError(409, "admin.err_last_supervisor")
        store.admin_operator_change(operator_id, context.operator_id(), action, value)
    return redirect(url_for("admin.operators"))


def _day(name: str, shift: int = 0) -> str | None:
    text = request.args.get(name) or ""
    if not text:
        return None
    try:
        day = date.fromisoformat(text) + timedelta(days=shift)
    except (ValueError, OverflowError):  # OverflowError: the day after 9999-12-31
        raise bad("admin.err_date") from None
    return datetime.combine(day, time(), context.config().tz).isoformat()


@bp.get("/admin/audit")
@supervisor_only
def audit() -> str:
    store = context.store()
    # Bounded: ids and action names are short, and SQLite refuses a LIKE pattern over 50 kB.
    actor = (request.args.get("actor") or "").strip()[:FILTER_MAX] or None
    action = (request.args.get("action") or "").strip()[:FILTER_MAX] or None
    rows = store.admin_audit(actor, action, _day("since"), _day("until", 1))
    return render_template(
        "admin_audit.html",
        rows=rows,
        actions=store.admin_audit_actions(),
        operators=store.web_operators(),
        args=request.args,
    )
