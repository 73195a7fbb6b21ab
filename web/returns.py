"""Parcels leaving in batches: returns to the carrier (退件) from the return list and
refusals at the counter (拒收), and delivery batches (批量出库). Scanned out against the
batch, strays flagged, closed with the courier's signature on the sheet."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from edge.barcode import waybill_text
from edge.carriers import CARRIERS
from edge.desk import pdf, summaries
from edge.desk.rules import BATCH_KINDS
from edge.identify import identify
from edge.messages import Message
from edge.privacy import scrub
from web import catalog, context, sheets
from web.context import PageError, bad
from web.present import card, hms, outcome_card

bp = Blueprint("returns", __name__)


def _batch(batch_id: int) -> dict[str, Any]:
    found = summaries.batch(context.store(), batch_id)
    if found is None:
        raise PageError(404, "err.not_found")
    return found


def _page(result: dict[str, Any] | None = None) -> str:
    store = context.store()
    candidates = store.return_candidates()
    by_carrier: dict[str, list[Any]] = {}
    for row in candidates:
        by_carrier.setdefault(row["carrier"] or "", []).append(row)
    return render_template(
        "returns.html",
        by_carrier=by_carrier,
        couriers=[c for c in store.couriers() if c["active"]],
        batches=store.batches(),
        carriers=sorted(CARRIERS),
        result=result,
    )


@bp.get("/returns")
def index() -> str:
    return _page()


@bp.post("/returns/refused")
def refused() -> Any:
    """拒收 at the counter: the refusal (a problem scan) and the return list, one step."""
    code = (request.form.get("code") or "").strip()
    if not code:
        raise bad("err.code_missing")
    note = scrub((request.form.get("note") or "").strip()[:200]) or None
    store = context.store()
    with store.transaction():
        outcome = context.scan("problem", code, reason="refused", note=note)
        if outcome.status == "accepted" and outcome.waybill:
            parcel = store.parcel(outcome.waybill)
            if parcel is not None and parcel["state"] == "on_shelf":
                days = (context.now() - datetime.fromisoformat(parcel["received_at"])).days
                store.web_return_add([(outcome.waybill, days)], context.now_iso(),
                                     context.operator_id())  # fmt: skip
                store.return_reason_set(outcome.waybill, "refused", note, context.now_iso(),
                                        context.operator_id())  # fmt: skip
    result = outcome_card(outcome, context.lang())
    return _page(result), 409 if outcome.status == "refused" else 200


@bp.post("/batch/open")
def open_batch() -> Response:
    kind = request.form.get("kind") or ""
    carrier = request.form.get("carrier") or ""
    if kind not in BATCH_KINDS or carrier not in CARRIERS:
        raise bad("err.bad_choice", field=context.t("field.carrier"))
    courier = request.form.get("courier") or None
    if courier is not None and context.store().courier(courier) is None:
        raise bad("day.err_courier")
    batch_id = context.store().batch_open(
        kind, carrier, courier, context.desk_device(), context.operator_id(), context.now_iso()
    )
    return redirect(url_for("returns.show", batch_id=batch_id))


@bp.get("/batch/<int:batch_id>")
def show(batch_id: int) -> str:
    b = _batch(batch_id)
    return render_template("batch_sheet.html" if b["closed_at"] else "batch_live.html", b=b)


@bp.get("/api/batch/<int:batch_id>")
def api_batch(batch_id: int) -> Any:
    b = _batch(batch_id)
    b["out_waybills"] = [i["waybill"] for i in b["items"] if i["seq"] is not None]
    b["left_n"] = len(b["left"])
    return jsonify(b)


@bp.post("/api/batch/<int:batch_id>/scan")
def api_scan(batch_id: int) -> Any:
    b = _batch(batch_id)
    if b["closed_at"]:
        raise PageError(409, "day.err_closed")
    code = (request.form.get("code") or "").strip()
    if not code:
        raise bad("err.code_missing")
    store, now = context.store(), context.now_iso()
    waybill = waybill_text(code)
    with store.transaction():
        row = store.batch(batch_id)
        if row is None or row["closed_at"]:  # closed since the check above
            raise PageError(409, "day.err_closed")
        item = store.batch_item(batch_id, waybill)
        parcel = store.parcel(waybill)
        # Strays stay: off the return list, or (delivery) not on the shelves.
        listed = item is not None and item["listed"]
        here = parcel is not None and parcel["state"] == "on_shelf"
        if not (listed if b["kind"] == "return" else here):
            found = identify(code, "dispatch", b["carrier"])
            if isinstance(found, Message) or not found.recognition.carriers:
                # Kept only when some carrier's format fits: a phone typed here is no stray.
                message = (
                    found
                    if isinstance(found, Message)
                    else Message("not_waybill", {"code": waybill[:40]})
                )
                return jsonify(_refusal(message)), 409
            store.batch_mark(batch_id, waybill, None, None, now)
            return jsonify(_stray(waybill, b["kind"])), 409
        reason = "return" if b["kind"] == "return" else "delivery"
        outcome = context.scan("dispatch", code, reason=reason, carrier_hint=b["carrier"])
        if outcome.status == "accepted" and outcome.waybill:
            store.batch_mark(batch_id, outcome.waybill, outcome.seq,
                             item["reason"] if item else None, now)  # fmt: skip
            if b["kind"] == "return":
                # Its problems (a refusal, say) end here: it went back to the carrier.
                note = context.t("day.returned_in", id=batch_id)
                store.problems_resolve_all(outcome.waybill, "returned", note,
                                           context.operator_id(), now)  # fmt: skip
    answer = outcome_card(outcome, context.lang(), hms(now))
    return jsonify(answer), 409 if outcome.status == "refused" else 200


def _refusal(message: Message) -> dict[str, Any]:
    data = {"status": "refused", "message_zh": message.zh, "message_en": message.en}
    return card(data, context.lang())


def _stray(waybill: str, kind: str) -> dict[str, Any]:
    key = "day.stray" if kind == "return" else "day.stray_delivery"
    data = {"status": "refused", "waybill": waybill, "message_zh": catalog.text(key, "zh"),
            "message_en": catalog.text(key, "en")}  # fmt: skip
    return card(data, context.lang())


@bp.post("/batch/<int:batch_id>/close")
def close(batch_id: int) -> Response:
    if _batch(batch_id)["closed_at"]:
        raise PageError(409, "day.err_closed")
    signature = sheets.take_signature()
    # A double submit can pass the check above; the store closes a batch once only.
    if not context.store().batch_close(
        batch_id, context.now_iso(), signature, context.operator_id()
    ):
        raise PageError(409, "day.err_closed")
    return redirect(url_for("returns.show", batch_id=batch_id))


@bp.get("/batch/<int:batch_id>/sheet.pdf")
def sheet_pdf(batch_id: int) -> Response:
    b = _batch(batch_id)
    t, lang = context.t, context.lang()
    out = [i for i in b["items"] if i["seq"] is not None]
    sheet = pdf.Sheet(
        title=t("day.return_sheet" if b["kind"] == "return" else "day.delivery_sheet"),
        fields=[
            (t("day.station"), context.config().station.code),
            (t("day.courier"), b["courier_name"] or ""),
            (t("field.carrier"), catalog.label("carrier", b["carrier"], lang)),
            (t("day.opened"), context.local(b["opened_at"])),
            (t("day.closed"), context.local(b["closed_at"])),
            (
                t("day.counts"),
                t(
                    "day.batch_line",
                    out=len(out),
                    listed=b["listed"],
                    left=len(b["left"]),
                    strays=len(b["strays"]),
                ),
            ),
        ],
        header=[t("field.waybill"), t("field.reason")],
        rows=[[i["waybill"], catalog.label("reason", i["reason"], lang) or "-"] for i in out],
        signature_label=t("day.courier_signature"),
        notes=[t("day.strays_line", waybills=" ".join(b["strays"]))] if b["strays"] else [],
    )
    return sheets.pdf_response(sheet, b["signature"], f"batch-{batch_id}")
