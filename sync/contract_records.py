"""The shapes of version 3's records and updates (docs/HEAD-OFFICE-API.md, "Version 3").

A leaf beside ``sync.contract``: the station checks what it sends with the same rules the
receiver applies, so a record is refused only for a real fault. Each check returns the
first problem as "field: what is wrong", or None.

Bodies are strict: a field the kind does not name is refused, because a receiver stores a
body as it comes and an unnamed field could carry what a station must not send (a whole
phone number). Named fields may be omitted or null unless marked required.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from sync.contract import (
    CARRIER,
    LAST4,
    MASKED_NAME,
    NOTIFY_REASON_MAX,
    NOTIFY_STATUSES,
    NOTIFY_TEMPLATES,
    RECORD_BODY_MAX,
    RECORD_ID,
    RECORD_KINDS,
    RECORD_VERSION,
    RECORDS_MAX,
    SHA256,
    UPDATE_KINDS,
    WAYBILL,
    is_int,
    is_text,
    mask_whole_numbers,
    parse_rfc3339,
)

Check = Callable[[Any], str | None]
LIST_MAX = 5000
WORDS_MAX = 2000
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def text(max_len: int = 64, pattern: re.Pattern[str] | None = None) -> Check:
    """A string of 1 to max_len characters (of a pattern), holding no whole number."""

    def check(value: Any) -> str | None:
        if not isinstance(value, str) or not 0 < len(value) <= max_len or not is_text(value):
            return f"expected text of 1 to {max_len} characters"
        if pattern is not None and not pattern.fullmatch(value):
            return "not of the expected form"
        if mask_whole_numbers(value) != value:
            return "holds a whole phone or ID number"
        return None

    return check


def integer(lo: int, hi: int) -> Check:
    return lambda v: None if is_int(v) and lo <= v <= hi else f"expected an integer {lo}-{hi}"


def one_of(*values: str) -> Check:
    return lambda v: None if v in values else f"expected one of {', '.join(values)}"


def flag(value: Any) -> str | None:
    return None if isinstance(value, bool) else "expected true or false"


def time(value: Any) -> str | None:
    return None if parse_rfc3339(value) is not None else "expected RFC 3339 with an offset"


def items(check: Check, max_items: int = LIST_MAX) -> Check:
    def run(value: Any) -> str | None:
        if not isinstance(value, list) or len(value) > max_items:
            return f"expected a list of at most {max_items}"
        for i, item in enumerate(value):
            if (problem := check(item)) is not None:
                return f"[{i}]: {problem}"
        return None

    return run


def shape(fields: Mapping[str, tuple[Check, bool]]) -> Check:
    """An object with only these fields, each (check, required)."""

    def run(value: Any) -> str | None:
        if not isinstance(value, dict):
            return "expected an object"
        for key in value:
            if key not in fields:
                return f"{str(key)[:40]}: not a field of this record"
        for key, (check, required) in fields.items():
            got = value.get(key)
            if got is None:
                if required:
                    return f"{key}: required"
                continue
            if (problem := check(got)) is not None:
                return f"{key}{'' if problem.startswith('[') else ': '}{problem}"
        return None

    return run


def statement(value: Any, depth: int = 0) -> str | None:
    """A monthly statement: nested objects and lists of numbers and short texts."""
    if depth > 5:
        return "nested too deep"
    if isinstance(value, dict):
        for key in value:
            if (problem := text(64)(key)) is not None:
                return f"key {problem}"
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            if item is not None and (problem := statement(item, depth + 1)) is not None:
                return problem
        return None
    if isinstance(value, str):
        return text(200)(value)
    if isinstance(value, bool | int | float):
        return None
    return "expected numbers and short texts"


def _req(check: Check) -> tuple[Check, bool]:
    return check, True


def _opt(check: Check) -> tuple[Check, bool]:
    return check, False


_WAYBILL = text(40, WAYBILL)
_CARRIER = text(32, CARRIER)
_LAST4 = text(4, LAST4)
_NAME = text(4, MASKED_NAME)
_PHOTOS = items(text(64, SHA256), 50)
_COUNT = integer(0, 1_000_000)

BODIES: dict[str, Check] = {
    "handover": shape(
        {
            "carrier": _opt(_CARRIER),
            "courier": _req(text()),
            "device": _opt(text()),
            "operator": _opt(text()),
            "opened_at": _req(time),
            "closed_at": _req(time),
            "expected": _req(_COUNT),
            "scanned": _req(_COUNT),
            "waybills": _req(items(_WAYBILL)),
            "missing": _req(items(_WAYBILL)),
            "extra": _req(items(_WAYBILL)),
            "signature": _opt(text(64, SHA256)),
        }
    ),
    "dispatch_batch": shape(
        {
            "purpose": _req(one_of("return", "delivery")),
            "carrier": _opt(_CARRIER),
            "courier": _opt(text()),
            "device": _opt(text()),
            "operator": _opt(text()),
            "opened_at": _req(time),
            "closed_at": _req(time),
            "signature": _opt(text(64, SHA256)),
            "items": _req(
                items(
                    shape(
                        {
                            "waybill": _req(_WAYBILL),
                            "reason": _opt(text(500)),
                            "listed": _req(flag),
                            "out": _req(flag),
                            "stray": _req(flag),
                            "at": _opt(time),
                        }
                    )
                )
            ),
        }
    ),
    "resolution": shape(
        {
            "problem_seq": _req(integer(1, 2**63 - 1)),
            "waybill": _req(_WAYBILL),
            "resolution": _req(
                one_of("found", "delivered", "returned", "compensated", "written_off")
            ),
            "note": _opt(text(500)),
            "operator": _req(text()),
            "resolved_at": _req(time),
        }
    ),
    "monthly": shape(
        {
            "month": _req(text(7, _MONTH)),
            "made_at": _req(time),
            "statement": _req(statement),
        }
    ),
    "ticket": shape(
        {
            "kind": _req(one_of("inquiry", "complaint", "claim")),
            "category": _req(text()),
            "state": _req(one_of("open", "answered", "settled", "followed_up")),
            "phone_last4": _opt(_LAST4),
            "words": _req(text(WORDS_MAX)),
            "opened_at": _req(time),
            "opened_by": _req(text()),
            "answered_at": _opt(time),
            "settled_at": _opt(time),
            "followed_up_at": _opt(time),
            "outcome": _opt(one_of("satisfied", "unreachable")),
            "satisfaction": _opt(integer(1, 5)),
            "follow_up_tries": _opt(integer(0, 1000)),
            "waybills": _req(items(_WAYBILL, 100)),
            "events": _req(
                items(
                    shape(
                        {
                            "at": _req(time),
                            "operator": _req(text()),
                            "action": _req(text()),
                            "words": _opt(text(WORDS_MAX)),
                        }
                    ),
                    1000,
                )
            ),
            "photos": _req(_PHOTOS),
        }
    ),
    "receipt": shape(
        {
            "waybill": _req(_WAYBILL),
            "carrier": _opt(_CARRIER),
            "need_signature": _req(flag),
            "need_id": _req(flag),
            "need_stamp": _req(flag),
            "copies": _req(integer(1, 100)),
            "hops": _req(integer(0, 10)),
            "source": _req(one_of("manifest", "receive")),
            "required_at": _req(time),
            "state": _req(one_of("required", "signed", "sent", "confirmed")),
            "signed_at": _opt(time),
            "relation": _opt(one_of("self", "proxy", "courier")),
            "id_last4": _opt(_LAST4),
            "proxy_name": _opt(_NAME),
            "proxy_id_last4": _opt(_LAST4),
            "stamped": _opt(flag),
            "copies_signed": _opt(integer(0, 100)),
            "due_at": _opt(time),
            "batch_id": _opt(integer(1, 2**63 - 1)),
            "photos": _req(_PHOTOS),
        }
    ),
    "receipt_batch": shape(
        {
            "carrier": _opt(_CARRIER),
            "branch": _opt(text(100)),
            "created_at": _req(time),
            "created_by": _req(text()),
            "state": _req(one_of("sent", "confirmed")),
            "confirmed_at": _opt(time),
            "waybills": _req(items(_WAYBILL)),
        }
    ),
    "sending": shape(
        {
            "waybill": _req(_WAYBILL),
            "carrier": _opt(_CARRIER),
            "sender_name": _opt(_NAME),
            "sender_phone_last4": _opt(_LAST4),
            "receiver_name": _opt(_NAME),
            "receiver_phone_last4": _opt(_LAST4),
            "province": _req(text(32)),
            "city": _opt(text(32)),
            "district": _opt(text(32)),
            "zone": _req(text(32)),
            "weight_g": _req(integer(1, 1_000_000)),
            "price_fen": _req(integer(0, 100_000_000)),
            "payment": _req(one_of("cash", "qr")),
            "sent_at": _req(time),
            "sent_by": _req(text()),
            "sign_due_at": _req(time),
            "state": _req(one_of("open", "signed")),
            "signed_at": _opt(time),
        }
    ),
    "notify_resend": shape(
        {"waybill": _req(_WAYBILL), "asked_at": _req(time), "asked_by": _req(text())}
    ),
}
assert set(BODIES) == set(RECORD_KINDS)


def record_key(item: Any) -> tuple[str, str, str] | None:
    """(kind, id, version) when the item names them well enough to be answered."""
    if not isinstance(item, dict):
        return None
    kind, rid, version = item.get("kind"), item.get("id"), item.get("version")
    if isinstance(kind, str) and isinstance(rid, str) and isinstance(version, str):
        return (kind, rid, version) if max(map(len, (kind, rid, version))) <= 64 else None
    return None


def record_problem(item: Any) -> str | None:
    """What is wrong with one record of a request, or None."""
    if not isinstance(item, dict):
        return "record: expected an object"
    if item.get("kind") not in RECORD_KINDS:
        return f"kind: expected one of {', '.join(RECORD_KINDS)}"
    if not isinstance(item.get("id"), str) or not RECORD_ID.fullmatch(item["id"]):
        return "id: expected 1 to 64 of 0-9 A-Z a-z . _ : -"
    version = item.get("version")
    if not isinstance(version, str) or not RECORD_VERSION.fullmatch(version):
        return "version: expected 1 to 64 of 0-9 A-Z a-z . _ : + -"
    extra = set(item) - {"kind", "id", "version", "body"}
    if extra:
        return f"{sorted(map(str, extra))[0][:40]}: not a field of a record"
    body = item.get("body")
    if not isinstance(body, dict):
        return "body: expected an object"
    if len(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()) > (
        RECORD_BODY_MAX
    ):
        return f"body: more than {RECORD_BODY_MAX} bytes"
    problem = BODIES[item["kind"]](body)
    return None if problem is None else f"body.{problem}"


def records_envelope_problem(body: Any) -> str | None:
    """What is wrong with a POST /v1/records request as a whole (answered 422), or None."""
    if not isinstance(body, dict):
        return "body: expected a JSON object"
    station = body.get("station")
    if not isinstance(station, str) or not 0 < len(station) <= 64 or not is_text(station):
        return "station: expected the station code"
    if parse_rfc3339(body.get("sent_at")) is None:
        return "sent_at: expected RFC 3339 with an offset"
    records = body.get("records")
    if not isinstance(records, list) or not 1 <= len(records) <= RECORDS_MAX:
        return f"records: expected a list of 1 to {RECORDS_MAX} records"
    return None


UPDATE_BODIES: dict[str, Check] = {
    "ticket_answer": shape({"words": _req(text(WORDS_MAX)), "by": _opt(text())}),
    "receipt_confirm": shape({"by": _opt(text())}),
    "sign_record": shape({"by": _opt(text())}),
    "notify_status": shape(
        {
            "status": _req(one_of(*NOTIFY_STATUSES)),
            "template": _req(one_of(*NOTIFY_TEMPLATES)),
            "reason": _opt(text(NOTIFY_REASON_MAX)),
        }
    ),
}
UPDATE_REF: dict[str, Check] = {
    "ticket_answer": text(20, re.compile(r"[1-9][0-9]{0,18}")),
    "receipt_confirm": text(20, re.compile(r"[1-9][0-9]{0,18}")),
    "sign_record": _WAYBILL,
    "notify_status": _WAYBILL,
}
assert set(UPDATE_BODIES) == set(UPDATE_KINDS) == set(UPDATE_REF)


def update_problem(item: Any) -> str | None:
    """What is wrong with one update head office sent back, or None."""
    if not isinstance(item, dict):
        return "update: expected an object"
    kind = item.get("kind")
    if kind not in UPDATE_KINDS:
        return f"kind: expected one of {', '.join(UPDATE_KINDS)}"
    if (problem := UPDATE_REF[kind](item.get("ref"))) is not None:
        return f"ref: {problem}"
    if time(item.get("at")) is not None:
        return "at: expected RFC 3339 with an offset"
    body = item.get("body") if item.get("body") is not None else {}
    problem = UPDATE_BODIES[kind](body)
    return None if problem is None else f"body.{problem}"
