"""Reading a manifest (预报) CSV for `station head-office manifest import`: pure parsing."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from edge.service.receipts import RequirementError, parse_requirement
from sync.contract import CARRIER, LAST4, MANIFEST_MAX_HOPS, WAYBILL, mask_numbers

# A mainland mobile number, optionally with +86 / 86 in front.
PHONE = re.compile(r"(?:\+?86)?(1[3-9]\d{9})")
YES_NO = ("", "0", "1", "true", "false", "yes", "no")
YES = ("1", "true", "yes")

COLUMNS = (
    "station",
    "waybill",
    "carrier",
    "phone_last4",
    "recipient_masked",
    "declared_weight_g",
    "valuable",
    # Kept only at head office (encrypted, see phones.py); never sent to a station.
    "phone",
    # The recipient agreed to collection at a station: sent to the station as yes/no/unknown.
    "consent",
    # The sender wants a signed receipt (回单) back: what it must carry, and how many hops
    # (1 direct, 2 with one transfer, 3 with two) it travels, for its due date.
    "receipt",
    "hops",
)
REQUIRED = ("station", "waybill")


class ManifestError(ValueError):
    """A row that cannot be imported; says which line and why."""


def parse_manifest_csv(text: str) -> list[dict[str, Any]]:
    """Rows of a CSV with a header naming some of COLUMNS (station and waybill required)."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        raise ManifestError(
            f"header: needs {', '.join(REQUIRED)}; may have {', '.join(COLUMNS)}"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; unknown {', '.join(unknown)}" if unknown else "")
        )
    parcels = []
    for line, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        parcels.append(_parcel(row, line))
    return parcels


def _parcel(row: dict[str, str], line: int) -> dict[str, Any]:
    def bad(what: str) -> ManifestError:
        return ManifestError(f"line {line}: {what}")

    if not row.get("station"):
        raise bad("station: empty")
    if not WAYBILL.fullmatch(row.get("waybill", "")):
        raise bad("waybill: expected 4 to 40 characters of 0-9, A-Z, a-z, -")
    carrier = row.get("carrier") or None
    if carrier is not None and not CARRIER.fullmatch(carrier):
        raise bad("carrier: expected a code such as sf or zto")
    phone = row.get("phone_last4") or None
    if phone is not None and not LAST4.fullmatch(phone):
        raise bad("phone_last4: expected only the last 4 digits (never the whole number)")
    full = None
    if row.get("phone"):
        number = PHONE.fullmatch(row["phone"].replace(" ", "").replace("-", ""))
        if number is None:
            raise bad("phone: expected a mobile number, e.g. 13812345678")
        full = number.group(1)
        if phone is not None and phone != full[-4:]:
            raise bad("phone_last4: does not match phone")
        phone = full[-4:]
    consent = (row.get("consent") or "").lower()
    if consent not in YES_NO:
        raise bad("consent: expected 1/0, true/false or yes/no")
    weight = row.get("declared_weight_g") or None
    if weight is not None and not (weight.isdigit() and 0 < int(weight) <= 1_000_000):
        raise bad("declared_weight_g: expected grams, e.g. 1250")
    valuable = (row.get("valuable") or "").lower()
    if valuable not in YES_NO:
        raise bad("valuable: expected 1/0, true/false or yes/no")
    try:
        receipt = receipt_requirement(row.get("receipt") or "")
    except RequirementError as exc:
        raise bad(f"receipt: {exc}; expected e.g. yes, signature+id or stamp+copies=2") from None
    hops = row.get("hops") or None
    if hops is not None and not (hops.isdigit() and 1 <= int(hops) <= MANIFEST_MAX_HOPS):
        raise bad(f"hops: expected 1 to {MANIFEST_MAX_HOPS} (1 direct, 2 with one transfer)")
    return {
        "station": row["station"],
        "waybill": row["waybill"],
        "carrier": carrier,
        "phone_last4": phone,
        # Only masked numbers may reach a station: whole phones and IDs are masked here.
        "recipient_masked": mask_numbers(row.get("recipient_masked") or "") or None,
        "declared_weight_g": int(weight) if weight else None,
        "valuable": valuable in YES,
        "phone": full,
        "consent": None if consent == "" else consent in YES,
        "receipt": receipt,
        "hops": int(hops) if hops else None,
    }


def receipt_requirement(text: str) -> str | None:
    """The ``receipt`` column as the requirement's own notation (``signature,id,copies=2``),
    or None for no receipt. ``+`` may stand for ``,`` so a cell needs no quoting; yes/1/true
    asks for a plain signed receipt, no/0/false/empty for none."""
    text = text.strip().lower()
    if text in YES_NO:
        return "signature,copies=1" if text in YES else None
    return parse_requirement(text.replace("+", ",")).text()


def split_phones(parcels: list[dict[str, Any]]) -> list[tuple[str, str, str, bool | None]]:
    """Take the full numbers out of parsed rows: (station, waybill, phone, consent) for the
    phone book; what stays in ``parcels`` (consent included) may go to a station."""
    phones = []
    for p in parcels:
        full = p.pop("phone")
        if full:
            phones.append((p["station"], p["waybill"], full, p["consent"]))
    return phones
