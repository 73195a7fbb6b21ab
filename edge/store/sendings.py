"""SQL of parcels sent from the station (寄件)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from edge.store.base import Migration, StoreBase

MIGRATIONS: list[Migration] = [
    (
        "sendings-001-sendings",
        """
        -- Parcels a customer sends from the station (寄件). Names masked, phones as the
        -- last 4, the destination as province / city / district only. The waybill links
        -- the sending to the carrier's batch dispatch.
        CREATE TABLE sendings (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            waybill TEXT NOT NULL UNIQUE,
            carrier TEXT NOT NULL,
            sender_name TEXT,
            sender_phone_last4 TEXT,
            receiver_name TEXT,
            receiver_phone_last4 TEXT,
            province TEXT NOT NULL,
            city TEXT,
            district TEXT,
            zone TEXT NOT NULL,
            weight_g INTEGER NOT NULL,
            price_fen INTEGER NOT NULL,
            payment TEXT NOT NULL CHECK (payment IN ('cash', 'qr')),
            sent_at TEXT NOT NULL,
            sent_by TEXT NOT NULL,
            sign_due_at TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'signed')),
            signed_at TEXT,
            updated_at TEXT NOT NULL,
            sync_state TEXT NOT NULL DEFAULT 'pending' CHECK (sync_state IN ('pending', 'synced'))
        );
        CREATE INDEX sendings_state ON sendings (state, sign_due_at);
        CREATE INDEX sendings_time ON sendings (sent_at);
        """,
    ),
]


class SendingSQL(StoreBase):
    def service_send(self, sending: dict[str, Any]) -> int | None:
        """Record a sending; None when its waybill is already recorded."""
        columns = ", ".join(sending)
        values = ", ".join(f":{k}" for k in sending)
        with self.transaction():
            cur = self.conn.execute(
                f"INSERT INTO sendings ({columns}, updated_at) VALUES ({values}, :sent_at)"
                " ON CONFLICT (waybill) DO NOTHING",
                sending,
            )
            if not cur.rowcount:
                return None
            self.audit(
                "service.send",
                sending["sent_by"],
                sending["waybill"],
                price_fen=sending["price_fen"],
            )
        return int(cur.lastrowid or 0)

    def service_sending(self, waybill: str) -> sqlite3.Row | None:
        return self.one("SELECT * FROM sendings WHERE waybill = ?", (waybill,))

    def service_sendings(self, states: Sequence[str], limit: int = 500) -> list[sqlite3.Row]:
        marks = ", ".join("?" * len(states))
        return self.all(
            f"SELECT * FROM sendings WHERE state IN ({marks}) ORDER BY sent_at DESC LIMIT ?",
            (*states, limit),
        )

    def service_sending_signed(self, waybill: str, at: str, actor: str = "head-office") -> bool:
        """Head office's sign record closes the sending (called by sync)."""
        with self.transaction():
            cur = self.conn.execute(
                "UPDATE sendings SET state = 'signed', signed_at = ?, updated_at = ?,"
                " sync_state = 'pending' WHERE waybill = ? AND state = 'open'",
                (at, at, waybill),
            )
            if cur.rowcount:
                self.audit("service.sending_signed", actor, waybill)
        return bool(cur.rowcount)

    def service_day_counts(self, start: str, end: str) -> dict[str, int]:
        """Sendings between two local times, their takings in fen and by payment."""
        row = self.one(
            "SELECT COUNT(*), coalesce(SUM(price_fen), 0),"
            " coalesce(SUM(CASE WHEN payment = 'cash' THEN price_fen END), 0),"
            " coalesce(SUM(CASE WHEN payment = 'qr' THEN price_fen END), 0)"
            " FROM sendings WHERE sent_at >= ? AND sent_at < ?",
            (start, end),
        )
        n, total, cash, qr = tuple(row) if row else (0, 0, 0, 0)
        return {"sendings": n, "takings_fen": total, "cash_fen": cash, "qr_fen": qr}
