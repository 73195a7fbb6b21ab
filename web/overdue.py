"""Parcels left too long (滞留件) and the return list they go on with one tap."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from web import context
from web.context import bad

bp = Blueprint("overdue", __name__)


def overdue_parcels() -> list[dict[str, Any]]:
    """On the shelves at least warn_days, oldest first, with days and a warn/return flag."""
    rules = context.config().overdue
    now = context.now()
    cutoff = (now - timedelta(days=rules.warn_days)).isoformat(timespec="seconds")
    rows = context.store().parcels_where(state="on_shelf", received_before=cutoff)
    listed = context.store().web_returns_listed([r["waybill"] for r in rows])
    parcels = []
    for row in rows:
        try:
            days = (now - datetime.fromisoformat(row["received_at"])).days
        except (TypeError, ValueError):
            continue
        item = dict(row)
        item["days"] = days
        item["flag"] = "return" if days >= rules.return_days else "warn"
        item["listed"] = row["waybill"] in listed
        parcels.append(item)
    return parcels


@bp.get("/overdue")
def index() -> str:
    return render_template(
        "overdue.html",
        parcels=overdue_parcels(),
        returns=context.store().web_return_list(),
        rules=context.config().overdue,
    )


@bp.post("/overdue/return")
def add_to_returns() -> Response:
    parcels = {p["waybill"]: p for p in overdue_parcels()}
    if request.form.get("all") == "1":
        chosen = [w for w, p in parcels.items() if p["flag"] == "return"]
    else:
        chosen = [w for w in request.form.getlist("waybill") if w in parcels]
        if not chosen:
            raise bad("err.pickup_none")
    context.store().web_return_add(
        [(w, parcels[w]["days"]) for w in chosen], context.now_iso(), context.operator_id()
    )
    return redirect(url_for("overdue.index"))
