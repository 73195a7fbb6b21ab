"""The head-office contract in code (docs/HEAD-OFFICE-API.md): vocabularies, field
rules and the scan encoding. A leaf: it imports nothing from the project, and both the
station (edge/, sync/ uploader) and head office import it, never each other.

``scan_problem`` returns the first problem of a scan as "field: what is wrong" or None.
Fields the contract does not name are ignored, so a newer station can talk to an older
receiver.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

VERSION = 1

# Vocabularies (version 1).
SCAN_TYPES = ("receive", "dispatch", "sign", "problem", "stocktake")
DISPATCH_REASONS = ("delivery", "return", "transfer")
SIGNER_RELATIONS = ("self", "proxy", "courier")
PROBLEM_CODES = (
    "damaged",
    "wrong_address",
    "refused",
    "missing_items",
    "weight_mismatch",
    "unreachable",
    "overdue",
    "other",
)
# The carrier codes a station may send. The field itself stays open (CARRIER below), so
# a receiver keeps accepting codes added in later versions. 极兔 (Jitu) and the former
# Best Express are "jtexpress"; Douyin e-commerce ships with these carriers.
CARRIERS = frozenset(
    {
        "sf",
        "zto",
        "yto",
        "sto",
        "yunda",
        "jtexpress",
        "jd",
        "ems",
        "chinapost",
        "deppon",
        "zjs",
        "cainiao",
        "ups",
        "fedex",
        "usps",
        "dhl",
    }
)


# Field rules.
WAYBILL = re.compile(r"^[0-9A-Za-z-]{4,40}$")
CARRIER = re.compile(r"[a-z0-9_-]{1,32}")
LAST4 = re.compile(r"[0-9]{4}")
SHA256 = re.compile(r"[0-9a-f]{64}")
# RFC 3339 with a mandatory offset (Z or ±hh:mm).
RFC3339 = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(\.\d{1,6})?\d{0,3}([Zz]|[+-]\d{2}:\d{2})"
)
UUID = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
)
MAX_BATCH = 1000
NOTE_MAX = 500
SHORT_MAX = 64
WEIGHT_MAX_G = 1_000_000


# Lengths before the offset of the times fromisoformat reads unchanged: no fraction, or
# one of 3 or 6 digits (Python 3.11 refuses other widths).
_PLAIN_LENGTHS = frozenset({19, 23, 26})


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_rfc3339(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    match = RFC3339.fullmatch(value)
    if match is None:
        return None
    day, clock, fraction, offset = match.groups()
    if value[10] == "T" and offset != "z" and len(value) - len(offset) in _PLAIN_LENGTHS:
        text = value  # the common form, which fromisoformat reads as it is (Z included)
    else:
        # Python parses at most microseconds: digits beyond six were matched and dropped.
        text = f"{day}T{clock}{fraction or ''}{'+00:00' if offset in 'Zz' else offset}"
    try:
        moment = datetime.fromisoformat(text)
        # Year 0001 or 9999 with an offset parses but has no UTC time: not a usable time.
        moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return moment


def _opt_str(
    scan: dict[str, Any], key: str, pattern: re.Pattern[str] | None = None, max_len: int = SHORT_MAX
) -> str | None:
    value = scan.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        return f"{key}: expected a string or null"
    if pattern is not None and not pattern.fullmatch(value):
        return f"{key}: not of the expected form"
    if not value or len(value) > max_len:
        return f"{key}: expected 1 to {max_len} characters"
    if not is_text(value):
        return f"{key}: not valid Unicode text"
    return None


def is_text(value: str) -> bool:
    """False for lone surrogates JSON can carry but UTF-8 (and the database) cannot."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def scan_problem(scan: Any) -> str | None:
    if not isinstance(scan, dict):
        return "scan: expected an object"
    event_id = scan.get("event_id")
    if not isinstance(event_id, str) or not UUID.fullmatch(event_id):
        return "event_id: expected a UUID"
    seq = scan.get("seq")
    if type(seq) is not int or not 0 < seq < 2**63:  # type(): bool is not a seq
        return "seq: expected a positive integer"
    if scan.get("type") not in SCAN_TYPES:
        return f"type: expected one of {', '.join(sorted(SCAN_TYPES))}"
    waybill = scan.get("waybill")
    if not isinstance(waybill, str):
        return "waybill: expected a string"
    if not 4 <= len(waybill) <= 40:
        return "waybill: expected 4 to 40 characters"
    if not WAYBILL.fullmatch(waybill):
        return "waybill: only 0-9, A-Z, a-z and - allowed"
    # Optional fields are checked only when present: most are null in most scans.
    carrier = scan.get("carrier")
    if (
        carrier is not None
        and not (type(carrier) is str and CARRIER.fullmatch(carrier))  # the pattern caps it
        and (problem := _opt_str(scan, "carrier", CARRIER, 32))
    ):
        return problem
    if parse_rfc3339(scan.get("scanned_at")) is None:
        return "scanned_at: expected RFC 3339 with an offset"
    clock = scan.get("clock")
    if not isinstance(clock, dict):
        return "clock: expected an object"
    for key in ("synced", "corrected"):
        if type(clock.get(key)) is not bool:
            return f"clock.{key}: expected true or false"
    boot_id = clock.get("boot_id")
    if type(boot_id) is not str or not 0 < len(boot_id) <= SHORT_MAX:
        return "clock.boot_id: expected a string"
    if not is_text(boot_id):
        return "clock.boot_id: not valid Unicode text"
    mono_ns = clock.get("mono_ns")
    if type(mono_ns) is not int or not 0 <= mono_ns < 2**63:
        return "clock.mono_ns: expected an integer of 0 or more"
    device = scan.get("device")
    if not isinstance(device, str) or not 0 < len(device) <= SHORT_MAX or not is_text(device):
        return f"device: expected 1 to {SHORT_MAX} characters"
    for key in ("operator", "shelf", "pickup_code"):
        value = scan.get(key)
        if (
            value is not None
            and not (type(value) is str and 0 < len(value) <= SHORT_MAX and value.isascii())
            and (problem := _opt_str(scan, key))  # the full check, and which problem
        ):
            return problem
    weight = scan.get("weight_g")
    if weight is not None and (type(weight) is not int or not 0 < weight <= WEIGHT_MAX_G):
        return f"weight_g: expected grams from 1 to {WEIGHT_MAX_G} or null"
    last4 = scan.get("phone_last4")
    if last4 is not None and (type(last4) is not str or not LAST4.fullmatch(last4)):
        return "phone_last4: expected the last 4 digits or null"
    reason = scan.get("dispatch_reason")
    if reason is not None and reason not in DISPATCH_REASONS:
        return f"dispatch_reason: expected one of {', '.join(sorted(DISPATCH_REASONS))}"
    code = scan.get("problem_code")
    if code is not None and code not in PROBLEM_CODES:
        return f"problem_code: expected one of {', '.join(sorted(PROBLEM_CODES))}"
    signer = scan.get("signer")
    if signer is not None:
        if not isinstance(signer, dict) or signer.get("relation") not in SIGNER_RELATIONS:
            return f"signer.relation: expected one of {', '.join(sorted(SIGNER_RELATIONS))}"
        last4 = signer.get("id_last4")
        if last4 is not None and not (isinstance(last4, str) and LAST4.fullmatch(last4)):
            return "signer.id_last4: expected the last 4 characters or null"
    photos = scan.get("photos")
    if type(photos) is not list or len(photos) > 20:
        return "photos: expected a list of at most 20 SHA-256 hashes"
    if photos and any(type(p) is not str or not SHA256.fullmatch(p) for p in photos):
        return "photos: expected lowercase hex SHA-256 hashes"
    note = scan.get("note")
    if note is not None and (
        not isinstance(note, str) or len(note) > NOTE_MAX or not is_text(note)
    ):
        return f"note: expected text of at most {NOTE_MAX} characters or null"
    return None


def batch_problem(body: Any) -> str | None:
    """What is wrong with the request as a whole (answered 422), or None."""
    if not isinstance(body, dict):
        return "body: expected a JSON object"
    station = body.get("station")
    if not isinstance(station, str) or not 0 < len(station) <= SHORT_MAX or not is_text(station):
        return "station: expected the station code"
    batch_id = body.get("batch_id")
    if not isinstance(batch_id, str) or not 0 < len(batch_id) <= SHORT_MAX or not is_text(batch_id):
        return "batch_id: expected a string"
    if parse_rfc3339(body.get("sent_at")) is None:
        return "sent_at: expected RFC 3339 with an offset"
    scans = body.get("scans")
    if not isinstance(scans, list) or not 1 <= len(scans) <= MAX_BATCH:
        return f"scans: expected a list of 1 to {MAX_BATCH} scans"
    return None


# Recipient fields: a station never holds a run of 7 or more digits (a phone or ID number
# with spaces, dashes, dots or brackets between its digits counts as one run).
_NUMBER_RUN = re.compile(r"[+(]?\d(?:[\s().-]*\d)*(?:[\s-]*[Xx](?![A-Za-z]))?")
LONG_RUN = 7


def _masked(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    if len(digits) < LONG_RUN:
        return match.group(0)
    if len(digits) == 13 and digits.startswith("861"):  # +86, China's country code
        digits = digits[2:]
    if len(digits) == 11 and digits.startswith("1"):  # a mainland mobile: 138****5678
        return f"{digits[:3]}****{digits[-4:]}"
    tail = match.group(0)[-1] if match.group(0)[-1] in "Xx" else ""
    return f"****{(digits + tail)[-4:]}"


def mask_numbers(text: str) -> str:
    """``text`` with every run of 7 or more digits masked (138****5678, ****1234)."""
    return _NUMBER_RUN.sub(_masked, text)


def encode_scan(row: Mapping[str, Any], scanned_at: str, corrected: bool) -> dict[str, Any]:
    """A scan as the contract sends it, from its stored fields (``photos`` comma-joined)
    and the scan time to send (corrected or not, see the contract's "Time")."""
    signer = None
    if row["type"] == "sign" and row["signer_relation"]:
        signer = {"relation": row["signer_relation"], "id_last4": row["signer_id_last4"]}
    photos = row["photos"]
    return {
        "event_id": row["event_id"],
        "seq": row["seq"],
        "type": row["type"],
        "waybill": row["waybill"],
        # A code outside the vocabulary (a typo at the desk) goes as unknown, so the scan
        # is never refused for it; `station sync retry` re-sends such scans this way.
        "carrier": row["carrier"] if row["carrier"] in CARRIERS else None,
        "scanned_at": scanned_at,
        "clock": {
            "synced": bool(row["clock_synced"]),
            "corrected": corrected,
            "boot_id": row["boot_id"],
            "mono_ns": row["mono_ns"],
        },
        "device": row["device"],
        "operator": row["operator"],
        "weight_g": row["weight_g"],
        "shelf": row["shelf"],
        "pickup_code": row["pickup_code"],
        "phone_last4": row["phone_last4"],
        "dispatch_reason": row["dispatch_reason"],
        "problem_code": row["problem_code"],
        "signer": signer,
        "photos": photos.split(",") if photos else [],
        "note": row["note"],
    }


# --- Version 3: the station's other records, and head office's answers back ------------
# POST /v1/records: items {"kind", "id", "version", "body"}, idempotent on
# (station, kind, id, version); the bodies' shapes are in sync.contract_records.
RECORD_KINDS = (
    "handover",  # 到件交接单
    "dispatch_batch",  # 退件清单 / 批量出库
    "resolution",  # 问题件处理
    "monthly",  # 月结
    "ticket",  # 工单, with its history
    "receipt",  # 回单
    "receipt_batch",  # 回单批次
    "sending",  # 寄件
    "notify_resend",  # the clerk asks head office to message the recipient again
)
RECORD_ANSWERS = ("accepted", "duplicate", "rejected")
RECORD_ID = re.compile(r"[0-9A-Za-z._:-]{1,64}")
RECORD_VERSION = re.compile(r"[0-9A-Za-z.:+_-]{1,64}")
RECORDS_MAX = 200  # items in one request
RECORD_BODY_MAX = 256 * 1024  # bytes of one body as compact JSON
# GET /v1/stations/{station}/updates: what head office sends back to a station.
UPDATE_KINDS = (
    "ticket_answer",  # head office's answer to an escalated ticket: ref = ticket id
    "receipt_confirm",  # a receipt batch arrived: ref = receipt batch id
    "sign_record",  # a parcel sent from the station was signed: ref = its waybill
    "notify_status",  # the recipient's message was queued, sent or failed: ref = waybill
)
# A whole mainland mobile number or ID card number standing alone in free text.
WHOLE_PHONE = re.compile(r"(?<!\d)1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)")
WHOLE_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
# A name as a station keeps it: the first character, then 1 to 3 stars (张**).
MASKED_NAME = re.compile(r"[^\s\d*]\*{1,3}")


def mask_whole_numbers(text: str) -> str:
    """Free text with any whole phone (138****5678) or ID number (****1234) masked; a
    waybill or order number in it stays as it is."""
    text = WHOLE_ID.sub(lambda m: f"****{m.group(0)[-4:]}", text)
    return WHOLE_PHONE.sub(lambda m: _masked(m), text)


# -- version 4: the station's heartbeat --------------------------------------------------------
HEARTBEAT_ERROR_MAX = 300


def heartbeat_problem(body: Any) -> str | None:
    """What is wrong with a heartbeat (answered 422), or None. Fields not named here are
    ignored, so a newer station can report more."""
    if not isinstance(body, dict):
        return "body: expected a JSON object"
    if parse_rfc3339(body.get("sent_at")) is None:
        return "sent_at: expected RFC 3339 with an offset"
    for key in ("backlog", "rejected"):
        if not is_int(body.get(key)) or not 0 <= body[key] < 2**63:
            return f"{key}: expected a count"
    for key in ("oldest_unsent_age_s", "disk_free_bytes"):
        value = body.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 2**63
        ):
            return f"{key}: expected a number of 0 or more, or null"
    error = body.get("last_error")
    if error is not None and (
        not isinstance(error, str) or len(error) > HEARTBEAT_ERROR_MAX or not is_text(error)
    ):
        return f"last_error: expected text of at most {HEARTBEAT_ERROR_MAX} characters or null"
    versions = body.get("versions")
    if (
        not isinstance(versions, dict)
        or not all(
            isinstance(k, str)
            and isinstance(v, str)
            and len(k) <= SHORT_MAX
            and len(v) <= SHORT_MAX
            and is_text(k)
            and is_text(v)
            for k, v in versions.items()
        )
        or len(versions) > 8
    ):
        return "versions: expected an object of at most 8 short names and versions"
    clock = body.get("clock")
    if not isinstance(clock, dict) or not isinstance(clock.get("synced"), bool):
        return "clock.synced: expected true or false"
    return None


# -- Notifications (version 5): head office messages recipients; see HEAD-OFFICE-API.md. --
NOTIFY_STATUSES = ("queued", "sent", "failed")
NOTIFY_TEMPLATES = ("arrival", "reminder", "return")
NOTIFY_REASON_MAX = 120


# -- version 6: the manifest's consent, receipt and hops; see HEAD-OFFICE-API.md. ------------
MANIFEST_CONSENT = ("yes", "no", "unknown")  # unknown: not said, or a version-1 head office
MANIFEST_MAX_HOPS = 9
