"""The connection, its pragmas, transactions and the migration runner."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Self

log = logging.getLogger(__name__)

DB_NAME = "station.db"
WAL_AUTOCHECKPOINT_PAGES = 10_000

# (name, SQL script). Names are applied once each, in list order; never edit or reorder
# a migration that has shipped: append a new one.
Migration = tuple[str, str]


class StoreError(RuntimeError):
    """The database refused a write (disk full, I/O error, read-only): nothing was recorded."""

    # A short plain answer for people, in both languages; the exception text says more.
    zh = "存储出错，无法写入，未记录：请找主管检查存储卡"
    en = "storage failed, cannot write, nothing recorded: ask a supervisor to check the SD card"


class StoreFull(StoreError):
    zh = "磁盘已满，未记录：请清理空间后重试"
    en = "disk full, nothing recorded: free some space, then try again"


class StoreBusy(StoreError):
    """Another process held the write lock for longer than the busy timeout."""

    zh = "数据库忙，未记录：请稍后重试"
    en = "database busy, nothing recorded: try again in a moment"


class StoreMissing(StoreError):
    """The database file is not there: never quietly start an empty station."""

    zh = "找不到数据库文件：请恢复备份（station restore）或初始化（station init）"
    en = "database file missing: restore a backup (station restore) or set up (station init)"


class StoreOutdated(StoreError):
    """The database's schema is older than this code: `station migrate` brings it up."""

    zh = "数据库需要升级：请运行 station migrate"
    en = "database needs upgrading: run `station migrate`"


# Below this much free space, an I/O error is the disk being full: SQLite reports a -wal
# or -shm file it could not create or grow as SQLITE_IOERR or SQLITE_CANTOPEN, not FULL.
FULL_BELOW_BYTES = 1 << 20


def store_error(exc: sqlite3.Error, doing: str, folder: Path | None = None) -> StoreError:
    """The StoreError that names what went wrong in words a station owner can act on."""
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code == sqlite3.SQLITE_FULL or (
        code in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN) and _no_room(folder)
    ):
        return StoreFull(f"disk full: {doing} failed ({exc})")
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StoreBusy(f"busy: {doing} waited too long for another writer ({exc})")
    return StoreError(f"{doing} failed: {exc}")


def _no_room(folder: Path | None) -> bool:
    if folder is None:
        return False
    try:
        stat = os.statvfs(folder)
    except OSError:
        return False
    return stat.f_bavail * stat.f_frsize < FULL_BELOW_BYTES


@contextmanager
def translated(doing: str, folder: Path | None = None) -> Iterator[None]:
    """Raise SQLite's operational failures as StoreError (integrity errors stay as they are:
    they are the caller's logic, not the storage)."""
    try:
        yield
    except (sqlite3.OperationalError, sqlite3.DatabaseError) as exc:
        if isinstance(exc, sqlite3.IntegrityError | sqlite3.ProgrammingError):
            raise
        raise store_error(exc, doing, folder) from exc


class StoreBase:
    """Owns the SQLite connection. Every query lives in a mixin of ``edge.store.Store``.

    Opening never writes and never creates: only ``create=True`` (``station init``,
    ``station restore``) makes a database, and only ``migrate()`` changes its schema.
    A per-request open is therefore cheap and never waits on the scanner's write lock.
    """

    migrations: Sequence[Migration] = ()

    def __init__(
        self, path: Path | str, *, busy_timeout_ms: int = 5000, create: bool = False
    ) -> None:
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise StoreMissing(f"{self.path}: no station database here")
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # mode=rw: SQLite itself refuses to create the file, even if it vanishes meanwhile.
        uri = f"{self.path.absolute().as_uri()}?mode={'rwc' if create else 'rw'}"
        self._depth = 0
        self._lock = threading.RLock()
        with translated(f"opening {self.path}", self.path.parent):
            self.conn = sqlite3.connect(
                uri, uri=True, isolation_level=None, timeout=busy_timeout_ms / 1000,
                check_same_thread=False,
            )  # fmt: skip
            self.conn.row_factory = sqlite3.Row
            self.conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            # FULL: a committed scan survives a power cut, not only a crash.
            self.conn.execute("PRAGMA synchronous = FULL")
            self.conn.execute("PRAGMA foreign_keys = ON")
            # Checkpoints copy the WAL into the database and fsync it: a commit that
            # triggers one waits several ms. A larger WAL (10 MB of 1 KiB pages) makes that
            # rare for the scanner, which also checkpoints while no gun is typing.
            self.conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}")
            if create:
                self.migrate()
            self.check_durability()

    def forget_cached(self) -> None:
        """Drop what a mixin keeps in memory about the database (a rollback or a restore
        made it untrue); mixins that keep something extend this."""

    def check_durability(self) -> None:
        """Refuse to go on unless this connection commits durably: WAL, synchronous=FULL."""
        mode = self.conn.execute("PRAGMA journal_mode").fetchone()[0]
        sync = self.conn.execute("PRAGMA synchronous").fetchone()[0]
        if str(mode).lower() != "wal" or sync != 2:
            raise StoreError(f"{self.path}: not durable (journal_mode={mode}, synchronous={sync})")

    def check_schema(self) -> None:
        """Raise StoreOutdated unless every migration this code knows has been applied."""
        with translated(f"reading {self.path}", self.path.parent):
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if version < len(self.migrations):
            raise StoreOutdated(
                f"{self.path}: schema {version} of {len(self.migrations)}; run `station migrate`"
            )

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
            with translated("starting a write", self.path.parent):
                self.conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except BaseException as exc:
                self.forget_cached()
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                if isinstance(
                    exc, sqlite3.OperationalError | sqlite3.DatabaseError
                ) and not isinstance(exc, sqlite3.IntegrityError):
                    raise store_error(exc, "the write", self.path.parent) from exc
                raise
            finally:
                self._depth = 0

    # one() and all() run several times a scan: a plain try costs nothing when nothing
    # fails, where the translated() context manager costs a few microseconds a call.
    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Row | None:
        try:
            row: sqlite3.Row | None = self.conn.execute(sql, params).fetchone()
        except sqlite3.OperationalError as exc:
            raise store_error(exc, "reading", self.path.parent) from exc
        return row

    def all(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            raise store_error(exc, "reading", self.path.parent) from exc

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
        """Apply the migrations not yet applied; safe to call again and from two processes.

        Run by `station init`, `station migrate` (each unit's ExecStartPre=) and restore;
        the services only check ``PRAGMA user_version`` (check_schema), which it sets.
        """
        # Small pages: a scan dirties ~15 b-tree pages, and every dirty page is written to
        # the WAL and fsynced at commit. 1 KiB pages write a quarter of the bytes (faster
        # commits, less SD-card wear). Only takes effect on a new database.
        self.conn.execute("PRAGMA page_size = 1024")
        with translated("switching to WAL", self.path.parent):
            self.conn.execute("PRAGMA journal_mode = WAL")
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
            self.conn.execute(f"PRAGMA user_version = {len(done) + len(applied)}")
        if applied:
            log.info("applied migrations: %s", ", ".join(applied))
        return applied

    def checkpoint(self) -> None:
        """Copy the WAL into the database without blocking writers (PASSIVE)."""
        with translated("checkpoint", self.path.parent):
            self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

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
