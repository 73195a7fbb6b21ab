"""What a scan means for a parcel: pure decisions and the parcel state they lead to.

decide() answers accepted / duplicate / refused with the message for the clerk;
apply() folds an accepted scan into the parcel's state. Undo recomputes a parcel by
folding its remaining scans, so the two never disagree.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from edge.messages import Message

Status = Literal["accepted", "duplicate", "refused"]


@dataclass
class Parcel:
    """A row of ``parcels``."""

    waybill: str
    state: str = "registered"
    carrier: str | None = None
    shelf: str | None = None
    pickup_code: str | None = None
    phone_last4: str | None = None
    recipient_masked: str | None = None
    declared_weight_g: int | None = None
    weight_g: int | None = None
    valuable: int = 0
    problem_code: str | None = None
    dispatch_reason: str | None = None
    received_at: str | None = None
    received_seq: int | None = None
    updated_at: str = ""
    last_seq: int | None = None

    @classmethod
    def from_row(cls, row: Any) -> Parcel:
        keys = row.keys()  # sqlite3.Row iterates values, not keys
        return cls(**{k: row[k] for k in keys if k in _PARCEL_FIELDS})

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass
class ScanFacts:
    """The parts of a scan that change a parcel."""

    seq: int
    type: str
    scanned_at: str
    carrier: str | None = None
    weight_g: int | None = None
    shelf: str | None = None
    pickup_code: str | None = None
    phone_last4: str | None = None
    dispatch_reason: str | None = None
    problem_code: str | None = None

    @classmethod
    def from_row(cls, row: Any) -> ScanFacts:
        keys = row.keys()  # sqlite3.Row iterates values, not keys
        return cls(**{k: row[k] for k in keys if k in _SCAN_FACT_FIELDS})


# Field names, taken once: from_row runs on every scan.
_PARCEL_FIELDS = frozenset(f.name for f in dataclasses.fields(Parcel))
_SCAN_FACT_FIELDS = frozenset(f.name for f in dataclasses.fields(ScanFacts))


@dataclass
class Decision:
    status: Status
    message: Message
    warnings: list[str] = field(default_factory=list)


def when(iso: str | None) -> str:
    """A short local time for messages: 11-20 14:03."""
    if not iso:
        return "?"
    try:
        return datetime.fromisoformat(iso).strftime("%m-%d %H:%M")
    except ValueError:
        return iso


def decide(
    scan_type: str,
    parcel: Parcel | None,
    *,
    id_last4: str | None = None,
    waybill: str = "",
    today: str = "",
    override: bool = False,
) -> Decision:
    """``today``: the station's local date (ISO), for "signed today". ``override``: a
    supervisor confirmed a parcel signed today really came back."""
    state = parcel.state if parcel else None
    if scan_type == "receive":
        if parcel and state == "signed" and today and (parcel.updated_at or "")[:10] == today:
            if override:
                return Decision("accepted", Message("received"), warnings=["received_after_sign"])
            # Most often the label was scanned by mistake; a parcel that came back needs
            # a supervisor, so it never gets a second pickup code silently.
            return Decision("duplicate", Message("signed_today", {"when": when(parcel.updated_at)}))
        if parcel and state == "on_shelf":
            return Decision(
                "duplicate",
                Message(
                    "already_received",
                    {
                        "pickup_code": parcel.pickup_code,
                        "shelf": parcel.shelf,
                        "when": when(parcel.received_at),
                    },
                ),
            )
        return Decision("accepted", Message("received"))
    if scan_type == "sign":
        if parcel is None:
            return Decision("refused", Message("sign_unknown", {"waybill": waybill}))
        if state == "signed":
            return Decision("refused", Message("already_signed", {"when": when(parcel.updated_at)}))
        if state == "dispatched":
            return Decision(
                "refused", Message("sign_dispatched", {"when": when(parcel.updated_at)})
            )
        if state != "on_shelf":
            return Decision("refused", Message("sign_not_on_shelf"))
        if parcel.valuable and not id_last4:
            return Decision("refused", Message("id_required"))
        return Decision("accepted", Message("signed", {"pickup_code": parcel.pickup_code}))
    if scan_type == "dispatch":
        if state == "signed":
            assert parcel is not None
            return Decision(
                "refused", Message("dispatch_signed", {"when": when(parcel.updated_at)})
            )
        if state == "dispatched":
            assert parcel is not None
            return Decision(
                "duplicate", Message("already_dispatched", {"when": when(parcel.updated_at)})
            )
        if parcel is None or parcel.received_at is None:
            return Decision("accepted", Message("dispatched"), warnings=["never_received"])
        return Decision("accepted", Message("dispatched"))
    if scan_type == "problem":
        return Decision("accepted", Message("problem_recorded"))
    if scan_type == "stocktake":
        if parcel and state == "on_shelf":
            return Decision(
                "accepted", Message("stocktake_ok", {"pickup_code": parcel.pickup_code})
            )
        return Decision(
            "accepted",
            Message("stocktake_unexpected", {"state": state or "unknown"}),
            warnings=["not_on_shelf"],
        )
    raise ValueError(f"unknown scan type {scan_type!r}")


def apply(parcel: Parcel | None, waybill: str, scan: ScanFacts) -> Parcel:
    """The parcel after an accepted scan."""
    p = dataclasses.replace(parcel) if parcel else Parcel(waybill=waybill)
    p.carrier = scan.carrier or p.carrier
    p.updated_at = scan.scanned_at
    p.last_seq = scan.seq
    if scan.type == "receive":
        p.state = "on_shelf"
        p.shelf, p.pickup_code = scan.shelf, scan.pickup_code
        p.phone_last4 = scan.phone_last4 or p.phone_last4
        p.weight_g = scan.weight_g if scan.weight_g is not None else p.weight_g
        p.received_at, p.received_seq = scan.scanned_at, scan.seq
        p.dispatch_reason = None
    elif scan.type == "sign":
        p.state = "signed"
    elif scan.type == "dispatch":
        p.state = "dispatched"
        p.dispatch_reason = scan.dispatch_reason
    elif scan.type == "problem":
        p.problem_code = scan.problem_code
    return p


def fold(base: Parcel | None, waybill: str, scans: list[ScanFacts]) -> Parcel | None:
    """A parcel rebuilt from its scans, keeping what head office told us about it."""
    parcel: Parcel | None = None
    for scan in scans:
        parcel = apply(parcel, waybill, scan)
    if parcel and base:
        parcel.recipient_masked = base.recipient_masked
        parcel.declared_weight_g = base.declared_weight_g
        parcel.valuable = base.valuable
    return parcel


def weight_mismatch(weight_g: int | None, declared_g: int | None, share: float) -> bool:
    if not weight_g or not declared_g:
        return False
    return abs(weight_g - declared_g) > share * declared_g
