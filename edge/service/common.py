"""Small helpers the service desk's records share: times as stored, waybill numbers."""

from __future__ import annotations

import re
from datetime import datetime

from edge.barcode import WAYBILL, waybill_text
from edge.carriers import recognise
from edge.privacy import mask_phone
from edge.service.errors import ServiceError

# A mainland mobile number, and an ID card number (18 characters, the last may be X),
# standing alone in free text.
_PHONE = re.compile(r"(?<!\d)1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)")
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


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


def scrub(text: str) -> str:
    """Free text as a station may keep it: a phone number written in it is masked
    (138****5678) and an ID card number cut to its last 4."""
    text = _ID_CARD.sub(lambda m: "**************" + m.group(0)[-4:], text)
    return _PHONE.sub(lambda m: mask_phone(m.group(0)) or "", text)
