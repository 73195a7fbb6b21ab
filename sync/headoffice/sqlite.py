"""The receiver's SQLite backend: one connection per thread, WAL, synchronous=FULL."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sync.headoffice.group_commit import GroupCommit
from sync.headoffice.rows import (
    COLUMNS,
    MANIFEST_COLUMNS,
    MANIFEST_PUBLIC,
    PUBLIC,
    manifest_parcel,
    manifest_row,
    public,
    utc_key,
)
from sync.headoffice.storage import ManifestPage, Principal

DB_NAME = "head-office.db"

SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('station', 'query')),
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
-- One row per event: the unique constraints make a resent scan a no-op.
CREATE TABLE IF NOT EXISTS scans (
    id INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    station TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    waybill TEXT NOT NULL,
    carrier TEXT,
    scanned_at TEXT NOT NULL,
    scanned_utc TEXT NOT NULL,
    clock_synced INTEGER NOT NULL,
    clock_corrected INTEGER NOT NULL,
    boot_id TEXT NOT NULL,
    mono_ns INTEGER NOT NULL,
    device TEXT NOT NULL,
    operator TEXT,
    weight_g INTEGER,
    shelf TEXT,
    pickup_code TEXT,
    phone_last4 TEXT,
    dispatch_reason TEXT,
    problem_code TEXT,
    signer_relation TEXT,
    signer_id_last4 TEXT,
    photos TEXT NOT NULL,
    note TEXT,
    batch_id TEXT NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (station, seq)
);
CREATE INDEX IF NOT EXISTS scans_station_time ON scans (station, scanned_utc);
-- Scans per station-local day, station, carrier and type, for head office's page: kept in
-- each write's transaction (_count), filled from scans by the page's migration 4.
CREATE TABLE IF NOT EXISTS ho_scan_counts (
    day TEXT NOT NULL,
    station TEXT NOT NULL,
    carrier TEXT NOT NULL,
    type TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (day, station, carrier, type)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS scans_waybill ON scans (waybill, scanned_utc);
CREATE TABLE IF NOT EXISTS photos (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    received_at TEXT NOT NULL
);
-- Each station's latest heartbeat (contract version 4).
CREATE TABLE IF NOT EXISTS heartbeats (
    station TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    received_at TEXT NOT NULL
);
-- Which station sent which photo: a station is told only about its own.
CREATE TABLE IF NOT EXISTS photo_holders (
    station TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (station, sha256)
) WITHOUT ROWID;
-- Manifest rows are re-numbered on every import so a station's cursor sees changes.
CREATE TABLE IF NOT EXISTS manifest (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    station TEXT NOT NULL,
    waybill TEXT NOT NULL,
    carrier TEXT,
    phone_last4 TEXT,
    recipient_masked TEXT,
    declared_weight_g INTEGER,
    valuable INTEGER NOT NULL DEFAULT 0,
    imported_at TEXT NOT NULL,
    UNIQUE (station, waybill)
);
CREATE INDEX IF NOT EXISTS manifest_station ON manifest (station, id);
"""
# Manifest columns added after version 1, added to an older database when it opens.
MANIFEST_ADDED = (("consent", "INTEGER"), ("receipt", "TEXT"), ("hops", "INTEGER"))

_INSERT = (
    f"INSERT INTO scans ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    " ON CONFLICT DO NOTHING"
)
_SELECT = f"SELECT {', '.join(PUBLIC)} FROM scans"

_INSERT_MANIFEST = (
    f"INSERT INTO manifest ({', '.join(MANIFEST_COLUMNS)})"
    f" VALUES ({', '.join('?' * len(MANIFEST_COLUMNS))})"
)


class SQLiteStorage:
    def __init__(self, data_dir: Path | str) -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.data_dir / DB_NAME
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._group = GroupCommit(self._write)
        with self._write() as conn:
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            have = {r["name"] for r in conn.execute("PRAGMA table_info(manifest)")}
            for name, kind in MANIFEST_ADDED:
                if name not in have:
                    conn.execute(f"ALTER TABLE manifest ADD COLUMN {name} {kind}")

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                str(self.path), isolation_level=None, timeout=30, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA busy_timeout = 30000")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def _write(self) -> _Tx:
        return _Tx(self._conn())

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    # -- tokens ------------------------------------------------------------------------
    def add_token(self, name: str, token_hash: str, role: str) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO tokens (token_hash, name, role) VALUES (?, ?, ?)",
                (token_hash, name, role),
            )

    def principal(self, token_hash: str) -> Principal | None:
        row = (
            self._conn()
            .execute("SELECT name, role FROM tokens WHERE token_hash = ?", (token_hash,))
            .fetchone()
        )
        return Principal(row["name"], row["role"]) if row else None

    # -- scans -------------------------------------------------------------------------
    def add_scans(self, rows: Sequence[tuple[Any, ...]]) -> list[tuple[str, str | None]]:
        # Batches that arrive together share one commit (group_commit.py).
        return self._group.run(lambda conn: _add_scans(conn, rows))

    def accept(
        self, station: str, rows: Sequence[tuple[Any, ...]]
    ) -> tuple[list[tuple[str, str | None]], int | None]:
        if not rows:  # every scan rejected: nothing to write
            return [], self.station_seq(station)
        return self._group.run(lambda conn: (_add_scans(conn, rows), _max_seq(conn, station)))

    def scans(
        self,
        *,
        station: str | None = None,
        waybill: str | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int = 1000,
    ) -> list[dict[str, Any]]:
        where, params = [], []
        if station is not None:
            where.append("station = ?")
            params.append(station)
        if waybill is not None:
            where.append("waybill = ?")
            params.append(waybill)
        if since is not None:
            where.append("scanned_utc >= ?")
            params.append(utc_key(since))
        if until is not None:
            where.append("scanned_utc < ?")
            params.append(utc_key(until))
        sql = _SELECT
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY scanned_utc, station, seq LIMIT ?"
        rows = self._conn().execute(sql, [*params, limit]).fetchall()
        return [public(r) for r in rows]

    # -- photos ------------------------------------------------------------------------
    def station_seq(self, station: str) -> int | None:
        return _max_seq(self._conn(), station)

    def put_heartbeat(self, station: str, body: dict[str, Any], received_at: str) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO heartbeats (station, body, received_at) VALUES (?, ?, ?)"
                " ON CONFLICT (station) DO UPDATE SET body = excluded.body,"
                " received_at = excluded.received_at",
                (station, json.dumps(body, ensure_ascii=False), received_at),
            )

    def heartbeats(self) -> list[dict[str, Any]]:
        rows = self._conn().execute(
            "SELECT station, received_at, body FROM heartbeats ORDER BY station"
        )
        return [
            {
                "station": r["station"],
                "received_at": r["received_at"],
                "heartbeat": json.loads(r["body"]),
            }
            for r in rows
        ]

    def has_photo(self, sha256: str, station: str | None) -> bool:
        params: tuple[str, ...]
        if station is None:
            sql, params = "SELECT 1 FROM photos WHERE sha256 = ?", (sha256,)
        else:
            sql = "SELECT 1 FROM photo_holders WHERE station = ? AND sha256 = ?"
            params = (station, sha256)
        return self._conn().execute(sql, params).fetchone() is not None

    def put_photo(self, sha256: str, data: bytes, received_at: str, station: str) -> bool:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO photos (sha256, size, data, received_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (sha256, len(data), data, received_at),
            )
            cur = conn.execute(
                "INSERT INTO photo_holders (station, sha256) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (station, sha256),
            )
            return cur.rowcount == 1

    # -- manifest ----------------------------------------------------------------------
    def import_manifest(self, parcels: Sequence[dict[str, Any]], imported_at: str) -> int:
        with self._write() as conn:
            for p in parcels:
                # Deleted and inserted again: a new id, so a station's cursor sees the change.
                conn.execute(
                    "DELETE FROM manifest WHERE station = ? AND waybill = ?",
                    (p["station"], p["waybill"]),
                )
                conn.execute(_INSERT_MANIFEST, manifest_row(p, imported_at))
        return len(parcels)

    def manifest(self, station: str, after: str | None, limit: int) -> ManifestPage:
        start = int(after) if after and after.isdigit() else 0
        rows = (
            self._conn()
            .execute(
                f"SELECT {', '.join(MANIFEST_PUBLIC)}, id AS _id FROM manifest"
                " WHERE station = ? AND id > ? ORDER BY id LIMIT ?",
                (station, start, limit),
            )
            .fetchall()
        )
        parcels = [manifest_parcel(r) for r in rows]
        return ManifestPage(parcels, str(rows[-1]["_id"]) if rows else (after or None))


class _Tx:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any error."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
        elif self.conn.in_transaction:
            self.conn.execute("ROLLBACK")


def _add_scans(
    conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]
) -> list[tuple[str, str | None]]:
    results: list[tuple[str, str | None]] = []
    # Fast path, one statement for the batch: every scan new, as in steady state.
    conn.execute("SAVEPOINT batch")
    before = conn.total_changes
    conn.executemany(_INSERT, rows)
    if conn.total_changes - before == len(rows):
        _count(conn, rows)
        conn.execute("RELEASE batch")
        return [("accepted", None)] * len(rows)
    # Some were held already (a resend): row by row, to answer each.
    conn.execute("ROLLBACK TO batch")
    conn.execute("RELEASE batch")
    accepted = []
    for row in rows:
        cur = conn.execute(_INSERT, row)
        if cur.rowcount == 1:
            accepted.append(row)
            results.append(("accepted", None))
            continue
        # Only on a conflict: which constraint said no?
        held = conn.execute(
            "SELECT station, seq FROM scans WHERE event_id = ?", (row[0],)
        ).fetchone()
        if held is None:
            results.append(("rejected", "seq: already used by another event of this station"))
        elif held["station"] != row[1]:
            results.append(("rejected", "event_id: already used by another station"))
        else:
            results.append(("duplicate", None))
    _count(conn, accepted)
    return results


_DAY, _STATION, _CARRIER, _TYPE = (
    COLUMNS.index(c) for c in ("scanned_at", "station", "carrier", "type")
)


def _count(conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Add stored rows to ho_scan_counts: one upsert per counter, not per scan (a
    per-row trigger cost 40 % of the ingest rate)."""
    tally = Counter((r[_DAY][:10], r[_STATION], r[_CARRIER] or "", r[_TYPE]) for r in rows)
    conn.executemany(
        "INSERT INTO ho_scan_counts (day, station, carrier, type, n) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (day, station, carrier, type) DO UPDATE SET n = n + excluded.n",
        [(*key, n) for key, n in tally.items()],
    )


def _max_seq(conn: sqlite3.Connection, station: str) -> int | None:
    row = conn.execute("SELECT max(seq) FROM scans WHERE station = ?", (station,)).fetchone()
    return row[0] if row else None
