"""Where each kind of record head office holds comes from: the other areas' tables, read
as they are. One ``Source`` per kind names its table, key, version column and how a row
becomes the contract's body (sync.contract_records); ``edge.store.outbox`` does the rest.

The version is a column the owning area already changes with every change of the record
(``updated_at``, or the time a sheet was closed or a statement made), so a record changed
while it was on its way goes again as a new version.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edge.store.notify import resend_body
from sync.contract import CARRIERS, mask_whole_numbers

Conn = sqlite3.Connection
Body = tuple[dict[str, Any], list[str]]  # the body, and the photos it names


@dataclass(frozen=True)
class Source:
    table: str
    key: str
    version: str
    done: str  # the sync_state that means "head office holds it": 'sent' or 'synced'
    body: Callable[[Conn, sqlite3.Row], Body]


def _carrier(code: str | None) -> str | None:
    return code if code in CARRIERS else None


def _words(text: str | None) -> str | None:
    return mask_whole_numbers(text) if text else None


def _column(conn: Conn, sql: str, key: Any) -> list[Any]:
    return [r[0] for r in conn.execute(sql, (key,))]


def _handover(conn: Conn, row: sqlite3.Row) -> Body:
    items = conn.execute(
        "SELECT waybill, expected, scanned FROM handover_items WHERE handover_id = ?"
        " ORDER BY waybill",
        (row["id"],),
    ).fetchall()
    sign = row["signature"]
    return {
        "carrier": _carrier(row["carrier"]),
        "courier": _words(row["courier"]),
        "device": row["device"],
        "operator": row["operator"],
        "opened_at": row["opened_at"],
        "closed_at": row["closed_at"],
        "expected": sum(1 for i in items if i["expected"]),
        "scanned": sum(1 for i in items if i["scanned"]),
        "waybills": [i["waybill"] for i in items if i["scanned"]],
        "missing": [i["waybill"] for i in items if i["expected"] and not i["scanned"]],
        "extra": [i["waybill"] for i in items if i["scanned"] and not i["expected"]],
        "signature": sign,
    }, [sign] if sign else []


def _dispatch_batch(conn: Conn, row: sqlite3.Row) -> Body:
    items = conn.execute(
        "SELECT waybill, reason, listed, seq, stray, at FROM batch_items WHERE batch_id = ?"
        " ORDER BY waybill",
        (row["id"],),
    ).fetchall()
    sign = row["signature"]
    return {
        "purpose": row["kind"],
        "carrier": _carrier(row["carrier"]),
        "courier": _words(row["courier"]),
        "device": row["device"],
        "operator": row["operator"],
        "opened_at": row["opened_at"],
        "closed_at": row["closed_at"],
        "signature": sign,
        "items": [
            {
                "waybill": i["waybill"],
                "reason": _words(i["reason"]),
                "listed": bool(i["listed"]),
                "out": i["seq"] is not None,
                "stray": bool(i["stray"]),
                "at": i["at"],
            }
            for i in items
        ],
    }, [sign] if sign else []


def _resolution(conn: Conn, row: sqlite3.Row) -> Body:
    return {
        "problem_seq": row["problem_seq"],
        "waybill": row["waybill"],
        "resolution": row["resolution"],
        "note": _words(row["note"]),
        "operator": row["operator"],
        "resolved_at": row["resolved_at"],
    }, []


def _monthly(conn: Conn, row: sqlite3.Row) -> Body:
    return {
        "month": row["month"],
        "made_at": row["made_at"],
        "statement": json.loads(row["body"]),
    }, []


def _ticket(conn: Conn, row: sqlite3.Row) -> Body:
    tid = row["id"]
    photos = _column(conn, "SELECT sha256 FROM ticket_photos WHERE ticket_id = ?", tid)
    events = conn.execute(
        "SELECT at, operator, action, words FROM ticket_events WHERE ticket_id = ? ORDER BY id",
        (tid,),
    ).fetchall()
    body = {
        k: row[k]
        for k in (
            "kind", "category", "state", "phone_last4", "opened_at", "opened_by", "answered_at",
            "settled_at", "followed_up_at", "outcome", "satisfaction", "follow_up_tries",
        )
    }  # fmt: skip
    return body | {
        "words": _words(row["words"]),
        "waybills": _column(
            conn, "SELECT waybill FROM ticket_waybills WHERE ticket_id = ? ORDER BY waybill", tid
        ),
        "events": [dict(e) | {"words": _words(e["words"])} for e in events],
        "photos": sorted(photos),
    }, photos


_FLAGS = ("need_signature", "need_id", "need_stamp", "stamped")


def _receipt(conn: Conn, row: sqlite3.Row) -> Body:
    photos = _column(conn, "SELECT sha256 FROM receipt_photos WHERE waybill = ?", row["waybill"])
    body = {
        k: row[k]
        for k in (
            "waybill", "copies", "hops", "source", "required_at", "state", "signed_at",
            "relation", "id_last4", "proxy_name", "proxy_id_last4", "copies_signed", "due_at",
            "batch_id",
        )
    }  # fmt: skip
    flags = {k: None if row[k] is None else bool(row[k]) for k in _FLAGS}
    return body | flags | {"carrier": _carrier(row["carrier"]), "photos": sorted(photos)}, photos


def _receipt_batch(conn: Conn, row: sqlite3.Row) -> Body:
    return {
        "carrier": _carrier(row["carrier"]),
        "branch": _words(row["branch"]),
        "created_at": row["created_at"],
        "created_by": row["created_by"],
        "state": row["state"],
        "confirmed_at": row["confirmed_at"],
        "waybills": _column(
            conn, "SELECT waybill FROM receipts WHERE batch_id = ? ORDER BY waybill", row["id"]
        ),
    }, []


def _sending(conn: Conn, row: sqlite3.Row) -> Body:
    body = {
        k: row[k]
        for k in (
            "waybill", "sender_name", "sender_phone_last4", "receiver_name",
            "receiver_phone_last4", "province", "city", "district", "zone", "weight_g",
            "price_fen", "payment", "sent_at", "sent_by", "sign_due_at", "state", "signed_at",
        )
    }  # fmt: skip
    return body | {"carrier": _carrier(row["carrier"])}, []


# Kind (as the contract names it) -> where it lives. Desk sheets are versioned by the
# moment they were closed (they do not change after), the rest by updated_at.
SOURCES: dict[str, Source] = {
    "handover": Source("handovers", "id", "closed_at", "sent", _handover),
    "dispatch_batch": Source("batches", "id", "closed_at", "sent", _dispatch_batch),
    "resolution": Source("problem_resolutions", "id", "resolved_at", "sent", _resolution),
    "monthly": Source("monthly_reports", "month", "made_at", "sent", _monthly),
    "ticket": Source("tickets", "id", "updated_at", "synced", _ticket),
    "receipt": Source("receipts", "waybill", "updated_at", "synced", _receipt),
    "receipt_batch": Source("receipt_batches", "id", "updated_at", "synced", _receipt_batch),
    "sending": Source("sendings", "id", "updated_at", "synced", _sending),
    "notify_resend": Source("notify_resends", "id", "asked_at", "sent", resend_body),
}
