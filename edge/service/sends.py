"""Parcels sent from the station (寄件): masking, price by zone and sign deadline.

Pure. A price is the first kilogram plus each further started kilogram, in fen, from
the carrier's own row of the rate table or the ``*`` row for its zone.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from edge.service import provinces
from edge.service.errors import ServiceError
from edge.service.settings import Rate, ServiceSection

PAYMENTS = ("cash", "qr")
STATES = ("open", "signed")
MAX_WEIGHT_G = 100_000


def mask_name(name: str | None) -> str | None:
    """张** : the first character only (a station keeps no full names)."""
    name = (name or "").strip()
    if not name:
        return None
    return name[0] + "*" * min(max(len(name) - 1, 1), 3)


def zone_of(province_text: str, rules: ServiceSection) -> tuple[str, str]:
    """(short province name, zone), or ServiceError when it is not a province."""
    name = provinces.province(province_text)
    if name is None:
        raise ServiceError("send.bad_province", province=province_text)
    return name, provinces.zone(
        name, rules.home_province, rules.near_provinces, rules.remote_provinces
    )


def rate(carrier: str, zone: str, rates: list[Rate]) -> Rate:
    for wanted in (carrier, "*"):
        for row in rates:
            if row.carrier == wanted and row.zone == zone:
                return row
    raise ServiceError("send.no_rate", carrier=carrier, zone=zone)


def price_fen(weight_g: int, row: Rate) -> int:
    if not 0 < weight_g <= MAX_WEIGHT_G:
        raise ServiceError("send.bad_weight", max=MAX_WEIGHT_G)
    extra_kg = max(math.ceil(weight_g / 1000) - 1, 0)
    return row.first_fen + extra_kg * row.extra_fen


def sign_hours(zone: str, rules: ServiceSection) -> int:
    if zone == "remote":
        return rules.sign_hours_remote
    if zone == "far":
        return rules.sign_hours_far
    return rules.sign_hours_near


def sign_due(sent_at: datetime, zone: str, rules: ServiceSection) -> datetime:
    return sent_at + timedelta(hours=sign_hours(zone, rules))


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"
