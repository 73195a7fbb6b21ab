"""Head office as a fleet service: admission control, several processes, PostgreSQL by flag."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from sync.headoffice.app import Admission, hash_token, new_token
from sync.headoffice.server import start
from tests.sync_fixtures import (
    STATION,
    PostgresCluster,
    Receiver,
    _free_port,
    a_scan,
    batch,
    post,
)

ROOT = Path(__file__).resolve().parent.parent


def test_a_full_head_office_answers_503_at_once_with_a_jittered_retry_after(
    tmp_path: Path,
) -> None:
    data = tmp_path / "head-office"
    running = start(data, admission=Admission(in_flight=1, retry_after_s=(2, 9)))
    token = new_token()
    running.storage.add_token(STATION, hash_token(token), "station")
    rec = Receiver(running, token, data)
    # Another writer holds the database: the first batch waits inside its slot.
    blocker = sqlite3.connect(str(data / "head-office.db"), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    first: list[requests.Response] = []

    def upload() -> None:
        # A probe below may hold the one slot at the moment the batch arrives; the batch
        # then is told to come back, as an uploader would, until it is inside.
        while not first or first[-1].status_code == 503:
            first.append(post(rec, batch(a_scan(1))))

    thread = threading.Thread(target=upload)
    thread.start()
    try:
        waits = []
        # Probes that never wait on the database themselves: a photo HEAD is an upload
        # route too, and only reads. Bounded by events, not by the clock: until twelve
        # were turned away, or the first batch is no longer inside its slot.
        probe = f"{rec.url}/v1/photos/{'a' * 64}"
        for _ in range(2000):
            if len(waits) == 12 or not thread.is_alive():
                break
            resp = requests.head(probe, headers={"Authorization": f"Bearer {token}"}, timeout=10)
            if resp.status_code == 503:
                # Answered while the slot's holder is still stuck behind the blocker: at
                # once, not queued for the slot.
                assert thread.is_alive()
                waits.append(int(resp.headers["Retry-After"]))
        assert len(waits) == 12 and all(2 <= w <= 9 for w in waits)
        assert len(set(waits)) > 1  # jittered: a fleet told the same thing spreads out
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        thread.join(timeout=30)
    assert [r["status"] for r in first[-1].json()["results"]] == ["accepted"]
    assert [r["status"] for r in post(rec, batch(a_scan(2))).json()["results"]] == ["accepted"]
    running.close()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.slow
def test_two_processes_on_postgresql_by_flag_store_each_scan_once(tmp_path: Path) -> None:
    db = PostgresCluster.get().new_database()
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    base = [sys.executable, "-m", "edge.cli", "--data", str(tmp_path)]
    token = subprocess.run(
        [*base, "head-office", "token", "add", STATION, "--db", db],
        check=True, capture_output=True, text=True, env=env, cwd=ROOT,
    ).stdout.strip()  # fmt: skip
    proc = subprocess.Popen(
        [*base, "head-office", "--db", db, "--workers", "2", "--threads", "4",
         "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(url + "/v1/health", timeout=5).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        assert len(_children(proc.pid)) == 2
        headers = {"Authorization": f"Bearer {token}"}
        scans = [a_scan(i) for i in range(1, 101)]
        answers: list[list[str]] = []
        errors: list[str] = []

        def send(part: int) -> None:
            for i in range(part, 100, 4):  # each batch twice, from racing clients
                for _ in range(2):
                    try:
                        resp = requests.post(
                            url + "/v1/scans", json=batch(scans[i]), headers=headers, timeout=30
                        )
                        answers.append([r["status"] for r in resp.json()["results"]])
                    except (requests.RequestException, ValueError, KeyError) as exc:
                        errors.append(repr(exc))

        threads = [threading.Thread(target=send, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors[:3]
        flat = sorted(s for a in answers for s in a)
        assert flat == ["accepted"] * 100 + ["duplicate"] * 100
        resp = requests.get(f"{url}/v1/stations/{STATION}", headers=headers, timeout=5)
        assert resp.json()["station_seq"] == 100
    finally:
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=30)[0].decode()
    assert proc.returncode == 0, out
    assert "PostgreSQL" in out and "postgresql://" not in out  # the URL may hold a password
