"""Serving the receiver with waitress, in the foreground or (tests, bench) in a thread."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from waitress import create_server

from sync.headoffice.app import create_app
from sync.headoffice.sqlite import SQLiteStorage

THREADS = 8


@dataclass
class Running:
    """A receiver serving in a background thread."""

    server: Any
    thread: threading.Thread
    storage: SQLiteStorage

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


def make_server(
    data_dir: Path, host: str, port: int, threads: int = THREADS, loop_timeout: float = 1.0
) -> tuple[Any, SQLiteStorage]:
    storage = SQLiteStorage(data_dir)
    server = create_server(
        create_app(storage),
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
    data_dir: Path, host: str = "127.0.0.1", port: int = 0, threads: int = THREADS
) -> Running:
    # A short loop timeout lets close() return quickly.
    server, storage = make_server(data_dir, host, port, threads, loop_timeout=0.05)
    running = Running(server, threading.Thread(), storage)
    running.thread = threading.Thread(target=running._serve, name="head-office", daemon=True)
    running.thread.start()
    return running
