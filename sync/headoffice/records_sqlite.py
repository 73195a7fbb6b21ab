"""The receiver's SQLite tables for contract version 3: the records stations send and the
updates head office sends back, in the same database file as the scans (same
connections, same durability). Keys lead with the station, as the scans' do."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from sync.headoffice.sqlite import SQLiteStorage

SCHEMA = """
-- Every version of every record a station sent: a resent version is a no-op.
CREATE TABLE IF NOT EXISTS records (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    station TEXT NOT NULL,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    version TEXT NOT NULL,
    body TEXT NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (station, kind, id, version)
);
CREATE INDEX IF NOT EXISTS records_station ON records (station, kind, n);
-- What head office tells a station: answers to tickets, confirmed receipt batches,
-- sign records of parcels the station sent. n is the station's cursor.
CREATE TABLE IF NOT EXISTS station_updates (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    station TEXT NOT NULL,
    kind TEXT NOT NULL,
    ref TEXT NOT NULL,
    at TEXT NOT NULL,
    body TEXT NOT NULL,
    made_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS station_updates_station ON station_updates (station, n);
"""


class Records(Protocol):
    """What the records routes need of a backend (records_pg.py is the other one)."""

    def add_records(
        self, station: str, items: Sequence[dict[str, Any]], received_at: str
    ) -> list[str]:
        """Store checked records in one transaction: "accepted" or "duplicate" each."""
        ...

    def records(
        self, station: str, kind: str | None, after: int, limit: int
    ) -> list[dict[str, Any]]: ...

    def add_update(
        self, station: str, kind: str, ref: str, at: str, body: dict[str, Any], made_at: str
    ) -> int: ...

    def updates(self, station: str, after: int, limit: int) -> list[dict[str, Any]]: ...


class SQLiteRecords:
    def __init__(self, storage: SQLiteStorage) -> None:
        self.storage = storage
        with storage._write() as conn:
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)

    def add_records(
        self, station: str, items: Sequence[dict[str, Any]], received_at: str
    ) -> list[str]:
        statuses = []
        with self.storage._write() as conn:
            for item in items:
                cur = conn.execute(
                    "INSERT INTO records (station, kind, id, version, body, received_at)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (
                        station, item["kind"], item["id"], item["version"],
                        json.dumps(item["body"], ensure_ascii=False), received_at,
                    ),
                )  # fmt: skip
                statuses.append("accepted" if cur.rowcount else "duplicate")
        return statuses

    def records(
        self, station: str, kind: str | None, after: int, limit: int
    ) -> list[dict[str, Any]]:
        sql = "SELECT * FROM records WHERE station = ? AND n > ?"
        params: list[Any] = [station, after]
        if kind:
            sql += " AND kind = ?"
            params.append(kind)
        rows = self.storage._conn().execute(sql + " ORDER BY n LIMIT ?", [*params, limit])
        return _page(rows, ("kind", "id", "version", "body", "received_at"))

    def add_update(
        self, station: str, kind: str, ref: str, at: str, body: dict[str, Any], made_at: str
    ) -> int:
        with self.storage._write() as conn:
            cur = conn.execute(
                "INSERT INTO station_updates (station, kind, ref, at, body, made_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (station, kind, ref, at, json.dumps(body, ensure_ascii=False), made_at),
            )
        return int(cur.lastrowid or 0)

    def updates(self, station: str, after: int, limit: int) -> list[dict[str, Any]]:
        rows = self.storage._conn().execute(
            "SELECT * FROM station_updates WHERE station = ? AND n > ? ORDER BY n LIMIT ?",
            (station, after, limit),
        )
        return _page(rows, ("kind", "ref", "at", "body"))


def _page(rows: Iterable[sqlite3.Row], fields: Sequence[str]) -> list[dict[str, Any]]:
    """Rows as the API gives them: the row number as the cursor, the body parsed."""
    return [
        {"cursor": str(r["n"])} | {f: json.loads(r[f]) if f == "body" else r[f] for f in fields}
        for r in rows
    ]
