"""The receiver's PostgreSQL tables for contract version 3, beside the PostgreSQL
backend's own (it hands over its connection pool). Same shapes as records_sqlite.py;
every key leads with the station, the column to distribute by with Citus."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

_LOCK = 0x5EC0_4D5  # advisory lock: one worker makes the tables, the others wait
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS records (
        station text NOT NULL,
        kind text NOT NULL,
        id text NOT NULL,
        version text NOT NULL,
        n bigint GENERATED ALWAYS AS IDENTITY,
        body jsonb NOT NULL,
        received_at text NOT NULL,
        PRIMARY KEY (station, kind, id, version)
    )""",
    "CREATE INDEX IF NOT EXISTS records_station ON records (station, n)",
    """CREATE TABLE IF NOT EXISTS station_updates (
        station text NOT NULL,
        n bigint GENERATED ALWAYS AS IDENTITY,
        kind text NOT NULL,
        ref text NOT NULL,
        at text NOT NULL,
        body jsonb NOT NULL,
        made_at text NOT NULL,
        PRIMARY KEY (station, n)
    )""",
)


class PostgresRecords:
    def __init__(self, pool: ConnectionPool[Any]) -> None:
        self.pool = pool
        with pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
            for statement in SCHEMA:
                conn.execute(statement)

    def add_records(
        self, station: str, items: Sequence[dict[str, Any]], received_at: str
    ) -> list[str]:
        statuses = []
        with self.pool.connection() as conn, conn.transaction():
            for item in items:
                cur = conn.execute(
                    "INSERT INTO records (station, kind, id, version, body, received_at)"
                    " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (station, item["kind"], item["id"], item["version"], Jsonb(item["body"]),
                     received_at),
                )  # fmt: skip
                statuses.append("accepted" if cur.rowcount else "duplicate")
        return statuses

    def records(
        self, station: str, kind: str | None, after: int, limit: int
    ) -> list[dict[str, Any]]:
        with self.pool.connection() as conn:
            rows = conn.cursor(row_factory=dict_row).execute(
                "SELECT n::text AS cursor, kind, id, version, body, received_at FROM records"
                " WHERE station = %s AND n > %s AND (%s::text IS NULL OR kind = %s)"
                " ORDER BY n LIMIT %s",
                (station, after, kind, kind, limit),
            )
            return list(rows)

    def add_update(
        self, station: str, kind: str, ref: str, at: str, body: dict[str, Any], made_at: str
    ) -> int:
        with self.pool.connection() as conn, conn.transaction():
            row = conn.execute(
                "INSERT INTO station_updates (station, kind, ref, at, body, made_at)"
                " VALUES (%s, %s, %s, %s, %s, %s) RETURNING n",
                (station, kind, ref, at, Jsonb(body), made_at),
            ).fetchone()
        return int(row[0]) if row else 0

    def updates(self, station: str, after: int, limit: int) -> list[dict[str, Any]]:
        with self.pool.connection() as conn:
            rows = conn.cursor(row_factory=dict_row).execute(
                "SELECT n::text AS cursor, kind, ref, at, body FROM station_updates"
                " WHERE station = %s AND n > %s ORDER BY n LIMIT %s",
                (station, after, limit),
            )
            return list(rows)
