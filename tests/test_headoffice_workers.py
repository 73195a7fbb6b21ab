"""Head office as a fleet service: admission control, several processes, PostgreSQL by flag."""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import threading
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
    wait_until_healthy,
)

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "pw-never-logged"


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
    # The cluster trusts local connections, so the password is ignored but still in the URL.
    db = PostgresCluster.get().new_database().replace("postgres@", f"postgres:{PASSWORD}@")
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
        wait_until_healthy(url)
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
    assert "PostgreSQL" in out and "postgresql://" not in out and PASSWORD not in out


@pytest.mark.slow
def test_head_office_toml_db_puts_a_receiver_on_postgresql_and_never_logs_its_url(
    tmp_path: Path,
) -> None:
    db = PostgresCluster.get().new_database().replace("postgres@", f"postgres:{PASSWORD}@")
    office = tmp_path / "head-office"
    office.mkdir()
    (office / "head-office.toml").write_text(f'db = "{db}"\n', encoding="utf-8")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "HEAD_OFFICE_DB"} | {"PYTHONPATH": str(ROOT)}
    base = [sys.executable, "-m", "edge.cli", "--data", str(tmp_path), "--verbose"]
    made = subprocess.run(
        [*base, "head-office", "token", "add", STATION],
        check=True, capture_output=True, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    token = made.stdout.strip()
    proc = subprocess.Popen(
        [*base, "head-office", "--host", "127.0.0.1", "--port", str(port)],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(url)
        resp = requests.post(
            url + "/v1/scans", json=batch(a_scan(1)), headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )  # fmt: skip
        assert [r["status"] for r in resp.json()["results"]] == ["accepted"]
    finally:
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=30)[0].decode()
    import psycopg

    with psycopg.connect(db) as conn:  # the file's database, not SQLite in the folder
        assert conn.execute("SELECT count(*) FROM scans").fetchone() == (1,)
    assert not (office / "head-office.db").exists()
    assert "PostgreSQL" in out and PASSWORD not in out + made.stderr


def test_db_comes_from_the_flag_then_the_environment_then_head_office_toml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from edge.cli_support import Context
    from sync.headoffice.cli import _db

    office = tmp_path / "head-office"
    office.mkdir()
    (office / "head-office.toml").write_text('db = "postgresql://file/x"\n', encoding="utf-8")
    ctx = Context(data_dir=tmp_path, config_file=None)
    monkeypatch.delenv("HEAD_OFFICE_DB", raising=False)
    assert _db(argparse.Namespace(db=None), ctx) == "postgresql://file/x"
    monkeypatch.setenv("HEAD_OFFICE_DB", "postgresql://env/x")
    assert _db(argparse.Namespace(db=None), ctx) == "postgresql://env/x"
    assert _db(argparse.Namespace(db="postgresql://flag/x"), ctx) == "postgresql://flag/x"
    monkeypatch.delenv("HEAD_OFFICE_DB")
    (office / "head-office.toml").unlink()
    assert _db(argparse.Namespace(db=None), ctx) is None  # SQLite in the folder


@pytest.mark.parametrize(
    "text", [f'db = "mysql://root:{PASSWORD}@h/d"\n', f'db = "{PASSWORD}"\n', "db = 5\n"]
)
def test_a_bad_db_in_head_office_toml_is_named_without_echoing_it(
    tmp_path: Path, text: str
) -> None:
    office = tmp_path / "head-office"
    office.mkdir()
    (office / "head-office.toml").write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "HEAD_OFFICE_DB"} | {"PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "edge.cli", "--data", str(tmp_path), "head-office", "token",
         "add", STATION],
        capture_output=True, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 2 and "db:" in done.stderr
    assert PASSWORD not in done.stderr + done.stdout
    assert not (office / "head-office.db").exists()


def test_a_sqlite_head_office_loads_neither_the_station_nor_what_it_never_calls(
    tmp_path: Path,
) -> None:
    probe = (
        "import sys; from edge.cli import areas_for, build_parser;"
        " build_parser(areas_for(['head-office']));"
        " from pathlib import Path; from sync.headoffice.server import make_server;"
        f" make_server(Path({str(tmp_path)!r}), '127.0.0.1', 0)[1].close();"
        " heavy = ('requests', 'sync.station', 'psycopg', 'granian', 'edge.demo');"
        " print(sorted(h for h in heavy if any(m == h or m.startswith(h + '.')"
        " for m in sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"
