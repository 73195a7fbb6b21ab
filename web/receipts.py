"""Signed receipts (回单): mark a parcel, sign it against its requirement (the pickup
page links here for such parcels), pack signed receipts into batches, see what is due."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from edge.barcode import SIGNER_RELATIONS
from edge.service import receipts, receipts_desk, sends
from edge.service.errors import ServiceError
from edge.service.receipts import Signing
from web import catalog, context
from web.auth import supervisor_only
from web.desk import take_photos
from web.present import outcome_card
from web.service_common import number, refused, text

bp = Blueprint("receipts", __name__)


@bp.app_context_processor
def _pickup_hook() -> dict[str, Any]:
    """For the pickup page: which listed parcels must be signed here, with their receipt."""

    def receipts_needed(waybills: Iterable[str]) -> set[str]:
        return context.store().service_receipts_needed(list(waybills))

    return {"receipts_needed": receipts_needed}


@bp.get("/receipts")
def index() -> str:
    store, rules, now = context.store(), context.config().service, context.now()
    outstanding = receipts_desk.list_receipts(store, rules, now, "due")
    return render_template(
        "receipts.html",
        waiting=store.service_receipts(("required",)),
        outstanding=outstanding,
        carriers=sorted({r["carrier"] for r in outstanding if r["state"] == "signed"}),
        batches=store.service_batches(),
    )


@bp.post("/receipts/require")
def require() -> Response:
    needs = [n for n in ("signature", "id", "stamp") if request.form.get(n) == "1"]
    copies = number("copies", "receipt.copies") or 1
    try:
        receipts_desk.require(
            context.store(),
            context.config().service,
            context.now(),
            context.operator_id(),
            text("waybill") or "",
            ",".join([*needs, f"copies={copies}"]),
            hops=number("hops", "receipt.hops"),
        )
    except ServiceError as exc:
        raise refused(exc) from None
    return redirect(url_for("receipts.index"))


def _row(waybill: str) -> Any:
    row = context.store().service_receipt(waybill)
    if row is None:
        raise refused(ServiceError("receipt.not_required", waybill=waybill))
    return row


@bp.get("/receipts/sign/<waybill>")
def sign_form(waybill: str) -> str:
    return _sign_page(_row(waybill))


def _sign_page(
    row: Any, missing: list[str] | None = None, result: Any = None, due: str = ""
) -> str:
    return render_template(
        "receipt_sign.html",
        receipt=row,
        requirement=receipts_desk.requirement_of(row),
        relations=SIGNER_RELATIONS,
        form=request.form,
        missing=missing or [],
        result=result,
        due=due,
        missing_text=", ".join(
            catalog.label("receipt_field", f, context.lang()) for f in missing or []
        ),
        parcel=context.store().parcel(row["waybill"]),
        receipt_days=receipts.due_days(row["hops"], context.config().service),
    )


@bp.post("/receipts/sign/<waybill>")
def sign(waybill: str) -> Any:
    row = _row(waybill)
    relation = request.form.get("relation") or "self"
    if relation not in SIGNER_RELATIONS:
        raise context.bad("err.bad_choice", field=context.t("field.relation"))
    signing = Signing(
        signature=request.form.get("signature") == "1",
        id_last4=text("id_last4"),
        stamp=request.form.get("stamp") == "1",
        copies=number("copies", "receipt.copies_got") or 0,
        photos=sum(1 for f in request.files.getlist("photo") if f.filename),
        proxy_name=sends.mask_name(text("proxy_name")) if relation != "self" else None,
        proxy_id_last4=text("proxy_id_last4") if relation != "self" else None,
    )
    store = context.store()
    try:
        row = receipts_desk.check_signing(store, waybill, signing, relation)
    except ServiceError as exc:
        if exc.key != "receipt.missing":
            raise refused(exc) from None
        lacking = list(exc.params["fields"])  # type: ignore[call-overload]
        return _sign_page(row, missing=lacking), 409
    shas = take_photos()
    # The parcel is signed through the core, as at the pickup page; the receipt is
    # recorded only when the core accepted the signing.
    outcome = context.scan(
        "sign",
        waybill,
        signer_relation=relation,
        signer_id_last4=signing.id_last4,
        receipt_checked=True,
        note=f"{relation}: {signing.proxy_name}" if signing.proxy_name else None,
        photos=shas,
    )
    card = outcome_card(outcome, context.lang())
    if outcome.status != "accepted":
        return _sign_page(row, result=card), 409
    due = receipts_desk.record_signing(
        store,
        context.config().service,
        context.now(),
        context.operator_id(),
        row,
        signing,
        relation,
        shas,
    )
    return _sign_page(store.service_receipt(waybill), result=card, due=due.isoformat())


@bp.post("/receipts/batch")
def batch() -> Response:
    carrier = text("carrier") or ""
    try:
        receipts_desk.send_batch(
            context.store(),
            context.now(),
            context.operator_id(),
            carrier,
            text("branch"),
            request.form.getlist("waybill"),
        )
    except ServiceError as exc:
        raise refused(exc) from None
    return redirect(url_for("receipts.index"))


@bp.post("/receipts/batch/<int:bid>/confirm")
@supervisor_only
def confirm(bid: int) -> Response:
    """Until head office's confirmation arrives by sync, a supervisor records it."""
    try:
        receipts_desk.confirm_batch(context.store(), context.now(), context.operator_id(), bid)
    except ServiceError as exc:
        raise refused(exc) from None
    return redirect(url_for("receipts.index"))
