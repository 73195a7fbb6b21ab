"""Signed receipts (回单) at the desk, for the page and the CLI: mark a parcel, accept a
signing only when it meets the requirement, pack envelopes, list what is due."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from edge.service import receipts
from edge.service.common import clean_waybill, iso, parse_time
from edge.service.errors import ServiceError
from edge.service.receipts import Requirement, Signing
from edge.service.settings import ServiceSection
from edge.store import Store

LISTS = ("all", "due", "overdue")
OUTSTANDING = ("signed", "sent")


def require(
    store: Store,
    rules: ServiceSection,
    now: datetime,
    operator: str,
    waybill: str,
    requirement: str | Requirement,
    *,
    hops: int | None = None,
    source: str = "receive",
) -> bool:
    """Mark a parcel as needing a receipt (from the manifest's ``receipt`` column, or at
    receive). False when its receipt is already signed."""
    waybill = clean_waybill(waybill, "ticket.bad_waybill")
    if isinstance(requirement, str):
        try:
            requirement = receipts.parse_requirement(requirement)
        except receipts.RequirementError as exc:
            raise ServiceError("receipt.bad_requirement", error=str(exc)) from None
    parcel = store.parcel(waybill) or store.manifest_entry(waybill)
    return store.service_receipt_require(
        {
            "waybill": waybill,
            "carrier": parcel["carrier"] if parcel else None,
            "need_signature": requirement.signature,
            "need_id": requirement.id_number,
            "need_stamp": requirement.stamp,
            "copies": requirement.copies,
            "hops": max(hops or rules.receipt_default_hops, 1),
            "source": source,
            "required_at": iso(now),
            "required_by": operator,
        }
    )


def requirement_of(row: Any) -> Requirement:
    return Requirement(
        bool(row["need_signature"]),
        bool(row["need_id"]),
        bool(row["need_stamp"]),
        int(row["copies"]),
    )


def check_signing(store: Store, waybill: str, signing: Signing, relation: str) -> Any:
    """The receipt row when ``signing`` meets its requirement; ServiceError naming what
    is missing otherwise (nothing is recorded then)."""
    row = store.service_receipt(waybill)
    if row is None:
        raise ServiceError("receipt.not_required", waybill=waybill)
    if row["state"] != "required":
        raise ServiceError("receipt.already_signed", waybill=waybill)
    lacking = receipts.missing(requirement_of(row), signing, proxy=relation != "self")
    if lacking:
        raise ServiceError("receipt.missing", missing=", ".join(lacking), fields=lacking)
    return row


def record_signing(
    store: Store,
    rules: ServiceSection,
    now: datetime,
    operator: str,
    row: Any,
    signing: Signing,
    relation: str,
    photos: Sequence[str],
) -> datetime:
    """Store a checked signing; returns when the receipt is due back at the sender."""
    due = receipts.due_at(now, row["hops"], rules)
    parcel = store.parcel(row["waybill"])
    store.service_receipt_signed(
        row["waybill"],
        {
            "signed_at": iso(now),
            "signed_by": operator,
            "relation": relation,
            "id_last4": signing.id_last4,
            "proxy_name": signing.proxy_name,
            "proxy_id_last4": signing.proxy_id_last4,
            "stamped": signing.stamp,
            "copies_signed": signing.copies,
            "due_at": iso(due),
            "carrier": parcel["carrier"] if parcel else None,
        },
        photos,
        operator,
    )
    return due


def list_receipts(
    store: Store, rules: ServiceSection, now: datetime, which: str = "all"
) -> list[dict[str, Any]]:
    """all; due (signed or sent, not yet confirmed by head office), by due date; or
    overdue (those past their due date)."""
    states = OUTSTANDING if which in ("due", "overdue") else receipts.STATES
    shown = []
    for row in store.service_receipts(states):
        due = parse_time(row["due_at"]) if row["due_at"] else None
        item = {
            k: row[k]
            for k in (
                "waybill",
                "carrier",
                "state",
                "hops",
                "source",
                "signed_at",
                "relation",
                "batch_id",
            )
        }
        item.update(
            requirement=requirement_of(row).text(),
            due_at=row["due_at"],
            days_left=(due - now).days if due else None,
            overdue=bool(due and row["state"] in OUTSTANDING and now > due),
        )
        shown.append(item)
    return [r for r in shown if r["overdue"]] if which == "overdue" else shown


def send_batch(
    store: Store,
    now: datetime,
    operator: str,
    carrier: str,
    branch: str | None,
    waybills: Sequence[str],
) -> tuple[int, list[str]]:
    """Pack signed receipts of one carrier in an envelope to the sending branch."""
    bid, taken = store.service_batch_create(carrier, branch or None, waybills, iso(now), operator)
    if not bid:
        raise ServiceError("receipt.none_to_send")
    return bid, taken


def confirm_batch(store: Store, now: datetime, operator: str, bid: int) -> None:
    if not store.service_batch_confirm(bid, iso(now), operator):
        raise ServiceError("receipt.batch_not_found", id=bid)
