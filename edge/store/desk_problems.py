"""SQL of problems that have a life (问题件处理): problem scans with their resolution,
resolved one at a time or all at once when the parcel goes back. Tables are made by
``edge.store.desk``."""

from __future__ import annotations

import sqlite3
from typing import Any

from edge.store.base import StoreBase
from edge.store.desk import NOT_UNDONE, REAL_PROBLEM


class ProblemSQL(StoreBase):
    # --- problems ----------------------------------------------------------------------

    def problems(self, open_only: bool = False, carrier: str | None = None,
                 reason: str | None = None) -> list[sqlite3.Row]:  # fmt: skip
        """Problem scans (oldest first) with their resolution, if any, and photos."""
        sql = (
            "SELECT s.seq, s.waybill, s.carrier, s.problem_code, s.scanned_at, s.operator,"
            " s.note, r.resolution, r.note AS resolution_note, r.operator AS resolved_by,"
            " r.resolved_at, (SELECT group_concat(sha256) FROM scan_photos f"
            " WHERE f.seq = s.seq) AS photos FROM scans s"
            " LEFT JOIN problem_resolutions r ON r.problem_seq = s.seq"
            f" WHERE {REAL_PROBLEM} AND {NOT_UNDONE}"
        )
        params: list[Any] = []
        if open_only:
            sql += " AND r.id IS NULL"
        if carrier:
            sql += " AND s.carrier = ?"
            params.append(carrier)
        if reason:
            sql += " AND s.problem_code = ?"
            params.append(reason)
        return self.all(sql + " ORDER BY s.seq", params)

    def problems_resolve_all(
        self, waybill: str, resolution: str, note: str, operator: str, at: str
    ) -> int:
        """Close every open problem of a parcel (a refused parcel handed back: returned)."""
        with self.transaction():
            rows = self.all(
                f"SELECT s.seq FROM scans s WHERE s.waybill = ? AND {REAL_PROBLEM}"
                f" AND {NOT_UNDONE} AND NOT EXISTS"
                " (SELECT 1 FROM problem_resolutions r WHERE r.problem_seq = s.seq)",
                (waybill,),
            )
            for row in rows:
                self.problem_resolve(row[0], resolution, note, operator, at)
        return len(rows)

    def problem_resolve(self, seq: int, resolution: str, note: str, operator: str, at: str) -> str:
        """'resolved', 'unknown' (no such problem scan) or 'already'."""
        with self.transaction():
            row = self.one(
                f"SELECT s.waybill FROM scans s WHERE s.seq = ? AND {REAL_PROBLEM}"
                f" AND {NOT_UNDONE}",
                (seq,),
            )
            if row is None:
                return "unknown"
            cur = self.conn.execute(
                "INSERT INTO problem_resolutions (problem_seq, waybill, resolution, note,"
                " operator, resolved_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (seq, row[0], resolution, note, operator, at),
            )
            if not cur.rowcount:
                return "already"
            self.audit("problem.resolve", operator, row[0], seq=seq, resolution=resolution)
        return "resolved"
