"""The receiver's PostgreSQL backend: psycopg 3 with a connection pool.

Schema choices (docs/SCALING.md has the measurements):
- Idempotency and seq uniqueness live in ``scan_keys``, an unpartitioned table keyed by
  ``(station, event_id)`` with ``UNIQUE (station, seq)``. A unique key on a partitioned
  table must contain the partition key; partitioning scans by month would then turn
  ``UNIQUE (event_id)`` into ``UNIQUE (event_id, month)``, which no longer stops a resend
  made in another month. The key table decides accepted / duplicate / rejected, exactly.
- ``scans`` is range-partitioned by the month head office received it (its own clock,
  so partitions made ahead are always the right ones; a station's clock may say 1970),
  with a DEFAULT partition so an insert never fails for want of one.
- Every key leads with the station, the column to distribute by with Citus.
- A batch is one statement: unnest() of per-column arrays into the key table with
  ``ON CONFLICT DO NOTHING RETURNING``, the scans of the new keys in the same statement.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from psycopg import Connection, sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from sync.headoffice.rows import (
    COLUMNS,
    MANIFEST_COLUMNS,
    MANIFEST_PUBLIC,
    PUBLIC,
    manifest_parcel,
    manifest_row,
    public,
    utc,
)
from sync.headoffice.storage import ManifestPage, Principal

log = logging.getLogger(__name__)

MONTHS_AHEAD = 3
_LOCK = 0x57A7_10_0FF1CE  # advisory lock: one process migrates or makes partitions

MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (
        1,
        "tokens, keys, partitioned scans, photos, manifest",
        """
CREATE TABLE tokens (
    token_hash text PRIMARY KEY,
    name text NOT NULL,
    role text NOT NULL CHECK (role IN ('station', 'query')),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE scan_keys (
    station text NOT NULL,
    event_id text NOT NULL,
    seq bigint NOT NULL,
    PRIMARY KEY (station, event_id),
    UNIQUE (station, seq)
);
CREATE SEQUENCE scans_id_seq;
CREATE TABLE scans (
    id bigint NOT NULL DEFAULT nextval('scans_id_seq'),
    event_id text NOT NULL,
    station text NOT NULL,
    seq bigint NOT NULL,
    type text NOT NULL,
    waybill text NOT NULL,
    carrier text,
    scanned_at text NOT NULL,
    scanned_utc timestamptz NOT NULL,
    clock_synced boolean NOT NULL,
    clock_corrected boolean NOT NULL,
    boot_id text NOT NULL,
    mono_ns bigint NOT NULL,
    device text NOT NULL,
    operator text,
    weight_g integer,
    shelf text,
    pickup_code text,
    phone_last4 text,
    dispatch_reason text,
    problem_code text,
    signer_relation text,
    signer_id_last4 text,
    photos text NOT NULL,
    note text,
    batch_id text NOT NULL,
    received_at timestamptz NOT NULL
) PARTITION BY RANGE (received_at);
CREATE TABLE scans_default PARTITION OF scans DEFAULT;
CREATE INDEX scans_station_time ON scans (station, scanned_utc);
CREATE INDEX scans_station_event ON scans (station, event_id);
CREATE INDEX scans_waybill ON scans (waybill, scanned_utc);
CREATE TABLE photos (
    sha256 text PRIMARY KEY,
    size integer NOT NULL,
    data bytea NOT NULL,
    received_at timestamptz NOT NULL
);
CREATE TABLE photo_holders (
    station text NOT NULL,
    sha256 text NOT NULL,
    PRIMARY KEY (station, sha256)
);
CREATE TABLE manifest (
    station text NOT NULL,
    id bigint GENERATED ALWAYS AS IDENTITY,
    waybill text NOT NULL,
    carrier text,
    phone_last4 text,
    recipient_masked text,
    declared_weight_g integer,
    valuable boolean NOT NULL DEFAULT false,
    imported_at timestamptz NOT NULL,
    PRIMARY KEY (station, id),
    UNIQUE (station, waybill)
);
""",
    ),
    (
        2,
        "each station's latest heartbeat (contract version 4)",
        """
CREATE TABLE heartbeats (
    station text PRIMARY KEY,
    body jsonb NOT NULL,
    received_at timestamptz NOT NULL
);
""",
    ),
    (
        3,
        "manifest consent, receipt and hops (contract version 6)",
        """
ALTER TABLE manifest
    ADD COLUMN consent boolean,
    ADD COLUMN receipt text,
    ADD COLUMN hops smallint;
""",
    ),
)

_ARRAY_TYPES = {
    "seq": "bigint[]",
    "scanned_utc": "timestamptz[]",
    "clock_synced": "boolean[]",
    "clock_corrected": "boolean[]",
    "mono_ns": "bigint[]",
    "weight_g": "integer[]",
    "received_at": "timestamptz[]",
}
# One statement per batch: keys first; only the rows whose key is new become scans.
_ADD = sql.SQL(
    """
WITH input AS (
    SELECT * FROM unnest({arrays}) WITH ORDINALITY AS t({columns}, ord)
), keys AS (
    INSERT INTO scan_keys (station, event_id, seq)
    SELECT station, event_id, seq FROM input ORDER BY ord
    ON CONFLICT DO NOTHING
    RETURNING event_id
), stored AS (
    INSERT INTO scans ({columns})
    SELECT {columns} FROM (
        SELECT DISTINCT ON (event_id) input.* FROM input JOIN keys USING (event_id)
        ORDER BY event_id, ord
    ) AS new ORDER BY ord
)
SELECT event_id, NULL::bigint FROM keys
UNION ALL  -- the station's highest seq before this statement, for the answer
SELECT NULL, max(seq) FROM scan_keys WHERE station = %s
"""
).format(
    arrays=sql.SQL(", ").join(
        sql.SQL("%s::{}").format(sql.SQL(_ARRAY_TYPES.get(c, "text[]"))) for c in COLUMNS
    ),
    columns=sql.SQL(", ").join(map(sql.Identifier, COLUMNS)),
)
_SELECT = sql.SQL("SELECT {} FROM scans").format(sql.SQL(", ").join(map(sql.Identifier, PUBLIC)))
_INSERT_MANIFEST = (
    f"INSERT INTO manifest ({', '.join(MANIFEST_COLUMNS)})"
    f" VALUES ({', '.join(['%s'] * len(MANIFEST_COLUMNS))})"
)


class PostgresStorage:
    def __init__(self, conninfo: str, max_size: int = 8) -> None:
        # Opened here, so in each worker after the fork: a pool's sockets must not be
        # shared by two processes.
        self.pool = ConnectionPool(
            conninfo,
            min_size=1,
            max_size=max_size,
            kwargs={"autocommit": True},
            open=True,
            name="head-office",
        )
        self._months: set[date] = set()
        with self.pool.connection() as conn:
            migrate(conn)
            self._ensure_partitions(conn, datetime.now(UTC).date())

    def close(self) -> None:
        self.pool.close()

    # -- partitions ---------------------------------------------------------------------
    def _ensure_partitions(self, conn: Connection[Any], today: date) -> None:
        """Partitions for this month and MONTHS_AHEAD after it (made once per month seen)."""
        month = today.replace(day=1)
        if month in self._months:
            return
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
            for start in _months_from(month, MONTHS_AHEAD + 1):
                end = _months_from(start, 2)[1]
                name = f"scans_{start:%Y_%m}"
                conn.execute(
                    sql.SQL(
                        "CREATE TABLE IF NOT EXISTS {} PARTITION OF scans"
                        " FOR VALUES FROM ({}) TO ({})"
                    ).format(
                        sql.Identifier(name),
                        sql.Literal(f"{start}T00:00:00Z"),
                        sql.Literal(f"{end}T00:00:00Z"),
                    )
                )
        self._months.add(month)

    # -- tokens -------------------------------------------------------------------------
    def add_token(self, name: str, token_hash: str, role: str) -> None:
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO tokens (token_hash, name, role) VALUES (%s, %s, %s)",
                (token_hash, name, role),
            )

    def principal(self, token_hash: str) -> Principal | None:
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT name, role FROM tokens WHERE token_hash = %s", (token_hash,)
            ).fetchone()
        return Principal(row[0], row[1]) if row else None

    # -- scans --------------------------------------------------------------------------
    def add_scans(self, rows: Sequence[tuple[Any, ...]]) -> list[tuple[str, str | None]]:
        return self.accept(rows[0][1], rows)[0] if rows else []

    def accept(
        self, station: str, rows: Sequence[tuple[Any, ...]]
    ) -> tuple[list[tuple[str, str | None]], int | None]:
        if not rows:  # every scan rejected: nothing to write
            return [], self.station_seq(station)
        columns = [list(col) for col in zip(*rows, strict=True)]
        at = COLUMNS.index("scanned_utc")
        columns[at] = [utc(v) for v in columns[COLUMNS.index("scanned_at")]]
        received = COLUMNS.index("received_at")
        columns[received] = [utc(rows[0][received])] * len(rows)  # one time for the batch
        with self.pool.connection() as conn:
            self._ensure_partitions(conn, columns[received][0].date())
            # One statement, so atomic in autocommit: one round trip, no BEGIN or COMMIT.
            answer = conn.execute(_ADD, [*columns, station]).fetchall()
            new = {r[0] for r in answer if r[0] is not None}
            before = max((r[1] for r in answer if r[1] is not None), default=None)
            others = [row[0] for row in rows if row[0] not in new]
            held = set()
            if others:  # keys are never deleted: whose they are holds after the insert
                found = conn.execute(
                    "SELECT event_id FROM scan_keys WHERE station = %s AND event_id = ANY(%s)",
                    (station, others),
                ).fetchall()
                held = {r[0] for r in found}
        results: list[tuple[str, str | None]] = []
        first: set[str] = set()
        seqs = [] if before is None else [before]
        for row in rows:
            event_id = row[0]
            if event_id in new and event_id not in first:
                first.add(event_id)  # the same event twice in one batch: once accepted
                results.append(("accepted", None))
                seqs.append(row[2])
            elif event_id in held or event_id in first:
                results.append(("duplicate", None))
            else:
                results.append(("rejected", "seq: already used by another event of this station"))
        # The highest seq before the statement, or a higher one it just added.
        return results, max(seqs, default=None)

    def station_seq(self, station: str) -> int | None:
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT max(seq) FROM scan_keys WHERE station = %s", (station,)
            ).fetchone()
        return row[0] if row else None

    def scans(
        self,
        *,
        station: str | None = None,
        waybill: str | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int = 1000,
    ) -> list[dict[str, Any]]:
        where: list[sql.Composable] = []
        params: list[Any] = []
        for column, op, value in (
            ("station", "=", station),
            ("waybill", "=", waybill),
            ("scanned_utc", ">=", utc(since) if since else None),
            ("scanned_utc", "<", utc(until) if until else None),
        ):
            if value is not None:
                where.append(sql.SQL("{} {} %s").format(sql.Identifier(column), sql.SQL(op)))
                params.append(value)
        query = _SELECT
        if where:
            query = sql.SQL("{} WHERE {}").format(query, sql.SQL(" AND ").join(where))
        query = sql.SQL("{} ORDER BY scanned_utc, station, seq LIMIT %s").format(query)
        with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            rows = cur.execute(query, [*params, limit]).fetchall()
        return [public(r) for r in rows]

    # -- heartbeats ---------------------------------------------------------------------
    def put_heartbeat(self, station: str, body: dict[str, Any], received_at: str) -> None:
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO heartbeats (station, body, received_at) VALUES (%s, %s, %s)"
                " ON CONFLICT (station) DO UPDATE SET body = excluded.body,"
                " received_at = excluded.received_at",
                (station, Jsonb(body), received_at),
            )

    def heartbeats(self) -> list[dict[str, Any]]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT station, received_at, body FROM heartbeats ORDER BY station"
            ).fetchall()
        return [
            {"station": s, "received_at": at.isoformat().replace("+00:00", "Z"), "heartbeat": b}
            for s, at, b in rows
        ]

    # -- photos -------------------------------------------------------------------------
    def has_photo(self, sha256: str, station: str | None) -> bool:
        params: tuple[str, ...]
        if station is None:
            query, params = "SELECT 1 FROM photos WHERE sha256 = %s", (sha256,)
        else:
            query = "SELECT 1 FROM photo_holders WHERE station = %s AND sha256 = %s"
            params = (station, sha256)
        with self.pool.connection() as conn:
            return conn.execute(query, params).fetchone() is not None

    def put_photo(self, sha256: str, data: bytes, received_at: str, station: str) -> bool:
        with self.pool.connection() as conn, conn.transaction():
            conn.execute(
                "INSERT INTO photos (sha256, size, data, received_at) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT DO NOTHING",
                (sha256, len(data), data, received_at),
            )
            cur = conn.execute(
                "INSERT INTO photo_holders (station, sha256) VALUES (%s, %s)"
                " ON CONFLICT DO NOTHING",
                (station, sha256),
            )
            return cur.rowcount == 1

    # -- manifest -----------------------------------------------------------------------
    def import_manifest(self, parcels: Sequence[dict[str, Any]], imported_at: str) -> int:
        with self.pool.connection() as conn, conn.transaction():
            for p in parcels:
                # Deleted and inserted again: a new id, so a station's cursor sees the change.
                conn.execute(
                    "DELETE FROM manifest WHERE station = %s AND waybill = %s",
                    (p["station"], p["waybill"]),
                )
                conn.execute(_INSERT_MANIFEST, manifest_row(p, imported_at))
        return len(parcels)

    def manifest(self, station: str, after: str | None, limit: int) -> ManifestPage:
        start = int(after) if after and after.isdigit() else 0
        with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            rows = cur.execute(
                f"SELECT {', '.join(MANIFEST_PUBLIC)}, id FROM manifest"
                " WHERE station = %s AND id > %s ORDER BY id LIMIT %s",
                (station, start, limit),
            ).fetchall()
        parcels = [manifest_parcel(r) for r in rows]
        return ManifestPage(parcels, str(rows[-1]["id"]) if rows else (after or None))


def migrate(conn: Connection[Any]) -> list[str]:
    """Apply the migrations not yet applied, under an advisory lock (many workers start
    at once); returns the names applied now."""
    applied: list[str] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY,"
            " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
        for version, name, statements in MIGRATIONS:
            if version in done:
                continue
            conn.execute(statements)
            conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (version, name)
            )
            applied.append(name)
            log.info("head office database: migration %d applied (%s)", version, name)
    return applied


def _months_from(month: date, count: int) -> list[date]:
    out = []
    for _ in range(count):
        out.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return out
