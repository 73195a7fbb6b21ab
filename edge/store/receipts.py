"""SQL of signed receipts (回单): requirements, signings and the batches they go back in."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from edge.store.base import Migration, StoreBase

MIGRATIONS: list[Migration] = [
    (
        "receipts-001-receipts-batches",
        """
        -- Envelopes of signed receipts going back to the sending branch.
        CREATE TABLE receipt_batches (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            carrier TEXT NOT NULL,
            branch TEXT,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'sent' CHECK (state IN ('sent', 'confirmed')),
            confirmed_at TEXT,
            updated_at TEXT NOT NULL,
            sync_state TEXT NOT NULL DEFAULT 'pending' CHECK (sync_state IN ('pending', 'synced'))
        );
        -- A parcel whose sender wants a signed receipt (回单) back: what it must carry,
        -- then how it was signed. IDs are kept as their last 4, the proxy's name masked.
        CREATE TABLE receipts (
            waybill TEXT PRIMARY KEY,
            carrier TEXT,
            need_signature INTEGER NOT NULL,
            need_id INTEGER NOT NULL,
            need_stamp INTEGER NOT NULL,
            copies INTEGER NOT NULL,
            hops INTEGER NOT NULL,
            source TEXT NOT NULL CHECK (source IN ('manifest', 'receive')),
            required_at TEXT NOT NULL,
            required_by TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'required'
                CHECK (state IN ('required', 'signed', 'sent', 'confirmed')),
            signed_at TEXT,
            signed_by TEXT,
            relation TEXT,
            id_last4 TEXT,
            proxy_name TEXT,
            proxy_id_last4 TEXT,
            stamped INTEGER,
            copies_signed INTEGER,
            due_at TEXT,
            batch_id INTEGER REFERENCES receipt_batches (id),
            updated_at TEXT NOT NULL,
            sync_state TEXT NOT NULL DEFAULT 'pending' CHECK (sync_state IN ('pending', 'synced'))
        ) WITHOUT ROWID;
        CREATE INDEX receipts_state ON receipts (state, due_at);
        CREATE TABLE receipt_photos (
            waybill TEXT NOT NULL REFERENCES receipts (waybill),
            sha256 TEXT NOT NULL REFERENCES photos (sha256),
            PRIMARY KEY (waybill, sha256)
        ) WITHOUT ROWID;
        """,
    ),
]


class ReceiptSQL(StoreBase):
    def service_receipt_require(self, receipt: dict[str, Any]) -> bool:
        """Record that a parcel needs a receipt; an existing requirement is kept unless it
        is still unsigned (a newer manifest may correct it). True when written."""
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO receipts (waybill, carrier, need_signature, need_id, need_stamp,"
                " copies, hops, source, required_at, required_by, updated_at) VALUES"
                " (:waybill, :carrier, :need_signature, :need_id, :need_stamp, :copies, :hops,"
                " :source, :required_at, :required_by, :required_at)"
                " ON CONFLICT (waybill) DO UPDATE SET need_signature = excluded.need_signature,"
                " need_id = excluded.need_id, need_stamp = excluded.need_stamp,"
                " copies = excluded.copies, hops = excluded.hops, source = excluded.source,"
                " carrier = coalesce(excluded.carrier, carrier), updated_at = excluded.updated_at,"
                " sync_state = 'pending' WHERE state = 'required'",
                receipt,
            )
            if cur.rowcount:
                self.audit("service.receipt_require", receipt["required_by"], receipt["waybill"])
        return bool(cur.rowcount)

    def service_receipt(self, waybill: str) -> sqlite3.Row | None:
        return self.one("SELECT * FROM receipts WHERE waybill = ?", (waybill,))

    def service_receipts_needed(self, waybills: Sequence[str]) -> set[str]:
        """Which of these parcels still wait for their receipt to be signed."""
        if not waybills:
            return set()
        marks = ", ".join("?" * len(waybills))
        rows = self.all(
            f"SELECT waybill FROM receipts WHERE state = 'required' AND waybill IN ({marks})",
            list(waybills),
        )
        return {r[0] for r in rows}

    def service_receipt_signed(
        self, waybill: str, signing: dict[str, Any], photos: Sequence[str], actor: str
    ) -> bool:
        with self.transaction():
            cur = self.conn.execute(
                "UPDATE receipts SET state = 'signed', signed_at = :signed_at,"
                " signed_by = :signed_by, relation = :relation, id_last4 = :id_last4,"
                " proxy_name = :proxy_name, proxy_id_last4 = :proxy_id_last4,"
                " stamped = :stamped, copies_signed = :copies_signed, due_at = :due_at,"
                " carrier = coalesce(carrier, :carrier), updated_at = :signed_at,"
                " sync_state = 'pending' WHERE waybill = :waybill AND state = 'required'",
                {**signing, "waybill": waybill},
            )
            if cur.rowcount:
                self.conn.executemany(
                    "INSERT OR IGNORE INTO receipt_photos (waybill, sha256) VALUES (?, ?)",
                    [(waybill, s) for s in photos],
                )
                self.audit("service.receipt_signed", actor, waybill)
        return bool(cur.rowcount)

    def service_receipt_photos(self, waybill: str) -> list[str]:
        rows = self.all("SELECT sha256 FROM receipt_photos WHERE waybill = ?", (waybill,))
        return [r[0] for r in rows]

    def service_receipts(self, states: Sequence[str], limit: int = 500) -> list[sqlite3.Row]:
        marks = ", ".join("?" * len(states))
        return self.all(
            f"SELECT * FROM receipts WHERE state IN ({marks})"
            " ORDER BY due_at IS NULL, due_at, waybill LIMIT ?",
            (*states, limit),
        )

    def service_batch_create(
        self, carrier: str, branch: str | None, waybills: Sequence[str], at: str, actor: str
    ) -> tuple[int, list[str]]:
        """Put signed, unsent receipts of one carrier in a new envelope, state sent.
        Returns (batch id, the waybills that went in); no batch when none could."""
        with self.transaction():
            marks = ", ".join("?" * len(waybills))
            rows = self.all(
                f"SELECT waybill FROM receipts WHERE state = 'signed' AND carrier = ?"
                f" AND waybill IN ({marks}) ORDER BY waybill",
                (carrier, *waybills),
            )
            taken = [r[0] for r in rows]
            if not taken:
                return 0, []
            cur = self.conn.execute(
                "INSERT INTO receipt_batches (carrier, branch, created_at, created_by,"
                " updated_at) VALUES (?, ?, ?, ?, ?)",
                (carrier, branch, at, actor, at),
            )
            bid = int(cur.lastrowid or 0)
            self.conn.execute(
                f"UPDATE receipts SET state = 'sent', batch_id = ?, updated_at = ?,"
                f" sync_state = 'pending' WHERE waybill IN ({', '.join('?' * len(taken))})",
                (bid, at, *taken),
            )
            self.audit("service.receipt_batch", actor, str(bid), waybills=taken)
        return bid, taken

    def service_batch_confirm(self, bid: int, at: str, actor: str) -> bool:
        """Head office (or a supervisor reading its answer) confirms the envelope arrived."""
        with self.transaction():
            cur = self.conn.execute(
                "UPDATE receipt_batches SET state = 'confirmed', confirmed_at = ?,"
                " updated_at = ?, sync_state = 'pending' WHERE id = ? AND state = 'sent'",
                (at, at, bid),
            )
            if cur.rowcount:
                self.conn.execute(
                    "UPDATE receipts SET state = 'confirmed', updated_at = ?,"
                    " sync_state = 'pending' WHERE batch_id = ?",
                    (at, bid),
                )
                self.audit("service.receipt_batch_confirmed", actor, str(bid))
        return bool(cur.rowcount)

    def service_batches(self, limit: int = 50) -> list[sqlite3.Row]:
        return self.all(
            "SELECT b.*, (SELECT COUNT(*) FROM receipts r WHERE r.batch_id = b.id) AS n,"
            " (SELECT group_concat(waybill, ' ') FROM receipts r WHERE r.batch_id = b.id)"
            " AS waybills FROM receipt_batches b ORDER BY b.id DESC LIMIT ?",
            (limit,),
        )

    def service_outstanding_receipts(self, before: str) -> list[sqlite3.Row]:
        """Per carrier: receipts signed before ``before`` that the sender does not hold
        yet (signed or sent, not confirmed), for the monthly summary."""
        return self.all(
            "SELECT coalesce(carrier, '') AS carrier, COUNT(*) AS n,"
            " SUM(state = 'signed') AS unsent, SUM(state = 'sent') AS unconfirmed"
            " FROM receipts WHERE state IN ('signed', 'sent') AND signed_at < ?"
            " GROUP BY 1 ORDER BY 1",
            (before,),
        )
