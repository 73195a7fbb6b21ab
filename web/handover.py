"""Courier handover (到件交接) at the receive desk: pick the courier, scan, watch the
count against the manifest, close with the courier's signature, print the sheet."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from edge.carriers import CARRIERS
from edge.desk import pdf, summaries
from edge.desk.rules import COURIER_ID
from edge.privacy import scrub, valid_last4
from web import catalog, context, sheets
from web.auth import supervisor_only
from web.context import PageError, bad

bp = Blueprint("handover", __name__)


def _sheet(handover_id: int) -> dict[str, Any]:
    sheet = summaries.handover(context.store(), handover_id)
    if sheet is None:
        raise PageError(404, "err.not_found")
    return sheet


@bp.get("/handover")
def index() -> str:
    store = context.store()
    return render_template(
        "handover.html",
        couriers=store.couriers(),
        handovers=store.handovers()[:30],
        open_here=store.handover_open_at(context.desk_device()),
        carriers=sorted(CARRIERS),
    )


@bp.post("/couriers")
@supervisor_only
def add_courier() -> Response:
    courier_id = (request.form.get("id") or "").strip()
    name = scrub((request.form.get("name") or "").strip()[:40])
    carrier = request.form.get("carrier") or ""
    phone = (request.form.get("phone_last4") or "").strip() or None
    if not COURIER_ID.match(courier_id) or not name:
        raise bad("day.err_courier_id")
    if carrier not in CARRIERS:
        raise bad("err.bad_choice", field=context.t("field.carrier"))
    if phone is not None and not valid_last4(phone):
        raise bad("err.last4", field=context.t("field.phone_last4"))
    context.store().courier_save(courier_id, name, carrier, phone, context.now_iso())
    return redirect(url_for("handover.index"))


@bp.post("/couriers/<courier_id>/active")
@supervisor_only
def set_courier_active(courier_id: str) -> Response:
    active = request.form.get("active") == "1"
    if not context.store().courier_set_active(courier_id, active, context.operator_id()):
        raise PageError(404, "err.not_found")
    return redirect(url_for("handover.index"))


@bp.post("/handover/open")
def open_handover() -> Response:
    courier = context.store().courier(request.form.get("courier") or "")
    if courier is None or not courier["active"]:
        raise bad("day.err_courier")
    handover_id = context.store().handover_open(
        courier, context.desk_device(), context.operator_id(), context.now_iso()
    )
    return redirect(url_for("handover.show", handover_id=handover_id))


@bp.get("/handover/<int:handover_id>")
def show(handover_id: int) -> str:
    sheet = _sheet(handover_id)
    template = "handover_sheet.html" if sheet["closed_at"] else "handover_live.html"
    return render_template(template, h=sheet)


@bp.get("/api/handover/<int:handover_id>")
def api_counts(handover_id: int) -> Any:
    return jsonify(_sheet(handover_id))


@bp.post("/handover/<int:handover_id>/close")
def close(handover_id: int) -> Response:
    sheet = _sheet(handover_id)
    if sheet["closed_at"]:
        raise PageError(409, "day.err_closed")
    signature = sheets.take_signature()
    # A double submit can pass the check above; the store closes a sheet once only.
    if not context.store().handover_close(handover_id, context.now_iso(), signature):
        raise PageError(409, "day.err_closed")
    return redirect(url_for("handover.show", handover_id=handover_id))


@bp.get("/handover/<int:handover_id>/sheet.pdf")
def sheet_pdf(handover_id: int) -> Response:
    h = _sheet(handover_id)
    t, local = context.t, context.local
    rows = [[w, t("day.missing")] for w in h["missing_waybills"]]
    rows += [[w, t("day.extra")] for w in h["extra_waybills"]]
    sheet = pdf.Sheet(
        title=t("day.handover_sheet"),
        fields=[
            (t("day.station"), context.config().station.code),
            (t("day.courier"), f"{h['courier_name']} ({h['courier']})"),
            (t("field.carrier"), catalog.label("carrier", h["carrier"], context.lang())),
            (t("day.opened"), local(h["opened_at"])),
            (t("day.closed"), local(h["closed_at"])),
            (t("day.counts"), t("day.counts_line", **_counts(h))),
        ],
        header=[t("field.waybill"), t("day.verdict")],
        rows=rows,
        signature_label=t("day.courier_signature"),
    )
    return sheets.pdf_response(sheet, h["signature"], f"handover-{handover_id}")


def _counts(h: dict[str, Any]) -> dict[str, int]:
    return {k: h[k] for k in ("expected", "scanned", "missing", "extra")}
