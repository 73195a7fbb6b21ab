"""`station sync …` and `station head-office …` as a person or systemd runs them."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from edge.cli import main
from tests.sync_fixtures import (  # noqa: F401
    STATION,
    Env,
    bulk_scans,
    config_text,
    env_fixture,
    receiver_fixture,
    wait_until_healthy,
    write_token,
)

ROOT = Path(__file__).resolve().parent.parent


def write_config(env: Env, **head_office: Any) -> Path:
    path = env.tmp / "station.toml"
    path.write_text(config_text(env.config(**head_office)), encoding="utf-8")
    return path


def station(env: Env, *args: str) -> int:
    return main(["--data", str(env.tmp), *args])


def test_sync_once_sends_everything_and_exits_0(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(env)
    bulk_scans(env.store, 1200)
    assert station(env, "sync", "once", "--timeout", "30") == 0
    assert "all sent (1200 scans" in capsys.readouterr().out
    assert len(env.held()) == 1200


def test_sync_once_exit_codes_say_what_is_left(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(env)
    bulk_scans(env.store, 10, bad_every=5)
    assert station(env, "sync", "once") == 5  # rejected scans wait for a person
    assert "2 scans were rejected" in capsys.readouterr().err
    write_config(env, url="http://127.0.0.1:9")
    bulk_scans(env.store, 3, prefix="z")
    assert station(env, "sync", "once", "--timeout", "0.5") == 1
    assert "3 scans unsent" in capsys.readouterr().err


def test_sync_refuses_a_token_file_others_can_read(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(env)
    env.token_file.chmod(0o640)
    assert station(env, "sync", "once") == 4
    err = capsys.readouterr().err
    assert f"chmod 600 {env.token_file}" in err and env.receiver.token not in err


def test_sync_is_off_without_a_url(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    (env.tmp / "station.toml").write_text(f'[station]\ncode = "{STATION}"\n', encoding="utf-8")
    assert station(env, "sync", "once") == 4
    assert "sync is off" in capsys.readouterr().err


def test_sync_status_and_retry(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    write_config(env)
    bulk_scans(env.store, 6, bad_every=3)
    station(env, "sync", "once")
    capsys.readouterr()
    assert station(env, "sync", "status", "--json") == 0
    status = json.loads(capsys.readouterr().out)
    assert (status["backlog"], status["sent"], status["rejected"]) == (0, 4, 2)
    assert status["last_success_at"] and len(status["rejected_scans"]) == 2
    event_id = status["rejected_scans"][0]["event_id"]
    assert station(env, "sync", "status") == 0
    text = capsys.readouterr().out
    assert "rejected:         2" in text and f"station sync retry {event_id}" in text
    assert station(env, "sync", "retry", event_id) == 0
    assert env.store.sync_status()["backlog"] == 1
    assert station(env, "sync", "retry", event_id) == 1  # pending now, not rejected
    assert station(env, "sync", "retry", "00000000-0000-0000-0000-000000000000") == 1


def test_sync_run_notifies_systemd_and_stops_on_sigterm(env: Env) -> None:
    write_config(env)
    bulk_scans(env.store, 50)
    sock_path = env.tmp / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(sock_path))
        sock.settimeout(60)  # a deadline for a loaded machine, not a measured time
        child = subprocess.Popen(
            [sys.executable, "-m", "edge.cli", "--data", str(env.tmp), "sync", "run"],
            cwd=ROOT,
            # A watchdog shorter than a turn can last with these timeouts: warned about.
            env={**os.environ, "NOTIFY_SOCKET": str(sock_path), "WATCHDOG_USEC": "20000000"},
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            messages = [sock.recv(100).decode() for _ in range(3)]
        finally:
            child.send_signal(signal.SIGTERM)
            _, err = child.communicate(timeout=60)
    assert messages[0] == "READY=1" and messages[1:] == ["WATCHDOG=1", "WATCHDOG=1"]
    assert child.returncode == 0, err
    assert env.receiver.token not in err
    assert "WatchdogSec=20 may kill sync" in err
    assert env.store.sync_status()["backlog"] == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_head_office_command_tokens_manifest_and_serving(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    station_dir, office = tmp_path / "station", tmp_path / "office"
    argv = ["--data", str(station_dir), "head-office", "--data", str(office)]
    assert main([*argv, "token", "add", STATION]) == 0
    token = capsys.readouterr().out.strip()
    assert len(token) >= 40
    assert (office / "head-office.db").exists() and not station_dir.exists()
    assert token.encode() not in (office / "head-office.db").read_bytes()  # kept hashed
    csv = tmp_path / "manifest.csv"
    csv.write_text(f"station,waybill,phone_last4\n{STATION},SF1234567890123,4321\n")
    assert main(["head-office", "manifest", "import", str(csv), "--data", str(office)]) == 0
    assert json.loads(capsys.readouterr().out) == {"imported": 1}
    # Without its own --data, the receiver lives in the data folder's head-office/.
    assert main(["--data", str(tmp_path / "box"), "head-office", "token", "add", "X-1"]) == 0
    assert (tmp_path / "box" / "head-office" / "head-office.db").exists()

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "edge.cli", "head-office", "--host", "127.0.0.1",
         "--port", str(port), "--data", str(office)],
        cwd=ROOT, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url)
        resp = requests.get(
            f"{url}/v1/stations/{STATION}/manifest",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
        assert resp.status_code == 200
        assert [p["waybill"] for p in resp.json()["parcels"]] == ["SF1234567890123"]
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_manifest_import_refuses_a_bad_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "m.csv"
    csv.write_text("station,waybill,phone_last4\nS,SF1234567890123,13812345678\n")
    assert main(["head-office", "manifest", "import", str(csv), "--data", str(tmp_path)]) == 2
    assert "line 2: phone_last4" in capsys.readouterr().err


def test_sync_run_without_a_url_stays_up_quietly(tmp_path: Path) -> None:
    (tmp_path / "station.toml").write_text(f'[station]\ncode = "{STATION}"\n', encoding="utf-8")
    sock_path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(sock_path))
        sock.settimeout(20)
        child = subprocess.Popen(
            [sys.executable, "-m", "edge.cli", "--data", str(tmp_path), "sync", "run"],
            cwd=ROOT,
            env={**os.environ, "NOTIFY_SOCKET": str(sock_path)},
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            ready = sock.recv(100).decode()
        finally:
            child.send_signal(signal.SIGTERM)
            _, err = child.communicate(timeout=20)
    assert ready == "READY=1" and child.returncode == 0
    assert "sync is off" in err


def test_head_office_tells_the_watchdog_only_while_it_answers(tmp_path: Path) -> None:
    sock_path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(sock_path))
        sock.settimeout(20)
        env = {**os.environ, "NOTIFY_SOCKET": str(sock_path), "WATCHDOG_USEC": "600000"}
        server = subprocess.Popen(
            [sys.executable, "-m", "edge.cli", "head-office", "--host", "127.0.0.1",
             "--port", str(free_port()), "--data", str(tmp_path / "office")],
            cwd=ROOT, env=env, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            messages = [sock.recv(100).decode() for _ in range(3)]
        finally:
            server.terminate()
            server.wait(timeout=10)
    assert messages == ["READY=1", "WATCHDOG=1", "WATCHDOG=1"]
