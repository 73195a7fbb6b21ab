"""SQL of recipient notifications as the station sees them: head office's latest status
per parcel (never a number), and head office's public key for pickup QR codes."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

from edge.store.base import Migration, StoreBase

MIGRATIONS: list[Migration] = [
    (
        "notify-001-status-and-key",
        """
        -- The latest notify_status update head office sent for a waybill.
        CREATE TABLE notify_status (
            waybill TEXT PRIMARY KEY,
            template TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
            at TEXT NOT NULL,
            reason TEXT
        ) WITHOUT ROWID;
        -- Head office's Ed25519 public key (raw, 32 bytes), pulled once and kept.
        CREATE TABLE collect_key (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            public_key BLOB NOT NULL,
            fetched_at TEXT NOT NULL
        );
        """,
    ),
    (
        "notify-002-resends",
        """
        -- The clerk's asks to message a recipient again: records for head office.
        CREATE TABLE notify_resends (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            waybill TEXT NOT NULL,
            asked_at TEXT NOT NULL,
            asked_by TEXT NOT NULL,
            sync_state TEXT NOT NULL DEFAULT 'pending' CHECK (sync_state IN ('pending', 'sent')),
            synced_at TEXT
        );
        """,
    ),
]


def resend_body(conn: sqlite3.Connection, row: sqlite3.Row) -> tuple[dict[str, Any], list[str]]:
    """A notify_resend record as the contract sends it (see outbox_sources)."""
    return {k: row[k] for k in ("waybill", "asked_at", "asked_by")}, []


class NotifySQL(StoreBase):
    def notify_set_status(self, waybill: str, at: str, body: dict[str, Any]) -> bool:
        """Keep head office's status unless a later one is already here (head office
        writes every time in UTC, so text order is time order)."""
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO notify_status (waybill, template, status, at, reason)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (waybill) DO UPDATE SET"
                " template = excluded.template, status = excluded.status, at = excluded.at,"
                " reason = excluded.reason WHERE excluded.at > notify_status.at"
                # "queued" then "sent" in one pass share a time: the outcome wins.
                " OR (excluded.at = notify_status.at AND notify_status.status = 'queued')",
                (waybill, body["template"], body["status"], at, body.get("reason")),
            )
            return cur.rowcount == 1

    def notify_status(self, waybill: str) -> dict[str, Any] | None:
        """``{status, at, reason, template}`` or None when head office said nothing yet."""
        row = self.one(
            "SELECT status, at, reason, template FROM notify_status WHERE waybill = ?",
            (waybill,),
        )
        return dict(row) if row else None

    def notify_ask_resend(self, waybill: str, actor: str, at: str) -> int:
        """Queue a re-send request for head office; audited."""
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO notify_resends (waybill, asked_at, asked_by) VALUES (?, ?, ?)",
                (waybill, at, actor),
            )
            self.audit("notify.resend", actor, waybill)
            return int(cur.lastrowid or 0)

    def collect_key(self) -> bytes | None:
        row = self.one("SELECT public_key FROM collect_key WHERE id = 1")
        return bytes(row[0]) if row else None

    def collect_set_key(self, public_key: bytes) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO collect_key (id, public_key, fetched_at) VALUES (1, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET public_key = excluded.public_key,"
                " fetched_at = excluded.fetched_at",
                (public_key, datetime.now(UTC).isoformat(timespec="seconds")),
            )
