"""`station head-office --workers N`: N processes under gunicorn.

Why gunicorn: a maintained pre-fork server that restarts a worker that dies, with a
threaded worker (gthread) so one process serves several uploads at once. Waitress, used
for one process, has no pre-fork mode. Each worker builds its app, and so opens its
database pool, after the fork: a pool's sockets must never be shared by two processes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication

from edge.notify import notify

log = logging.getLogger(__name__)


class _Server(BaseApplication):
    def __init__(self, factory: Callable[[], Any], options: dict[str, Any]) -> None:
        self.factory = factory
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self.factory()  # in the worker, after the fork (preload_app stays off)


def serve(factory: Callable[[], Any], host: str, port: int, workers: int, threads: int) -> None:
    """Run until stopped: gunicorn's master and ``workers`` forked processes."""
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "preload_app": False,
        # Large batches are read whole; an upload may take a while on a slow link.
        "timeout": 60,
        "graceful_timeout": 10,
        "keepalive": 30,
        "limit_request_line": 8190,
        "accesslog": None,
        "control_socket_disable": True,  # no runtime control socket in the home folder
        "when_ready": lambda server: notify("READY=1"),
    }
    _Server(factory, options).run()
