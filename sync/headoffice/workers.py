"""`station head-office --workers N`: N processes under granian.

Why granian: a maintained pre-fork server whose HTTP layer is Rust, handing each request
to one of a worker's Python threads. A 1-scan upload is bound by CPU per request: an
empty answer cost 170 µs of server CPU under granian against 520 µs under waitress, and
a 1-scan upload under gunicorn's gthread worker cost about what it did under waitress
(docs/SCALING.md). It restarts a worker that dies.
Workers are forked, and each builds its app, and so opens its database pool, after the
fork: a pool's sockets must never be shared by two processes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from granian.constants import Interfaces
from granian.log import LogLevels
from granian.server import Server

log = logging.getLogger(__name__)


def serve(
    factory: Callable[[], Any],
    host: str,
    port: int,
    workers: int,
    threads: int,
    ready: Callable[[], None],
) -> None:
    """Run until SIGTERM/SIGINT: granian's main process and ``workers`` forked ones.
    ``ready`` runs once the port is bound, before the workers start."""
    server = Server(
        "sync.headoffice.app:create_app",  # a name for granian's logs; factory() builds it
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        log_level=LogLevels.warning,
        log_access=False,
        respawn_failed_workers=True,
        workers_kill_timeout=10,
    )
    server.on_startup(ready)
    # Called in each worker after the fork (never in this process).
    server.serve(target_loader=lambda _name: factory())
