"""The connection, its pragmas, transactions and the migration runner."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Self

import sqlite_utils

log = logging.getLogger(__name__)

DB_NAME = "station.db"
WAL_AUTOCHECKPOINT_PAGES = 10_000

# (name, SQL script). Names are applied once each, in list order; never edit or reorder
# a migration that has shipped: append a new one.
Migration = tuple[str, str]


class StoreError(RuntimeError):
    """The database refused a write (disk full, I/O error, read-only): nothing was recorded."""


class StoreBase:
    """Owns the SQLite connection. Every query lives in a mixin of ``edge.store.Store``."""

    migrations: Sequence[Migration] = ()

    def __init__(self, path: Path | str, *, busy_timeout_ms: int = 5000) -> None:
        self.path = Path(path)
        self.conn = sqlite3.connect(
            str(self.path),
            isolation_level=None,
            timeout=busy_timeout_ms / 1000,
            check_same_thread=False,
        )
        self.conn.row_factory = sqlite3.Row
        self.db = sqlite_utils.Database(self.conn)
        self._depth = 0
        self._lock = threading.RLock()
        self.conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        # Small pages: a scan dirties ~15 b-tree pages, and every dirty page is written
        # to the WAL and fsynced at commit. 1 KiB pages write a quarter of the bytes
        # (faster commits, less SD-card wear). Only takes effect on a new database.
        self.conn.execute("PRAGMA page_size = 1024")
        self.conn.execute("PRAGMA journal_mode = WAL")
        # FULL: a committed scan survives a power cut, not only a crash.
        self.conn.execute("PRAGMA synchronous = FULL")
        self.conn.execute("PRAGMA foreign_keys = ON")
        # Checkpoints copy the WAL into the database and fsync it: a commit that triggers
        # one waits several ms. A larger WAL (10 MB of 1 KiB pages) makes that rare for the
        # scanner, which also checkpoints while no gun is typing (Store.checkpoint()).
        self.conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}")
        self.migrate()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT; nested calls join the outer transaction.

        A failed COMMIT (disk full, I/O error) rolls back and raises StoreError, so the
        caller can never report a scan as recorded when it is not.
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.conn
                finally:
                    self._depth -= 1
                return
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise StoreError(f"cannot start a write: {exc}") from exc
            self._depth = 1
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except BaseException as exc:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                if isinstance(
                    exc, sqlite3.OperationalError | sqlite3.DatabaseError
                ) and not isinstance(exc, sqlite3.IntegrityError):
                    raise StoreError(f"database write failed: {exc}") from exc
                raise
            finally:
                self._depth = 0

    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(sql, params).fetchone()
        return row

    def all(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    def audit(self, action: str, actor: str | None, subject: str | None, **detail: Any) -> None:
        self.conn.execute(
            "INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
            (
                datetime.now().astimezone().isoformat(timespec="seconds"),
                actor,
                action,
                subject,
                json.dumps(detail, ensure_ascii=False) if detail else None,
            ),
        )

    def migrate(self) -> list[str]:
        """Apply the migrations not yet applied; safe to call again and from two processes."""
        with self.transaction():
            self.conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " name TEXT PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
            )
            done = {r[0] for r in self.conn.execute("SELECT name FROM schema_migrations")}
            applied = []
            for name, script in self.migrations:
                if name in done:
                    continue
                for statement in _statements(script):
                    self.conn.execute(statement)
                self.conn.execute("INSERT INTO schema_migrations (name) VALUES (?)", (name,))
                applied.append(name)
        if applied:
            log.info("applied migrations: %s", ", ".join(applied))
        return applied

    def checkpoint(self) -> None:
        """Copy the WAL into the database without blocking writers (PASSIVE)."""
        try:
            self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.OperationalError as exc:
            raise StoreError(f"checkpoint failed: {exc}") from exc

    def integrity_check(self) -> str:
        row = self.one("PRAGMA integrity_check")
        return str(row[0]) if row else "no answer"


def _statements(script: str) -> list[str]:
    """Split a script into statements (executescript would COMMIT our transaction)."""
    statements, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            statements.append(buf.strip())
            buf = ""
    if buf.strip():
        statements.append(buf.strip())
    return statements
