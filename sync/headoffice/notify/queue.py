"""The notify loop's own SQLite file: parcels seen arriving, and each message's status.

Kept apart from the receiver's database (either backend) so notifications add no table
to it and their migrations stay here.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sync.headoffice.notify.dbfile import open_db

DB_NAME = "notify.db"
MAX_ATTEMPTS = 3

MIGRATIONS = (
    (
        "notify_v1",
        """
        CREATE TABLE parcels (
            station TEXT NOT NULL,
            waybill TEXT NOT NULL,
            pickup_code TEXT,
            shelf TEXT,
            arrived_at TEXT NOT NULL,   -- UTC, the receive scan's time
            gone_at TEXT,               -- signed or dispatched: no more reminders
            PRIMARY KEY (station, waybill)
        ) WITHOUT ROWID;
        -- step: 0 arrival, N a reminder on day N (or the return notice), NULL a re-send.
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            station TEXT NOT NULL,
            waybill TEXT NOT NULL,
            template TEXT NOT NULL,
            step INTEGER,
            status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
            reason TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            at TEXT NOT NULL,
            UNIQUE (station, waybill, step)
        );
        CREATE INDEX messages_status ON messages (status);
        CREATE TABLE cursor (id INTEGER PRIMARY KEY CHECK (id = 1), scanned_utc TEXT);
        """,
    ),
    (
        "notify_v2_resend_cursor",
        """
        -- How far each station's notify_resend records have been read (records' n).
        CREATE TABLE resend_cursor (station TEXT PRIMARY KEY, n INTEGER NOT NULL)
            WITHOUT ROWID;
        """,
    ),
)


@dataclass(frozen=True)
class Pending:
    id: int
    station: str
    waybill: str
    template: str
    step: int | None
    pickup_code: str | None
    arrived_at: str


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


class NotifyQueue:
    def __init__(self, folder: Path) -> None:
        self._conn = open_db(folder / DB_NAME, MIGRATIONS)
        self._conn.row_factory = sqlite3.Row

    def close(self) -> None:
        self._conn.close()

    def cursor(self) -> str | None:
        row = self._conn.execute("SELECT scanned_utc FROM cursor").fetchone()
        return row[0] if row else None

    def set_cursor(self, scanned_utc: str) -> None:
        self._conn.execute(
            "INSERT INTO cursor (id, scanned_utc) VALUES (1, ?)"
            " ON CONFLICT (id) DO UPDATE SET scanned_utc = excluded.scanned_utc",
            (scanned_utc,),
        )

    def stations(self) -> list[str]:
        return [r[0] for r in self._conn.execute("SELECT DISTINCT station FROM parcels")]

    def resend_cursor(self, station: str) -> int:
        row = self._conn.execute(
            "SELECT n FROM resend_cursor WHERE station = ?", (station,)
        ).fetchone()
        return int(row[0]) if row else 0

    def set_resend_cursor(self, station: str, n: int) -> None:
        self._conn.execute(
            "INSERT INTO resend_cursor (station, n) VALUES (?, ?)"
            " ON CONFLICT (station) DO UPDATE SET n = excluded.n",
            (station, n),
        )

    def arrived(self, scan: dict[str, Any], at: datetime) -> bool:
        """Note a receive scan and queue its arrival message; False if seen before."""
        with self._conn:
            self._conn.execute("BEGIN")
            cur = self._conn.execute(
                "INSERT INTO parcels (station, waybill, pickup_code, shelf, arrived_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (
                    scan["station"],
                    scan["waybill"],
                    scan.get("pickup_code"),
                    scan.get("shelf"),
                    scan["scanned_utc"],
                ),
            )
            if cur.rowcount != 1:
                return False
            self._queue(scan["station"], scan["waybill"], "arrival", 0, at)
        return True

    def gone(self, station: str, waybill: str, at: str) -> None:
        self._conn.execute(
            "UPDATE parcels SET gone_at = ? WHERE station = ? AND waybill = ? AND gone_at IS NULL",
            (at, station, waybill),
        )

    def _queue(
        self, station: str, waybill: str, template: str, step: int | None, at: datetime
    ) -> int:
        cur = self._conn.execute(
            "INSERT INTO messages (station, waybill, template, step, status, at)"
            " VALUES (?, ?, ?, ?, 'queued', ?) ON CONFLICT DO NOTHING",
            (station, waybill, template, step, _iso(at)),
        )
        return cur.rowcount

    def queue(
        self, station: str, waybill: str, template: str, step: int | None, at: datetime
    ) -> bool:
        return self._queue(station, waybill, template, step, at) == 1

    def resend(self, station: str, waybill: str, at: datetime) -> bool:
        """Queue the arrival message again, for a parcel head office saw arrive."""
        row = self._conn.execute(
            "SELECT 1 FROM parcels WHERE station = ? AND waybill = ? AND gone_at IS NULL",
            (station, waybill),
        ).fetchone()
        return row is not None and self.queue(station, waybill, "arrival", None, at)

    def on_shelf(self) -> list[sqlite3.Row]:
        return self._conn.execute(
            "SELECT station, waybill, arrived_at FROM parcels WHERE gone_at IS NULL"
        ).fetchall()

    def steps(self, station: str, waybill: str) -> set[int]:
        rows = self._conn.execute(
            "SELECT step FROM messages WHERE station = ? AND waybill = ? AND step IS NOT NULL",
            (station, waybill),
        )
        return {r[0] for r in rows}

    def latest_at(self, station: str, waybill: str) -> str | None:
        """When the parcel's latest message was queued or last tried."""
        row = self._conn.execute(
            "SELECT max(at) FROM messages WHERE station = ? AND waybill = ?", (station, waybill)
        ).fetchone()
        return row[0] if row else None

    def pending(self) -> list[Pending]:
        rows = self._conn.execute(
            "SELECT m.id, m.station, m.waybill, m.template, m.step, p.pickup_code, p.arrived_at"
            " FROM messages m JOIN parcels p USING (station, waybill)"
            " WHERE m.status = 'queued' OR (m.status = 'failed' AND m.attempts < ?)"
            " ORDER BY m.id",
            (MAX_ATTEMPTS,),
        ).fetchall()
        return [Pending(*r) for r in rows]

    def settle(self, message_id: int, status: str, reason: str | None, at: datetime) -> None:
        self._conn.execute(
            "UPDATE messages SET status = ?, reason = ?, at = ?, attempts = attempts + 1"
            " WHERE id = ?",
            (status, reason, _iso(at), message_id),
        )

    def give_up(self, message_id: int, reason: str, at: datetime) -> None:
        """Failed for good (no number, say): not retried."""
        self._conn.execute(
            "UPDATE messages SET status = 'failed', reason = ?, at = ?, attempts = ? WHERE id = ?",
            (reason, _iso(at), MAX_ATTEMPTS, message_id),
        )

    def status(self, station: str, waybill: str) -> dict[str, Any] | None:
        """The latest message's {template, status, at, reason}, what the station is told."""
        row = self._conn.execute(
            "SELECT template, status, at, reason FROM messages WHERE station = ? AND waybill = ?"
            " ORDER BY at DESC, id DESC LIMIT 1",
            (station, waybill),
        ).fetchone()
        return dict(row) if row else None
