"""`station web`: serving under waitress, READY=1 once the page answers and WATCHDOG=1
only while it keeps answering, over a real sd_notify datagram socket."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from edge.store import Store
from tests.web_fixtures import (  # noqa: F401 (fixtures)
    Served,
    app_fixture,
    served_fixture,
    web_env_fixture,
)
from web import server

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(name="notify_socket")
def notify_socket_fixture(tmp_path: Path) -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.settimeout(10)
    yield sock
    sock.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("host", "url"),
    [("0.0.0.0", "http://127.0.0.1:8080"), ("", "http://127.0.0.1:8080"),
     ("::", "http://[::1]:8080"), ("192.168.1.5", "http://192.168.1.5:8080")],
)  # fmt: skip
def test_loopback_url(host: str, url: str) -> None:
    assert server.loopback_url(host, 8080) == url


def test_ping_interval_is_half_the_watchdog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    assert server.ping_interval() == 15.0
    monkeypatch.delenv("WATCHDOG_USEC")
    assert server.ping_interval() == server.DEFAULT_PING_S


def test_watchdog_pings_only_while_the_page_answers(
    served: Served, notify_socket: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", notify_socket.getsockname())
    stop = threading.Event()
    dead = threading.Thread(
        target=server.watchdog, args=(f"http://127.0.0.1:{free_port()}", stop, 0.2), daemon=True
    )
    dead.start()
    notify_socket.settimeout(1.0)
    with pytest.raises(TimeoutError):
        notify_socket.recv(100)  # nothing answers there: neither READY nor WATCHDOG
    stop.set()
    dead.join(5)
    stop = threading.Event()
    alive = threading.Thread(target=server.watchdog, args=(served.url, stop, 0.2), daemon=True)
    alive.start()
    notify_socket.settimeout(10)
    got = [notify_socket.recv(100).decode() for _ in range(4)]
    stop.set()
    alive.join(5)
    assert got[0] == "READY=1" and got[1].startswith("STATUS=") and got[2:] == ["WATCHDOG=1"] * 2


def test_station_web_serves_and_notifies(tmp_path: Path, notify_socket: socket.socket) -> None:
    Store(tmp_path / "data" / "station.db", create=True).close()  # as `station init` does
    port = free_port()
    env = dict(os.environ, NOTIFY_SOCKET=notify_socket.getsockname(), WATCHDOG_USEC="2000000")
    proc = subprocess.Popen(
        [sys.executable, "-m", "edge.cli", "--data", str(tmp_path / "data"), "web",
         "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        messages = []
        deadline = time.monotonic() + 20
        while "WATCHDOG=1" not in messages and time.monotonic() < deadline:
            messages.append(notify_socket.recv(100).decode())
        assert messages[0] == "READY=1" and "WATCHDOG=1" in messages
        r = requests.get(f"http://127.0.0.1:{port}/", allow_redirects=False, timeout=5)
        assert r.status_code == 302 and r.headers["Location"].startswith("/signin")
    finally:
        proc.terminate()
        proc.wait(10)
