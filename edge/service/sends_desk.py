"""Parcels sent from the station (寄件), for the page and the CLI: price, record, chase."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from edge.carriers import CARRIERS
from edge.privacy import scrub, valid_last4
from edge.service import sends
from edge.service.common import clean_waybill, iso, parse_time
from edge.service.errors import ServiceError
from edge.service.settings import ServiceSection
from edge.store import Store

LISTS = ("all", "open", "overdue")
PLACE_MAX = 20


def quote(rules: ServiceSection, carrier: str, weight_g: int, province: str) -> dict[str, Any]:
    """Price and sign deadline of a sending before it is recorded."""
    if carrier not in CARRIERS:
        raise ServiceError("send.bad_carrier", carrier=carrier)
    name, zone = sends.zone_of(province, rules)
    price = sends.price_fen(weight_g, sends.rate(carrier, zone, rules.rates))
    return {
        "carrier": carrier,
        "province": name,
        "zone": zone,
        "weight_g": weight_g,
        "price_fen": price,
        "price_yuan": sends.yuan(price),
        "sign_hours": sends.sign_hours(zone, rules),
    }


def send(
    store: Store,
    rules: ServiceSection,
    now: datetime,
    operator: str,
    *,
    carrier: str,
    weight_g: int,
    province: str,
    waybill: str,
    payment: str = "cash",
    city: str | None = None,
    district: str | None = None,
    sender_name: str | None = None,
    sender_phone_last4: str | None = None,
    receiver_name: str | None = None,
    receiver_phone_last4: str | None = None,
) -> dict[str, Any]:
    priced = quote(rules, carrier, weight_g, province)
    waybill = clean_waybill(waybill, "send.bad_waybill")
    if payment not in sends.PAYMENTS:
        raise ServiceError("send.bad_payment")
    for field, value in (
        ("sender_phone_last4", sender_phone_last4),
        ("receiver_phone_last4", receiver_phone_last4),
    ):
        if value is not None and not valid_last4(value):
            raise ServiceError("send.bad_last4", field=field)
    due = sends.sign_due(now, priced["zone"], rules)
    record = {
        "waybill": waybill,
        "carrier": carrier,
        "sender_name": sends.mask_name(sender_name),
        "sender_phone_last4": sender_phone_last4,
        "receiver_name": sends.mask_name(receiver_name),
        "receiver_phone_last4": receiver_phone_last4,
        "province": priced["province"],
        "city": scrub((city or "").strip()[:PLACE_MAX]) or None,
        "district": scrub((district or "").strip()[:PLACE_MAX]) or None,
        "zone": priced["zone"],
        "weight_g": weight_g,
        "price_fen": priced["price_fen"],
        "payment": payment,
        "sent_at": iso(now),
        "sent_by": operator,
        "sign_due_at": iso(due),
    }
    sid = store.service_send(record)
    if sid is None:
        raise ServiceError("send.duplicate", waybill=waybill)
    return {"id": sid, **priced, "waybill": waybill, "payment": payment, "sign_due_at": iso(due)}


def list_sendings(store: Store, now: datetime, which: str = "all") -> list[dict[str, Any]]:
    """all, open (no sign record yet) or overdue: the chase list, open past its deadline."""
    states = ("open",) if which in ("open", "overdue") else sends.STATES
    shown = []
    for row in store.service_sendings(states):
        item = dict(row)
        item.pop("sync_state")
        item["price_yuan"] = sends.yuan(row["price_fen"])
        item["overdue"] = row["state"] == "open" and now > parse_time(row["sign_due_at"])
        shown.append(item)
    return [s for s in shown if s["overdue"]] if which == "overdue" else shown


def day_counts(store: Store, day: datetime) -> dict[str, Any]:
    """Sendings and takings of the station's local day containing ``day``."""
    start = datetime.combine(day.date(), time(), day.tzinfo)
    counts = store.service_day_counts(iso(start), iso(start + timedelta(days=1)))
    return {
        "date": day.date().isoformat(),
        **counts,
        **{f"{k}_yuan": sends.yuan(counts[f"{k}_fen"]) for k in ("takings", "cash", "qr")},
    }
