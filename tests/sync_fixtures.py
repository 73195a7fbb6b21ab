"""Helpers for the sync tests: a real receiver on 127.0.0.1, a scripted (misbehaving) head
office, a station config pointing at either, a token file, bulk scans, and the count report
of the fault tests."""

from __future__ import annotations

import atexit
import contextlib
import gzip
import io
import json
import os
import random
import shutil
import socket
import sqlite3
import ssl
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image

from edge import config as config_mod
from edge.config import Config
from edge.station import Outcome, ScanRequest, Station
from edge.store import Store
from sync.headoffice.app import hash_token, new_token
from sync.headoffice.server import Running, start
from sync.station.loop import Uploader
from tests.conftest import ManualClock

STATION = "SZ-NS-0042"
TZ = "Asia/Shanghai"


BACKENDS = ("sqlite", "postgresql")
PG_BIN = Path("/usr/lib/postgresql/15/bin")


class PostgresCluster:
    """A throwaway PostgreSQL cluster for the tests, run as the postgres user (never as
    root), with its socket in a temp folder and a loopback port. Started on first use and
    stopped when the test process exits."""

    _running: PostgresCluster | None = None

    def __init__(self) -> None:
        _stop_orphaned_clusters()
        self.dir = Path(tempfile.mkdtemp(prefix="station-pg-"))
        (self.dir / "owner").write_text(str(os.getpid()))
        self.port = _free_port()
        self.made = 0
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        data, log = self.dir / "data", self.dir / "log"
        subprocess.run(
            [*as_postgres, PG_BIN / "initdb", "-D", data, "-U", "postgres", "--auth=trust",
             "-E", "UTF8", "--locale=C.UTF-8"],
            check=True, capture_output=True,
        )  # fmt: skip
        options = f"-k {self.dir} -p {self.port} -c listen_addresses=127.0.0.1"
        subprocess.run(
            [*as_postgres, PG_BIN / "pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "start"],
            check=True, capture_output=True,
        )  # fmt: skip
        self.stop_cmd = [*as_postgres, PG_BIN / "pg_ctl", "-D", data, "-m", "fast", "stop"]
        atexit.register(self.stop)

    @classmethod
    def get(cls) -> PostgresCluster:
        if not (PG_BIN / "initdb").exists():
            pytest.skip("PostgreSQL 15 is not installed (scripts/test installs it)")
        if cls._running is None:
            cls._running = cls()
        return cls._running

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database for one test."""
        import psycopg

        self.made += 1
        name = f"t{os.getpid()}_{self.made}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        subprocess.run(self.stop_cmd, check=False, capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def _stop_orphaned_clusters() -> None:
    """Stop the clusters of test runs that were killed before their exit handler ran (a
    SIGTERM skips atexit); only those whose owning process is gone."""
    for folder in Path(tempfile.gettempdir()).glob("station-pg-*"):
        try:
            owner = int((folder / "owner").read_text())
            os.kill(owner, 0)
            continue  # still running: not ours to stop
        except ProcessLookupError:
            pass
        except (OSError, ValueError):
            continue  # no owner file: made by another version of this helper
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(
            [*as_postgres, PG_BIN / "pg_ctl", "-D", folder / "data", "-m", "immediate", "stop"],
            check=False, capture_output=True,
        )  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Receiver:
    running: Running
    token: str
    data_dir: Path
    db_url: str | None = None

    @property
    def url(self) -> str:
        return self.running.url

    def query_token(self) -> str:
        token = new_token()
        self.running.storage.add_token("auditor", hash_token(token), "query")
        return token

    def rows(self, query: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Rows of the receiver's own database (``?`` placeholders), on either backend."""
        if self.db_url:
            import psycopg
            from psycopg.rows import dict_row

            with psycopg.connect(self.db_url, row_factory=dict_row) as pg:
                return pg.execute(query.replace("?", "%s"), params).fetchall()  # type: ignore[arg-type]
        conn = sqlite3.connect(str(self.data_dir / "head-office.db"))
        conn.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in conn.execute(query, params)]
        finally:
            conn.close()


def start_receiver(tmp_path: Path, backend: str = "sqlite") -> Receiver:
    data = tmp_path / "head-office"
    db = PostgresCluster.get().new_database() if backend == "postgresql" else None
    running = start(data, db=db)
    token = new_token()
    running.storage.add_token(STATION, hash_token(token), "station")
    return Receiver(running, token, data, db)


@pytest.fixture(name="receiver", params=BACKENDS)
def receiver_fixture(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Receiver]:
    receiver = start_receiver(tmp_path, request.param)
    yield receiver
    receiver.running.close()


# -- what a station sends, made by hand ------------------------------------------------------
def a_scan(seq: int = 1, **fields: Any) -> dict[str, Any]:
    scan = {
        "event_id": str(uuid.uuid4()),
        "seq": seq,
        "type": "receive",
        "waybill": f"SF{seq:012d}",
        "carrier": "sf",
        "scanned_at": "2026-11-22T09:15:02.120+08:00",
        "clock": {"synced": True, "corrected": False, "boot_id": "b1", "mono_ns": 12345},
        "device": "gun-1",
        "operator": "op-1",
        "weight_g": 1250,
        "shelf": "3-2",
        "pickup_code": "3-2-1045",
        "phone_last4": "5678",
        "dispatch_reason": None,
        "problem_code": None,
        "signer": None,
        "photos": [],
        "note": None,
    }
    scan.update(fields)
    return scan


def batch(*scans: dict[str, Any], station: str = STATION) -> dict[str, Any]:
    return {
        "station": station,
        "batch_id": str(uuid.uuid4()),
        "sent_at": "2026-11-22T09:15:03+08:00",
        "scans": list(scans),
    }


def post(
    rec: Receiver, body: Any, *, token: str | None = None, gz: bool = True, raw: bytes | None = None
) -> requests.Response:
    data = raw if raw is not None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {token or rec.token}", "Content-Type": "application/json"}
    if gz and raw is None:
        data = gzip.compress(data)
        headers["Content-Encoding"] = "gzip"
    return requests.post(rec.url + "/v1/scans", data=data, headers=headers, timeout=10)


def jpeg(text: str) -> bytes:
    """A small real JPEG, different for each text (carried in a comment segment)."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 120, 40)).save(out, "JPEG", comment=text.encode())
    return out.getvalue()


def write_token(path: Path, token: str, mode: int = 0o600) -> Path:
    path.write_text(token + "\n", encoding="utf-8")
    path.chmod(mode)
    return path


def station_config(url: str, token_file: Path, **head_office: Any) -> Config:
    """A station config for sync tests: fast retries, short timeouts, no clock hold."""
    settings = {
        "url": url,
        "token_file": str(token_file),
        "connect_timeout_s": 2.0,
        "read_timeout_s": 2.0,
        "backoff_initial_s": 0.01,
        "backoff_max_s": 0.05,
        "poll_s": 0.05,
        "hold_unsynced_s": 0.0,
        "gather_s": 0.0,
        "heartbeat_s": 0.0,
        "manifest_interval_s": 0.0,
        **head_office,
    }
    lines = [f'[station]\ncode = "{STATION}"\ntimezone = "{TZ}"\n', "[head_office]"]
    for key, value in settings.items():
        lines.append(f"{key} = {config_mod._toml_value(value)}")
    lines.append('\n[[shelves]]\nid = "1"\nlayers = 10\ncapacity = 100000\n')
    lines.append('[[sorting]]\nshelves = ["1"]\n')
    return config_mod.parse("\n".join(lines), "sync-test.toml")


def config_text(config: Config) -> str:
    return config_mod.commented_template(config)


def make_uploader(
    store: Store, config: Config, data_dir: Path, clock: ManualClock | None = None
) -> Uploader:
    return Uploader(
        store=store,
        settings=config.head_office,
        station=config.station.code,
        tz=config.tz,
        clock=clock or ManualClock(),
        data_dir=data_dir,
        sleep=lambda s: None,
        rng=random.Random(7),
    )


def bulk_scans(
    store: Store,
    count: int,
    *,
    clock: ManualClock | None = None,
    bad_every: int = 0,
    prefix: str = "",
) -> list[tuple[int, str]]:
    """Record ``count`` plain scans in one transaction (fast; for volume tests).

    Every ``bad_every``-th scan gets a waybill head office must refuse (too long).
    """
    clock = clock or ManualClock()
    kinds = ("receive", "stocktake", "problem", "dispatch")
    made = []
    with store.transaction():
        for i in range(count):
            now = clock.now(clock.wall.tzinfo)  # type: ignore[arg-type]
            kind = kinds[i % len(kinds)]
            waybill = f"SF{prefix}{i:011d}"
            if bad_every and i % bad_every == bad_every - 1:
                waybill = "X" * 41
            made.append(
                store.insert_scan(
                    {
                        "event_id": str(uuid.uuid4()),
                        "type": kind,
                        "waybill": waybill,
                        "carrier": "sf",
                        "scanned_at": now.iso,
                        "boot_id": now.boot_id,
                        "mono_ns": now.mono_ns,
                        "clock_synced": int(now.synced),
                        "device": "gun-1",
                        "operator": "op-7",
                        "weight_g": 1200 + i % 500,
                        "dispatch_reason": "delivery" if kind == "dispatch" else None,
                        "problem_code": "damaged" if kind == "problem" else None,
                    }
                )
            )
            clock.advance(0.5)
    return made


def count_report(store: Store, receiver: Receiver, station: str = STATION) -> dict[str, int]:
    """expected / accepted / duplicate / rejected / missing / misordered / held twice."""
    local = {
        r["event_id"]: (r["seq"], r["state"])
        for r in store.all(
            "SELECT s.event_id, s.seq, y.state FROM scans s JOIN scan_sync y ON y.seq = s.seq"
        )
    }
    rows = receiver.rows(
        "SELECT event_id, seq FROM scans WHERE station = ? ORDER BY id", (station,)
    )
    held = [r["event_id"] for r in rows]
    rejected = {e for e, (_, state) in local.items() if state == "rejected"}
    expected = set(local) - rejected
    misordered, highest = 0, 0
    for r in rows:
        if r["seq"] < highest:
            misordered += 1
        highest = max(highest, r["seq"])
    return {
        "expected": len(expected),
        "accepted": len(set(held) & expected),
        "rejected": len(rejected),
        "missing": len(expected - set(held)),
        "unexpected": len(set(held) - set(local)),
        "misordered": misordered,
        "held_twice": len(held) - len(set(held)),
        "pending": sum(1 for _, state in local.values() if state == "pending"),
    }


@dataclass
class Env:
    """A station (real Store and Station, manual clock) and a receiver it syncs to."""

    tmp: Path
    receiver: Receiver
    clock: ManualClock
    store: Store
    token_file: Path

    def config(self, url: str | None = None, **head_office: Any) -> Config:
        return station_config(url or self.receiver.url, self.token_file, **head_office)

    def uploader(self, url: str | None = None, **head_office: Any) -> Uploader:
        return make_uploader(self.store, self.config(url, **head_office), self.tmp, self.clock)

    def station(self) -> Station:
        return Station(self.store, self.config(), self.clock)

    def scan(self, kind: str, waybill: str, **fields: Any) -> Outcome:
        out = self.station().scan(ScanRequest(kind, waybill, "gun-1", operator="op-1", **fields))
        assert out.status == "accepted", out
        self.clock.advance(1)
        return out

    def states(self) -> dict[str, str]:
        return {
            r["event_id"]: r["state"]
            for r in self.store.all(
                "SELECT s.event_id, y.state FROM scans s JOIN scan_sync y ON y.seq = s.seq"
            )
        }

    def held(self) -> dict[str, dict[str, Any]]:
        return {r["event_id"]: r for r in self.receiver.rows("SELECT * FROM scans ORDER BY id")}


@pytest.fixture(name="env")
def env_fixture(tmp_path: Path, receiver: Receiver) -> Iterator[Env]:
    store = Store(tmp_path / "station.db", create=True)
    token_file = write_token(tmp_path / "head-office.token", receiver.token)
    yield Env(tmp_path, receiver, ManualClock(), store, token_file)
    store.close()


# -- a head office that answers as a test scripts it ----------------------------------------
@dataclass
class Seen:
    """One request as the scripted head office received it."""

    method: str
    path: str
    headers: Message
    body: bytes

    def json(self) -> Any:
        body = self.body
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return json.loads(body)

    def event_ids(self) -> list[str]:
        return [scan["event_id"] for scan in self.json()["scans"]]


Script = Callable[[Seen, BaseHTTPRequestHandler], None]


def answer(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes | dict[str, Any] = b"",
    headers: dict[str, str] | None = None,
) -> None:
    """Write one whole answer with a Content-Length (a dict body goes as JSON)."""
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    headers = headers or {}
    handler.send_response_only(status)
    if "date" not in {k.lower() for k in headers}:
        handler.send_header("Date", handler.date_time_string())
    for key, value in headers.items():
        handler.send_header(key, value)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(data)


def all_accepted(seen: Seen, handler: BaseHTTPRequestHandler) -> None:
    """What a well-behaved head office says to a batch (and to anything else: 404)."""
    if seen.method == "POST" and seen.path == "/v1/scans":
        results = [{"event_id": e, "status": "accepted"} for e in seen.event_ids()]
        answer(handler, 200, {"results": results, "server_time": "2026-11-22T01:15:03Z"})
    else:
        answer(handler, 404, {"error": "no such thing"})


@dataclass
class ScriptedServer:
    """An HTTP(S) server on 127.0.0.1 whose every answer is the script's: the script may
    write a well-formed answer (see ``answer``) or anything at all to ``handler.wfile``."""

    script: Script = all_accepted
    tls: ssl.SSLContext | None = None
    seen: list[Seen] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: requests carry the token."""

            def do_GET(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(self.command, self.path, self.headers, self.rfile.read(length))
                outer.seen.append(seen)
                try:
                    outer.script(seen, self)
                except OSError:  # the station hung up: that is what some tests want
                    self.close_connection = True

            do_POST = do_PUT = do_HEAD = do_GET

            def handle(self) -> None:
                with contextlib.suppress(OSError):  # a station that hung up
                    super().handle()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if self.tls is not None:
            self.server.socket = self.tls.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self.server.server_address[1]}"

    def requests(self, method: str = "POST", path: str = "/v1/scans") -> list[Seen]:
        return [s for s in self.seen if s.method == method and s.path.startswith(path)]

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> ScriptedServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def wait_until_healthy(url: str, seconds: float = 60) -> None:
    """Until a head office started as a process answers /v1/health (a deadline for a
    loaded machine, not a measured time)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/v1/health", timeout=5).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer /v1/health within {seconds:.0f} s")
