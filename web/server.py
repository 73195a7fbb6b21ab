"""`station web`: the page under waitress, with systemd readiness and a watchdog that
pings only while the page really answers."""

from __future__ import annotations

import logging
import os
import threading
import urllib.request
from pathlib import Path
from typing import Any

import waitress
from flask import Flask

from edge import heap
from edge.config import Config
from edge.notify import notify
from web.app import create_app

log = logging.getLogger(__name__)

DEFAULT_PING_S = 10.0


def loopback_url(host: str, port: int) -> str:
    """Where this process can reach its own server."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def ping_interval() -> float:
    """Half of systemd's WatchdogSec (WATCHDOG_USEC), else DEFAULT_PING_S."""
    usec = os.environ.get("WATCHDOG_USEC", "")
    return max(1.0, int(usec) / 2e6) if usec.isdigit() and int(usec) > 0 else DEFAULT_PING_S


def answers(url: str, timeout: float = 5.0) -> bool:
    """GET /livez: a free server thread, the app and a database read, end to end."""
    try:
        with urllib.request.urlopen(url + "/livez", timeout=timeout) as response:
            return bool(response.status == 200)
    except OSError as exc:
        log.warning("the page does not answer on %s: %s", url, exc)
        return False


def watchdog(url: str, stop: threading.Event, interval: float) -> None:
    """READY=1 after the first good answer; then WATCHDOG=1 after each good answer only,
    so a wedged server (threads all stuck, database unreadable) gets restarted."""
    ready = False
    while not stop.is_set():
        if answers(url, timeout=min(5.0, interval)):
            if not ready:
                notify("READY=1")
                notify(f"STATUS=serving on {url}")
                log.info("serving on %s", url)
                ready = True
            notify("WATCHDOG=1")
        stop.wait(0.2 if not ready else interval)


def make_server(app: Flask, host: str, port: int, threads: int) -> Any:
    """waitress as the page needs it: one thread per open sorting screen (a long-lived
    stream) plus spare ones for pages; a request lookahead of 1 keeps reading each
    connection, so a stream learns at once that its screen went away and frees its
    thread (waitress.client_disconnected)."""
    return waitress.create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        channel_timeout=60,
        channel_request_lookahead=1,
        ident="station",
    )


def serve(data_dir: Path, config: Config, host: str, port: int) -> int:
    heap.limit_arenas()  # before waitress starts its threads
    app = create_app(data_dir, config=config)
    server = make_server(app, host, port, config.web.threads)
    url = loopback_url(host, int(getattr(server, "effective_port", port)))
    stop = threading.Event()
    threading.Thread(
        target=watchdog, args=(url, stop, ping_interval()), name="watchdog", daemon=True
    ).start()
    try:
        server.run()
    finally:
        stop.set()
        server.close()
    return 0
