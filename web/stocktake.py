"""Stocktake (盘点): choose a shelf, scan everything on it, see found / missing / extra.

Each scan is recorded at once as a stocktake scan through the core (durable like any
scan); closing stores the summary and audits it.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from edge.desk import layout
from web import context
from web.context import PageError, bad
from web.present import hms, outcome_card

bp = Blueprint("stocktake", __name__)


def shelf_choices() -> list[str]:
    """Whole shelves and each of their layers, as pickup codes and parcels name them;
    shelves added or changed on the page included."""
    config = layout.effective_config(context.config(), context.store().layout_shelves())
    choices = []
    for shelf in config.shelves:
        choices.append(shelf.id)
        choices += [f"{shelf.id}-{layer}" for layer in range(1, shelf.layers + 1)]
    return choices


def on_this_shelf(parcel_shelf: str | None, shelf: str) -> bool:
    if not parcel_shelf:
        return False
    return parcel_shelf == shelf or ("-" not in shelf and parcel_shelf.startswith(shelf + "-"))


def _session(stocktake_id: int) -> sqlite3.Row:
    row = context.store().web_stocktake(stocktake_id)
    if row is None:
        raise PageError(404, "err.not_found")
    return row


def view_of(row: sqlite3.Row) -> dict[str, Any]:
    store = context.store()
    items = store.web_stocktake_items(row["id"])
    scanned = {i["waybill"] for i in items}
    found = [i for i in items if i["verdict"] == "found"]
    extra = [i for i in items if i["verdict"] == "extra"]
    if row["closed_at"]:
        summary = json.loads(row["summary"] or "{}")
        missing = [{"waybill": w} for w in summary.get("missing", [])]
    else:
        missing = [dict(p) for p in store.web_on_shelf(row["shelf"]) if p["waybill"] not in scanned]
    return {"found": found, "missing": missing, "extra": extra}


@bp.get("/stocktake")
def index() -> str:
    return render_template(
        "stocktake_list.html", shelves=shelf_choices(), sessions=context.store().web_stocktakes()
    )


@bp.post("/stocktake")
def start() -> Response:
    shelf = (request.form.get("shelf") or "").strip()
    if shelf not in shelf_choices():
        raise bad("err.bad_choice", field=context.t("field.shelf"))
    new_id = context.store().web_stocktake_open(
        shelf, context.operator_id(), context.desk_device(), context.now_iso()
    )
    return redirect(url_for("stocktake.page", stocktake_id=new_id))


@bp.get("/stocktake/<int:stocktake_id>")
def page(stocktake_id: int) -> str:
    row = _session(stocktake_id)
    return render_template("stocktake.html", st=row, **view_of(row))


@bp.post("/api/stocktake/<int:stocktake_id>/scan")
def scan(stocktake_id: int) -> Any:
    row = _session(stocktake_id)
    if row["closed_at"]:
        raise PageError(409, "err.stocktake_closed")
    code = (request.form.get("code") or "").strip()
    if not code:
        raise bad("err.code_missing")
    store = context.store()
    outcome = context.scan("stocktake", code)
    answer = outcome_card(outcome, context.lang(), hms(context.now_iso()))
    if outcome.waybill and outcome.status != "duplicate":
        parcel = store.parcel(outcome.waybill)
        here = (
            parcel is not None
            and parcel["state"] == "on_shelf"
            and on_this_shelf(parcel["shelf"], row["shelf"])
        )
        verdict = "found" if here else "extra"
        store.web_stocktake_add(
            stocktake_id, outcome.waybill, context.now_iso(), verdict, parcel, outcome.seq
        )
        answer["verdict"] = verdict
        answer["verdict_text"] = context.t("stock." + verdict)
    return jsonify(answer)


@bp.post("/stocktake/<int:stocktake_id>/close")
def close(stocktake_id: int) -> Response:
    row = _session(stocktake_id)
    view = view_of(row)
    summary = {
        "shelf": row["shelf"],
        "found": len(view["found"]),
        "missing": [p["waybill"] for p in view["missing"]],
        "extra": [i["waybill"] for i in view["extra"]],
    }
    if not context.store().web_stocktake_close(
        stocktake_id, context.now_iso(), context.operator_id(), summary
    ):
        raise PageError(409, "err.stocktake_closed")
    return redirect(url_for("stocktake.page", stocktake_id=stocktake_id))
