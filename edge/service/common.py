"""Small helpers the service desk's records share: times as stored, waybill numbers."""

from __future__ import annotations

from datetime import datetime

from edge.barcode import WAYBILL, waybill_text
from edge.carriers import recognise
from edge.service.errors import ServiceError


def iso(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


def parse_time(text: str | None) -> datetime:
    """A stored time (always written by ``iso``); a missing one is an error of ours."""
    if not text:
        raise ValueError("no time stored")
    return datetime.fromisoformat(text)


def clean_waybill(text: str, error_key: str) -> str:
    """The canonical waybill number in what was scanned or typed."""
    raw = waybill_text(text.strip())
    if not WAYBILL.match(raw):
        raise ServiceError(error_key, waybill=raw[:40])
    found = recognise(raw)
    if found.check_digit == "bad":
        raise ServiceError(error_key, waybill=raw[:40])
    return found.waybill
