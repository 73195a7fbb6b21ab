"""Parcels sent from the station (寄件): price from the rate table, weight from the
paired scale, record with payment; the open list with the chase list standing out."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from edge.carriers import CARRIERS
from edge.service import provinces, sends, sends_desk
from edge.service.errors import ServiceError
from web import context, live
from web.service_common import number, refused, text

bp = Blueprint("sends", __name__)


def _page(status: int = 200, **shown: Any) -> Any:
    store, now = context.store(), context.now()
    return render_template(
        "sends.html",
        carriers=sorted(CARRIERS),
        provinces=provinces.PROVINCES,
        payments=sends.PAYMENTS,
        today=sends_desk.day_counts(store, now),
        sendings=sends_desk.list_sendings(store, now, "open"),
        form=request.form,
        **shown,
    ), status


@bp.get("/sends")
def index() -> Any:
    return _page()


@bp.post("/sends")
def send() -> Any:
    # A weight typed by the clerk wins; otherwise the scale's fresh stable weight.
    weight = number("weight_g", "send.weight") or live.desk_scale()["stable_g"]
    if not weight:
        raise context.bad("send.weight_needed")
    carrier, province = text("carrier") or "", text("province") or ""
    try:
        if request.form.get("action") == "quote":
            return _page(
                quote=sends_desk.quote(context.config().service, carrier, weight, province)
            )
        done = sends_desk.send(
            context.store(),
            context.config().service,
            context.now(),
            context.operator_id(),
            carrier=carrier,
            weight_g=weight,
            province=province,
            waybill=text("waybill") or "",
            payment=text("payment") or "",
            city=text("city"),
            district=text("district"),
            sender_name=text("sender_name"),
            sender_phone_last4=text("sender_phone_last4"),
            receiver_name=text("receiver_name"),
            receiver_phone_last4=text("receiver_phone_last4"),
        )
    except ServiceError as exc:
        raise refused(exc) from None
    return _page(quote=done, recorded=done["waybill"])
