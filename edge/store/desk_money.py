"""SQL of the month's money (piece fees, the month's scans, statements) and of the
day's records waiting for head office. Tables are made by ``edge.store.desk``."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

from edge.store.base import StoreBase
from edge.store.desk import DESK_RECORDS, NOT_UNDONE


class MoneySQL(StoreBase):
    # --- money -------------------------------------------------------------------------

    def fee_set(self, carrier: str, kind: str, effective_from: str, fen: int,
                free_days: int | None, at: str, actor: str | None) -> None:  # fmt: skip
        with self.transaction():
            self.conn.execute(
                "INSERT INTO piece_fees (carrier, kind, effective_from, fen, free_days, set_at,"
                " set_by) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET"
                " fen = excluded.fen, free_days = excluded.free_days, set_at = excluded.set_at,"
                " set_by = excluded.set_by",
                (carrier, kind, effective_from, fen, free_days, at, actor),
            )
            self.audit("fee.set", actor, carrier, kind=kind, fen=fen, effective_from=effective_from)

    def fees(self) -> list[sqlite3.Row]:
        return self.all("SELECT * FROM piece_fees ORDER BY carrier, kind, effective_from")

    def month_counts(self, start: str, end: str) -> list[sqlite3.Row]:
        """Scans not undone, recorded with a synced clock in [start, end), counted per
        carrier, type, return or not, local day and whole days the parcel was on the shelf
        (for the storage fee)."""
        return self.all(
            "SELECT COALESCE(s.carrier, '') AS carrier, s.type, s.dispatch_reason,"
            " substr(s.scanned_at, 1, 10) AS day, CASE WHEN s.type IN ('sign', 'dispatch')"
            " THEN CAST(julianday(s.scanned_at) - julianday(q.received_at) AS INTEGER) END"
            " AS days_on_shelf, COUNT(*) AS n FROM scans s"
            " LEFT JOIN parcels q ON q.waybill = s.waybill"
            " WHERE s.scanned_at >= ? AND s.scanned_at < ? AND s.clock_synced = 1"
            f" AND s.type <> 'stocktake' AND {NOT_UNDONE} GROUP BY 1, 2, 3, 4, 5",
            (start, end),
        )

    def unsynced_scans(self) -> Iterator[sqlite3.Row]:
        """Scans not undone recorded before the clock synced, with their boot's sync point
        (if any) to correct their time."""
        yield from self.conn.execute(
            "SELECT s.type, COALESCE(s.carrier, '') AS carrier, s.scanned_at, s.clock_synced,"
            " s.mono_ns, s.dispatch_reason, p.wall_at_sync, p.mono_at_sync, q.received_at"
            " FROM scans s LEFT JOIN clock_sync_points p ON p.boot_id = s.boot_id"
            " LEFT JOIN parcels q ON q.waybill = s.waybill"
            f" WHERE s.clock_synced = 0 AND {NOT_UNDONE} ORDER BY s.seq"
        )

    def resolutions_between(self, start: str, end: str) -> list[sqlite3.Row]:
        return self.all(
            "SELECT COALESCE(s.carrier, '') AS carrier, COUNT(*) AS n FROM problem_resolutions r"
            " JOIN scans s ON s.seq = r.problem_seq WHERE r.resolved_at >= ? AND r.resolved_at < ?"
            " GROUP BY 1",
            (start, end),
        )

    def monthly_save(self, month: str, body: dict[str, Any], at: str) -> bool:
        """Keep the statement for head office; pending again only when it changed."""
        text = json.dumps(body, ensure_ascii=False, sort_keys=True)
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO monthly_reports (month, made_at, body) VALUES (?, ?, ?)"
                " ON CONFLICT (month) DO UPDATE SET made_at = excluded.made_at,"
                " body = excluded.body, sync_state = 'pending', synced_at = NULL"
                " WHERE monthly_reports.body <> excluded.body",
                (month, at, text),
            )
        return bool(cur.rowcount)

    # --- records for head office -------------------------------------------------------

    def desk_pending(self, kind: str, limit: int = 100) -> list[sqlite3.Row]:
        table, key = DESK_RECORDS[kind]
        return self.all(
            f"SELECT * FROM {table} WHERE sync_state = 'pending' ORDER BY {key} LIMIT ?", (limit,)
        )

    def desk_mark_sent(self, kind: str, keys: list[Any], at: str) -> int:
        table, key = DESK_RECORDS[kind]
        with self.transaction():
            n = 0
            for value in keys:
                n += self.conn.execute(
                    f"UPDATE {table} SET sync_state = 'sent', synced_at = ?"
                    f" WHERE {key} = ? AND sync_state = 'pending'",
                    (at, value),
                ).rowcount
        return n
