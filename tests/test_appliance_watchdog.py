"""The systemd watchdog sees a frozen loop: READY, then pings, then silence when frozen.

Runs the real `station sync run` and `station scanner` under a NOTIFY_SOCKET of our own,
as systemd would (Type=notify, WatchdogSec=). Sync runs against an empty store and a
head office that refuses connections, so its loop keeps turning with nothing to send.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.store import Store

TOP = Path(__file__).resolve().parents[1]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def notify_socket() -> Iterator[tuple[socket.socket, str]]:
    # A short folder: a unix socket path must fit in 108 bytes.
    folder = tempfile.mkdtemp(prefix="wd-")
    path = os.path.join(folder, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    yield sock, path
    sock.close()
    os.unlink(path)
    os.rmdir(folder)


def messages(sock: socket.socket, window: float) -> list[str]:
    """Every datagram that arrives within ``window`` seconds."""
    got: list[str] = []
    end = time.monotonic() + window
    while (left := end - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            got.append(sock.recv(4096).decode())
        except TimeoutError:
            break
    return got


def wait_for(sock: socket.socket, state: str, limit: float) -> list[str]:
    got: list[str] = []
    end = time.monotonic() + limit
    while state not in got and (left := end - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            got.append(sock.recv(4096).decode())
        except TimeoutError:
            break
    return got


def test_sync_loop_pings_and_stops_pinging_when_frozen(
    tmp_path: Path, notify_socket: tuple[socket.socket, str]
) -> None:
    sock, path = notify_socket
    token = tmp_path / "token"
    token.write_text("t0ken-for-tests\n")
    token.chmod(0o600)
    (tmp_path / "station.toml").write_text(
        '[station]\ncode = "SZ-NS-0042"\n'
        "[head_office]\n"
        f'url = "http://127.0.0.1:{closed_port()}"\n'
        f'token_file = "{token}"\n'
        "poll_s = 0.1\n"
        "connect_timeout_s = 0.5\n"
        # Short backoff: the first turn's retries end quickly and turns keep coming.
        "backoff_initial_s = 0.01\n"
        "backoff_max_s = 0.05\n"
    )
    freeze_and_thaw(sock, path, tmp_path, ["sync", "run"])


def test_scanner_loop_pings_and_stops_pinging_when_frozen(
    tmp_path: Path, notify_socket: tuple[socket.socket, str]
) -> None:
    # The scanning process with its simulated gun and scale, read through the same
    # evdev and serial code as real ones.
    sock, path = notify_socket
    freeze_and_thaw(sock, path, tmp_path, ["scanner", "--simulate"])


def freeze_and_thaw(sock: socket.socket, path: str, data: Path, command: list[str]) -> None:
    """Start ``station COMMAND`` as systemd would; READY, pings, none while frozen, pings."""
    env = {**os.environ, "NOTIFY_SOCKET": path, "STATION_CONFIG": ""}
    Store(data / "station.db", create=True).close()  # as `station init` does
    with (data / "stderr.log").open("wb") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "edge.cli", "--data", str(data), *command],
            cwd=TOP,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    try:
        got = wait_for(sock, "READY=1", 20)
        assert "READY=1" in got, (data / "stderr.log").read_text()
        assert "WATCHDOG=1" in wait_for(sock, "WATCHDOG=1", 20)
        running = messages(sock, 1.0)
        assert running.count("WATCHDOG=1") >= 3, running

        child.send_signal(signal.SIGSTOP)
        messages(sock, 0.3)  # whatever was already on its way
        frozen = messages(sock, 1.5)
        assert "WATCHDOG=1" not in frozen, frozen

        child.send_signal(signal.SIGCONT)
        resumed = wait_for(sock, "WATCHDOG=1", 10)
        assert "WATCHDOG=1" in resumed, resumed
    finally:
        child.send_signal(signal.SIGCONT)
        child.terminate()
        child.wait(timeout=20)
        assert child.stdin is not None
        child.stdin.close()
    assert child.returncode == 0, (data / "stderr.log").read_text()
