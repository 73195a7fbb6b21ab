"""SQL of the service desk: tickets and their history, signed receipts and their batches,
parcels sent. Each record has a sync_state of its own (pending until head office holds
its latest version), so uploading them never touches the scan queue."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from edge.store.base import Migration, StoreBase

MIGRATIONS: list[Migration] = [
    (
        "service-001-tickets-receipts-sendings",
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

# Record types sync may upload, by the table that holds them and its key.
SYNCED_TABLES = {
    "ticket": ("tickets", "id"),
    "receipt": ("receipts", "waybill"),
    "receipt_batch": ("receipt_batches", "id"),
    "sending": ("sendings", "id"),
}


class ServiceSQL(StoreBase):
    # --- tickets -----------------------------------------------------------------------

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

    # --- receipts ----------------------------------------------------------------------

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

    # --- sendings ----------------------------------------------------------------------

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
