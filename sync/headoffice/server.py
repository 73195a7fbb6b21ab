"""Serving the receiver with waitress, in the foreground or (tests, bench) in a thread."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from waitress import create_server

from sync.headoffice.app import Admission, create_app
from sync.headoffice.sqlite import SQLiteStorage
from sync.headoffice.storage import Storage

THREADS = 8


@dataclass
class Running:
    """A receiver serving in a background thread."""

    server: Any
    thread: threading.Thread
    storage: Storage

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.effective_port}"

    stopping: bool = False

    def close(self) -> None:
        """Close every channel from here; the loop thread ends when none is left."""
        self.stopping = True
        while self.server._map:
            for channel in list(self.server._map.values()):
                channel.close()
        self.server.task_dispatcher.shutdown()
        self.thread.join(timeout=5)
        self.storage.close()

    def _serve(self) -> None:
        try:
            self.server.run()
        except (OSError, ValueError):
            if not self.stopping:
                raise


def is_postgres(db: str | None) -> bool:
    return bool(db) and str(db).startswith(("postgresql://", "postgres://"))


def open_storage(data_dir: Path, db: str | None = None, pool_size: int = THREADS) -> Storage:
    """PostgreSQL for a postgresql:// URL, else SQLite in the data folder. psycopg is
    imported only here, so a SQLite head office never loads it."""
    if is_postgres(db):
        from sync.headoffice.postgres import PostgresStorage

        return PostgresStorage(str(db), max_size=pool_size)
    return SQLiteStorage(data_dir)


def make_server(
    data_dir: Path,
    host: str,
    port: int,
    threads: int = THREADS,
    loop_timeout: float = 1.0,
    db: str | None = None,
    admission: Admission | None = None,
) -> tuple[Any, Storage]:
    storage = open_storage(data_dir, db, threads)
    server = create_server(
        create_app(storage, admission, data_dir),
        host=host,
        port=port,
        threads=threads,
        ident="station-head-office",
        # Large batches are read whole before the app sees them.
        max_request_body_size=64 * 1024 * 1024,
        clear_untrusted_proxy_headers=True,
        asyncore_loop_timeout=loop_timeout,
    )
    return server, storage


def start(
    data_dir: Path,
    host: str = "127.0.0.1",
    port: int = 0,
    threads: int = THREADS,
    db: str | None = None,
    admission: Admission | None = None,
) -> Running:
    # A short loop timeout lets close() return quickly.
    server, storage = make_server(
        data_dir, host, port, threads, loop_timeout=0.05, db=db, admission=admission
    )
    running = Running(server, threading.Thread(), storage)
    running.thread = threading.Thread(target=running._serve, name="head-office", daemon=True)
    running.thread.start()
    return running
