"""SQL of the service desk's tickets (工单) and their history, and what sync needs of
every service record. Each record (ticket, receipt, receipt batch, sending) has a
sync_state of its own, pending until head office holds its latest version, so
uploading them never touches the scan queue."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from edge.store.base import Migration, StoreBase

MIGRATIONS: list[Migration] = [
    (
        "service-001-tickets",
        """
        -- A customer's inquiry, complaint or claim (工单). updated_at changes with every
        -- event; sync marks the ticket synced only for the version it sent.
        CREATE TABLE tickets (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL CHECK (kind IN ('inquiry', 'complaint', 'claim')),
            category TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'open'
                CHECK (state IN ('open', 'answered', 'settled', 'followed_up')),
            phone_last4 TEXT,
            words TEXT NOT NULL,
            opened_at TEXT NOT NULL,
            opened_by TEXT NOT NULL,
            answered_at TEXT,
            settled_at TEXT,
            followed_up_at TEXT,
            outcome TEXT CHECK (outcome IN ('satisfied', 'unreachable')),
            satisfaction INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
            follow_up_tries INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL,
            sync_state TEXT NOT NULL DEFAULT 'pending' CHECK (sync_state IN ('pending', 'synced'))
        );
        CREATE INDEX tickets_state ON tickets (state, opened_at);
        CREATE INDEX tickets_sync ON tickets (sync_state, id);
        CREATE TABLE ticket_waybills (
            ticket_id INTEGER NOT NULL REFERENCES tickets (id),
            waybill TEXT NOT NULL,
            PRIMARY KEY (ticket_id, waybill)
        ) WITHOUT ROWID;
        CREATE INDEX ticket_waybills_waybill ON ticket_waybills (waybill);
        -- Every step of a ticket, naming who took it.
        CREATE TABLE ticket_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            ticket_id INTEGER NOT NULL REFERENCES tickets (id),
            at TEXT NOT NULL,
            operator TEXT NOT NULL,
            action TEXT NOT NULL,
            words TEXT
        );
        CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);
        CREATE TABLE ticket_photos (
            ticket_id INTEGER NOT NULL REFERENCES tickets (id),
            sha256 TEXT NOT NULL REFERENCES photos (sha256),
            PRIMARY KEY (ticket_id, sha256)
        ) WITHOUT ROWID;
        """,
    ),
]

# Record types sync may upload, by the table that holds them and its key.
SYNCED_TABLES = {
    "ticket": ("tickets", "id"),
    "receipt": ("receipts", "waybill"),
    "receipt_batch": ("receipt_batches", "id"),
    "sending": ("sendings", "id"),
}


class ServiceSQL(StoreBase):
    def service_ticket_open(
        self, ticket: dict[str, Any], waybills: Sequence[str], photos: Sequence[str]
    ) -> int:
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO tickets (kind, category, phone_last4, words, opened_at, opened_by,"
                " updated_at) VALUES (:kind, :category, :phone_last4, :words, :opened_at,"
                " :opened_by, :opened_at)",
                ticket,
            )
            tid = int(cur.lastrowid or 0)
            self.conn.executemany(
                "INSERT OR IGNORE INTO ticket_waybills (ticket_id, waybill) VALUES (?, ?)",
                [(tid, w) for w in waybills],
            )
            self.conn.executemany(
                "INSERT OR IGNORE INTO ticket_photos (ticket_id, sha256) VALUES (?, ?)",
                [(tid, s) for s in photos],
            )
            self._ticket_event(tid, ticket["opened_at"], ticket["opened_by"], "open", None)
            self.audit("service.ticket_open", ticket["opened_by"], str(tid), kind=ticket["kind"])
        return tid

    def _ticket_event(
        self, tid: int, at: str, operator: str, action: str, words: str | None
    ) -> None:
        self.conn.execute(
            "INSERT INTO ticket_events (ticket_id, at, operator, action, words)"
            " VALUES (?, ?, ?, ?, ?)",
            (tid, at, operator, action, words),
        )

    def service_ticket_update(
        self,
        tid: int,
        expected_state: str,
        fields: dict[str, Any],
        events: Sequence[str],
        at: str,
        operator: str,
        words: str | None,
    ) -> bool:
        """Set ``fields`` and log ``events`` if the ticket is still in ``expected_state``
        (two clerks on one ticket: the second is told, not silently overwritten)."""
        sets = ", ".join(f"{k} = :{k}" for k in fields)
        with self.transaction():
            cur = self.conn.execute(
                f"UPDATE tickets SET {sets}, updated_at = :at, sync_state = 'pending' "
                "WHERE id = :id AND state = :expected",
                {**fields, "at": at, "id": tid, "expected": expected_state},
            )
            if not cur.rowcount:
                return False
            for action in events:
                self._ticket_event(tid, at, operator, action, words)
            self.audit("service.ticket_update", operator, str(tid), events=list(events))
        return True

    def service_ticket(self, tid: int) -> sqlite3.Row | None:
        return self.one("SELECT * FROM tickets WHERE id = ?", (tid,))

    def service_tickets(self, states: Sequence[str], limit: int = 500) -> list[sqlite3.Row]:
        marks = ", ".join("?" * len(states))
        return self.all(
            f"SELECT * FROM tickets WHERE state IN ({marks}) ORDER BY opened_at, id LIMIT ?",
            (*states, limit),
        )

    def service_ticket_waybills(self, ids: Sequence[int]) -> dict[int, list[str]]:
        marks = ", ".join("?" * len(ids))
        found: dict[int, list[str]] = {i: [] for i in ids}
        for row in self.all(
            f"SELECT ticket_id, waybill FROM ticket_waybills WHERE ticket_id IN ({marks})"
            " ORDER BY waybill",
            list(ids),
        ):
            found[row[0]].append(row[1])
        return found

    def service_ticket_events(self, tid: int) -> list[sqlite3.Row]:
        return self.all("SELECT * FROM ticket_events WHERE ticket_id = ? ORDER BY id", (tid,))

    def service_ticket_photos(self, tid: int) -> list[str]:
        return [
            r[0] for r in self.all("SELECT sha256 FROM ticket_photos WHERE ticket_id = ?", (tid,))
        ]

    def service_ticket_counts(self) -> dict[str, int]:
        rows = self.all("SELECT state, COUNT(*) FROM tickets GROUP BY state")
        return {r[0]: int(r[1]) for r in rows}

    # --- for sync: records changed since head office last held them ---------------------

    def service_pending(self, record: str, limit: int = 100) -> list[sqlite3.Row]:
        table, key = SYNCED_TABLES[record]
        return self.all(
            f"SELECT * FROM {table} WHERE sync_state = 'pending' ORDER BY {key} LIMIT ?",
            (limit,),
        )

    def service_mark_synced(self, record: str, sent: Sequence[tuple[Any, str]]) -> int:
        """Mark (key, updated_at) pairs synced; a record changed since it was read for
        upload keeps its pending state and goes again."""
        table, key = SYNCED_TABLES[record]
        with self.transaction():
            done = 0
            for value, updated_at in sent:
                cur = self.conn.execute(
                    f"UPDATE {table} SET sync_state = 'synced' WHERE {key} = ? AND updated_at = ?",
                    (value, updated_at),
                )
                done += cur.rowcount
        return done
