"""The page's own tables (operators, sessions) and a thin runner for portable SQL on
either receiver backend. Its migrations are its own (``dashboard_migrations``), so the
receiver's schema and the page's grow apart without stepping on each other."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sync.headoffice.sqlite import SQLiteStorage
from sync.headoffice.storage import Storage

log = logging.getLogger(__name__)

_LOCK = 0x0DA5_4B0A  # advisory lock: one worker migrates, the others wait

# The counts screen reads this, not scans: a day is the station's own local day (the
# date its scanned_at carries), as the screen always counted. Filled from the scans held
# when made; then each insert adds to it in its own transaction: on PostgreSQL a
# statement trigger (one upsert per batch), on SQLite the backend's write itself.
_COUNTS_TABLE = """CREATE TABLE ho_scan_counts (
    day TEXT NOT NULL,
    station TEXT NOT NULL,
    carrier TEXT NOT NULL,
    type TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (day, station, carrier, type)
)"""
_COUNTS_FILL = (
    "INSERT INTO ho_scan_counts (day, station, carrier, type, n)"
    " SELECT substr(scanned_at, 1, 10), station, COALESCE(carrier, ''), type, COUNT(*)"
    " FROM scans GROUP BY substr(scanned_at, 1, 10), station, COALESCE(carrier, ''), type"
)

# Portable SQL: TEXT and INTEGER mean the same in SQLite and PostgreSQL. Times are UTC
# text of one fixed form, so text order is time order. A migration that cannot be
# portable gives its statements per backend.
Script = str | dict[str, tuple[str, ...]]
MIGRATIONS: tuple[tuple[int, str, Script], ...] = (
    (
        1,
        "head-office operators and their sessions",
        """
CREATE TABLE ho_operators (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'staff')),
    pin_hash TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
CREATE TABLE ho_sessions (
    sid_hash TEXT PRIMARY KEY,
    operator TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ho_sessions_operator ON ho_sessions (operator)
""",
    ),
    (
        2,
        "problem scans by time, for the fleet's problem list",
        # Partial: only problem scans (a few per cent) pay for it on insert.
        "CREATE INDEX ho_scans_problems ON scans (scanned_utc) WHERE type = 'problem'",
    ),
    (
        3,
        "a waybill's last four characters, for the tail search",
        # The same expression in both dialects; queries.waybills_ending repeats it exactly.
        "CREATE INDEX ho_scans_tail ON scans (substr(waybill, length(waybill) - 3), waybill)",
    ),
    (
        4,
        "counts per local day, station, carrier and type, kept as scans arrive",
        {
            # The SQLite backend makes the table and adds each write to it (sqlite.py's
            # _count); here it is rebuilt from the scans held, in this one transaction.
            "sqlite": ("DELETE FROM ho_scan_counts", _COUNTS_FILL),
            "postgresql": (
                _COUNTS_TABLE,
                _COUNTS_FILL,
                # One upsert per statement (a batch), not per row. Rows are taken in key
                # order, so two batches of one station lock their counters in one order.
                """CREATE FUNCTION ho_scan_counts_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ho_scan_counts (day, station, carrier, type, n)
    SELECT substr(scanned_at, 1, 10), station, COALESCE(carrier, ''), type, count(*)
    FROM new_scans GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (day, station, carrier, type) DO UPDATE SET n = ho_scan_counts.n + EXCLUDED.n;
    RETURN NULL;
END $$""",
                "CREATE TRIGGER ho_scan_counts_add AFTER INSERT ON scans"
                " REFERENCING NEW TABLE AS new_scans FOR EACH STATEMENT"
                " EXECUTE FUNCTION ho_scan_counts_add()",
            ),
        },
    ),
)

Row = dict[str, Any]


def plain(value: Any) -> Any:
    """A value as the page shows it: PostgreSQL's timestamps as the UTC text SQLite keeps."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


class Db:
    """Runs SQL written with ``?`` placeholders on the receiver's own database."""

    def __init__(self, storage: Storage) -> None:
        self.sqlite = storage if isinstance(storage, SQLiteStorage) else None
        self.pool = getattr(storage, "pool", None)
        if self.sqlite is None and self.pool is None:
            raise TypeError("the page needs the SQLite or the PostgreSQL backend")
        self.migrate()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        if self.sqlite is not None:
            cur = self.sqlite._conn().execute(sql, tuple(params))
            return [{k: plain(v) for k, v in dict(r).items()} for r in cur]
        from psycopg.rows import dict_row  # only a PostgreSQL head office loads psycopg

        assert self.pool is not None
        with self.pool.connection() as conn:
            found = conn.cursor(row_factory=dict_row).execute(_pg(sql), tuple(params))
            return [{k: plain(v) for k, v in r.items()} for r in found]

    def run(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[int]:
        """Statements in one transaction; the rows each one changed."""
        if self.sqlite is not None:
            with self.sqlite._write() as conn:
                return [conn.execute(s, tuple(p)).rowcount for s, p in statements]
        assert self.pool is not None
        with self.pool.connection() as pg, pg.transaction():
            return [pg.execute(_pg(s), tuple(p)).rowcount for s, p in statements]

    def migrate(self) -> list[str]:
        """Apply the page's migrations not yet applied; the names applied now."""
        table = (
            "CREATE TABLE IF NOT EXISTS dashboard_migrations (version INTEGER PRIMARY KEY,"
            " name TEXT NOT NULL)"
        )
        if self.sqlite is not None:
            with self.sqlite._write() as conn:
                conn.execute(table)
                done = {r[0] for r in conn.execute("SELECT version FROM dashboard_migrations")}
                return _apply(done, "sqlite", lambda s, p=(): conn.execute(s, p))
        assert self.pool is not None
        with self.pool.connection() as pg, pg.transaction():
            pg.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
            pg.execute(table)
            done = {r[0] for r in pg.execute("SELECT version FROM dashboard_migrations")}
            return _apply(done, "postgresql", lambda s, p=None: pg.execute(_pg(s), p))


def _apply(done: set[int], backend: str, execute: Any) -> list[str]:
    applied = []
    for version, name, script in MIGRATIONS:
        if version in done:
            continue
        statements = script.split(";") if isinstance(script, str) else script[backend]
        for statement in statements:
            if statement.strip():
                execute(statement)
        execute("INSERT INTO dashboard_migrations (version, name) VALUES (?, ?)", (version, name))
        applied.append(name)
        log.info("head office page: migration %d applied (%s)", version, name)
    return applied


def _pg(sql: str) -> str:
    # The page's SQL never holds a literal % or ?, so this swap is exact.
    return sql.replace("?", "%s")
