"""From a checked scan to the row both backends store: done before any transaction opens,
so the database holds its write lock only for the insert."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sync.contract import MANIFEST_CONSENT, parse_rfc3339

# The stored columns, in the order of a row.
COLUMNS = (
    "event_id", "station", "seq", "type", "waybill", "carrier", "scanned_at", "scanned_utc",
    "clock_synced", "clock_corrected", "boot_id", "mono_ns", "device", "operator", "weight_g",
    "shelf", "pickup_code", "phone_last4", "dispatch_reason", "problem_code", "signer_relation",
    "signer_id_last4", "photos", "note", "batch_id", "received_at",
)  # fmt: skip


# What the query API shows of a stored scan.
PUBLIC = tuple(c for c in COLUMNS if c not in ("scanned_utc", "batch_id"))


def utc(value: str) -> datetime:
    """An RFC 3339 time (already checked by the contract) in UTC."""
    moment = parse_rfc3339(value)
    if moment is None:
        raise ValueError(f"not an RFC 3339 time with an offset: {value!r}")
    return moment.astimezone(UTC)


def utc_key(value: str) -> str:
    """A fixed-width UTC form of an RFC 3339 time, so text order is time order."""
    moment = utc(value)
    if moment.year < 1000:  # strftime's %Y, as keys were always written, has no padding
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # The same text as strftime gives, at a third of its cost.
    return f"{moment.isoformat(timespec='microseconds')[:26]}Z"


def scan_rows(
    station: str, batch_id: str, scans: Sequence[dict[str, Any]], received_at: str
) -> list[tuple[Any, ...]]:
    """One tuple per scan, in COLUMNS order (times as text; each backend converts)."""
    no_signer: dict[str, Any] = {}
    return [
        (
            s["event_id"],
            station,
            s["seq"],
            s["type"],
            s["waybill"],
            s.get("carrier"),
            s["scanned_at"],
            utc_key(s["scanned_at"]),
            (clock := s["clock"])["synced"],  # checked booleans already
            clock["corrected"],
            clock["boot_id"],
            clock["mono_ns"],
            s["device"],
            s.get("operator"),
            s.get("weight_g"),
            s.get("shelf"),
            s.get("pickup_code"),
            s.get("phone_last4"),
            s.get("dispatch_reason"),
            s.get("problem_code"),
            (signer := s.get("signer") or no_signer).get("relation"),
            signer.get("id_last4"),
            ",".join(s["photos"]),
            s.get("note"),
            batch_id,
            received_at,
        )
        for s in scans
    ]


def public(row: dict[str, Any]) -> dict[str, Any]:
    """A stored scan as the query API shows it."""
    d = {k: row[k] for k in PUBLIC}
    d["clock_synced"] = bool(d["clock_synced"])
    d["clock_corrected"] = bool(d["clock_corrected"])
    d["photos"] = d["photos"].split(",") if d["photos"] else []
    if isinstance(d.get("received_at"), datetime):
        d["received_at"] = d["received_at"].isoformat().replace("+00:00", "Z")
    relation, last4 = d.pop("signer_relation"), d.pop("signer_id_last4")
    d["signer"] = {"relation": relation, "id_last4": last4} if relation else None
    return d


# -- the manifest -------------------------------------------------------------------------
# The stored manifest columns, in the order of a row; phone numbers are never among them.
MANIFEST_COLUMNS = (
    "station", "waybill", "carrier", "phone_last4", "recipient_masked", "declared_weight_g",
    "valuable", "consent", "receipt", "hops", "imported_at",
)  # fmt: skip
# What a station is given of a row (version 6 added consent, receipt and hops).
MANIFEST_PUBLIC = MANIFEST_COLUMNS[1:-1]


def manifest_row(parcel: dict[str, Any], imported_at: str) -> tuple[Any, ...]:
    """One parsed manifest parcel (manifest_csv) in MANIFEST_COLUMNS order."""
    row = {**parcel, "valuable": bool(parcel.get("valuable")), "imported_at": imported_at}
    return tuple(row.get(c) for c in MANIFEST_COLUMNS)


def manifest_parcel(row: Any) -> dict[str, Any]:
    """A stored row as the manifest answer gives it: consent as yes / no / unknown."""
    parcel = {c: row[c] for c in MANIFEST_PUBLIC}
    yes, no, unknown = MANIFEST_CONSENT
    consent = parcel["consent"]
    parcel.update(
        valuable=bool(parcel["valuable"]),
        consent=unknown if consent is None else yes if consent else no,
    )
    return parcel
