"""SQL for pickup-code labels: the print queue `station printer` works through, where it
is in the read journal, and each printer's last known state (the page shows it)."""

from __future__ import annotations

import sqlite3
from typing import Any

from edge.store.base import Migration, StoreBase

MIGRATIONS: list[Migration] = [
    (
        "printing-001-jobs",
        """
        -- One label to print. The label's words are copied in when it is queued, so a
        -- reprint says what the first print said. next_at: Unix time of the next try.
        CREATE TABLE print_jobs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            printer TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('receive', 'reprint', 'test')),
            waybill TEXT,
            pickup_code TEXT,
            shelf TEXT,
            received_at TEXT,
            phone_last4 TEXT,
            device TEXT,
            read_id INTEGER,
            requested_by TEXT,
            created_at TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'printed', 'cancelled')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_at REAL NOT NULL DEFAULT 0,
            last_error TEXT,
            done_at TEXT
        );
        CREATE INDEX print_jobs_queue ON print_jobs (printer, state, id);
        CREATE INDEX print_jobs_waybill ON print_jobs (waybill, id);
        CREATE INDEX print_jobs_device ON print_jobs (device, id);
        -- A read is turned into at most one job, even if two followers race.
        CREATE UNIQUE INDEX print_jobs_read ON print_jobs (read_id) WHERE read_id IS NOT NULL;

        -- How far `station printer` has read the journal (reads.id). It starts where the
        -- journal ends now: receives before labels existed are not printed.
        CREATE TABLE print_follow (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            read_id INTEGER NOT NULL
        );
        INSERT INTO print_follow (id, read_id) SELECT 1, COALESCE(MAX(id), 0) FROM reads;

        -- Each printer as last seen: ok, or failing with the reason.
        CREATE TABLE printer_state (
            name TEXT PRIMARY KEY,
            state TEXT NOT NULL CHECK (state IN ('ok', 'failing')),
            detail TEXT,
            since TEXT NOT NULL,
            updated_at TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
]

JOB_FIELDS = (
    "printer", "kind", "waybill", "pickup_code", "shelf", "received_at", "phone_last4", "device",
    "read_id", "requested_by", "created_at",
)  # fmt: skip


class PrintingSQL(StoreBase):
    # --- following the read journal ----------------------------------------------------

    def printing_cursor(self) -> int:
        row = self.one("SELECT read_id FROM print_follow WHERE id = 1")
        return int(row[0]) if row else 0

    def printing_reads(self, after: int, upto: int) -> list[sqlite3.Row]:
        """Accepted receives, REPRINT cards and undone receives with after < id <= upto,
        with the phone."""
        return self.all(
            "SELECT r.id, r.at, r.device, r.operator, r.kind, r.code, r.message_key,"
            " r.waybill, r.pickup_code, r.shelf, p.phone_last4"
            " FROM reads r LEFT JOIN parcels p ON p.waybill = r.waybill"
            " WHERE r.id > ? AND r.id <= ? AND r.status = 'accepted' AND ("
            "  (r.kind = 'scan' AND r.type = 'receive' AND r.seq IS NOT NULL)"
            "  OR (r.kind = 'command' AND UPPER(r.code) = 'REPRINT')"
            "  OR (r.kind = 'command' AND r.message_key = 'undone' AND EXISTS ("
            "   SELECT 1 FROM scans s WHERE s.seq = r.seq AND s.type = 'receive')))"
            " ORDER BY r.id",
            (after, upto),
        )

    def printing_advance(self, read_id: int) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO print_follow (id, read_id) VALUES (1, ?)"
                " ON CONFLICT (id) DO UPDATE SET read_id = MAX(read_id, excluded.read_id)",
                (read_id,),
            )

    def printing_behind(self) -> int:
        """Reads not yet followed plus labels waiting: 0 once every label is out."""
        row = self.one(
            "SELECT (SELECT COUNT(*) FROM print_jobs WHERE state = 'pending')"
            " + (SELECT COUNT(*) FROM reads WHERE id > COALESCE("
            "   (SELECT read_id FROM print_follow WHERE id = 1), 0))"
        )
        return int(row[0]) if row else 0

    # --- the queue ---------------------------------------------------------------------

    def printing_enqueue(self, job: dict[str, Any]) -> int | None:
        """Queue one label; None when its read already has one."""
        values = [job.get(name) for name in JOB_FIELDS]
        with self.transaction():
            cur = self.conn.execute(
                f"INSERT INTO print_jobs ({', '.join(JOB_FIELDS)})"
                f" VALUES ({', '.join('?' * len(JOB_FIELDS))})"
                " ON CONFLICT (read_id) WHERE read_id IS NOT NULL DO NOTHING",
                values,
            )
            if not cur.rowcount:
                return None
            job_id = int(cur.lastrowid or 0)
            if job["kind"] == "reprint":
                self.audit("label.reprint", job.get("requested_by"), job.get("waybill"), job=job_id)
        return job_id

    def printing_last_label(self, device: str) -> sqlite3.Row | None:
        """The newest label a desk printed or queued (what a REPRINT card repeats)."""
        return self.one(
            "SELECT * FROM print_jobs WHERE device = ? AND kind != 'test'"
            " AND state != 'cancelled' ORDER BY id DESC LIMIT 1",
            (device,),
        )

    def printing_label_of(self, waybill: str) -> sqlite3.Row | None:
        """What a reprint of ``waybill`` says: its newest label, else its parcel record."""
        row = self.one(
            "SELECT waybill, pickup_code, shelf, received_at, phone_last4 FROM print_jobs"
            " WHERE waybill = ? AND kind != 'test' ORDER BY id DESC LIMIT 1",
            (waybill,),
        )
        if row is not None:
            return row
        return self.one(
            "SELECT waybill, pickup_code, shelf, received_at, phone_last4 FROM parcels"
            " WHERE waybill = ? AND pickup_code IS NOT NULL",
            (waybill,),
        )

    def printing_due(self, printer: str, now: float, limit: int = 20) -> list[sqlite3.Row]:
        """Pending jobs of a printer in queue order, if the first one is due."""
        rows = self.all(
            "SELECT * FROM print_jobs WHERE printer = ? AND state = 'pending' ORDER BY id LIMIT ?",
            (printer, limit),
        )
        # Labels come out in the order parcels arrived: a failed head job holds the rest.
        return rows if rows and rows[0]["next_at"] <= now else []

    def printing_next_due(self) -> float | None:
        row = self.one("SELECT MIN(next_at) FROM print_jobs WHERE state = 'pending'")
        return float(row[0]) if row and row[0] is not None else None

    def printing_done(self, job_id: int, at: str) -> None:
        with self.transaction():
            self.conn.execute(
                "UPDATE print_jobs SET state = 'printed', done_at = ?, attempts = attempts + 1,"
                " last_error = NULL WHERE id = ?",
                (at, job_id),
            )

    def printing_failed(self, job_id: int, error: str, next_at: float) -> int:
        """Count a failed try; returns the attempts so far."""
        with self.transaction():
            row = self.one(
                "UPDATE print_jobs SET attempts = attempts + 1, last_error = ?, next_at = ?"
                " WHERE id = ? RETURNING attempts",
                (error[:300], next_at, job_id),
            )
        return int(row[0]) if row else 0

    def printing_cancel(self, job_id: int, actor: str | None, at: str, **detail: str) -> bool:
        """Cancel one waiting label (the page); False when it no longer waits."""
        return bool(self._cancel("id = ?", job_id, actor, at, str(job_id), **detail))

    def printing_cancel_waybill(self, waybill: str, actor: str | None, at: str) -> int:
        """Cancel the labels still waiting for ``waybill`` (its receive was undone)."""
        return self._cancel("waybill = ?", waybill, actor, at, waybill, reason="receive undone")

    def _cancel(
        self, where: str, key: object, actor: str | None, at: str, subject: str, **detail: str
    ) -> int:
        with self.transaction():
            cur = self.conn.execute(
                "UPDATE print_jobs SET state = 'cancelled', done_at = ?"
                f" WHERE {where} AND state = 'pending'",
                (at, key),
            )
            if cur.rowcount:
                self.audit("label.cancel", actor, subject, **detail)
        return cur.rowcount

    def printing_prune(self, before: str) -> int:
        """Forget printed and cancelled labels finished before ``before`` (ISO time)."""
        with self.transaction():
            cur = self.conn.execute(
                "DELETE FROM print_jobs WHERE state != 'pending' AND done_at < ?", (before,)
            )
        return cur.rowcount

    def printing_job(self, job_id: int) -> sqlite3.Row | None:
        return self.one("SELECT * FROM print_jobs WHERE id = ?", (job_id,))

    def printing_jobs(self, limit: int = 50) -> list[sqlite3.Row]:
        return self.all("SELECT * FROM print_jobs ORDER BY id DESC LIMIT ?", (limit,))

    # --- printers ----------------------------------------------------------------------

    def printing_set_printer(self, name: str, state: str, detail: str | None, at: str) -> None:
        """Record a printer's state; ``since`` moves only when the state changes."""
        with self.transaction():
            self.conn.execute(
                "INSERT INTO printer_state (name, state, detail, since, updated_at)"
                " VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET"
                "  since = CASE WHEN state = excluded.state THEN since ELSE excluded.since END,"
                "  state = excluded.state, detail = excluded.detail,"
                "  updated_at = excluded.updated_at",
                (name, state, detail, at, at),
            )

    def printing_printers(self) -> list[sqlite3.Row]:
        """Every printer with a state or a queue: state, reason, labels waiting."""
        return self.all(
            "WITH q AS (SELECT printer, COUNT(*) AS waiting, MIN(created_at) AS oldest"
            "  FROM print_jobs WHERE state = 'pending' GROUP BY printer)"
            " SELECT s.name, s.state, s.detail, s.since, s.updated_at,"
            "  COALESCE(q.waiting, 0) AS waiting, q.oldest"
            " FROM printer_state s LEFT JOIN q ON q.printer = s.name"
            " UNION ALL"
            " SELECT q.printer, NULL, NULL, NULL, NULL, q.waiting, q.oldest FROM q"
            " WHERE q.printer NOT IN (SELECT name FROM printer_state)"
            " ORDER BY 1"
        )

    def printing_trouble(self) -> list[sqlite3.Row]:
        """Printers failing now: what the sorting screen and the status page warn about."""
        return [r for r in self.printing_printers() if r["state"] == "failing"]
