"""Benchmark: head office for a fleet. Steady state and a reconnect storm, on loopback.

    .venv/bin/python bench/fleet.py [--seconds 3] [--stations 2000] [--backlog 300]
        [--backends sqlite,postgresql] [--workers 1,2] [--clients 1,4,16,64] [--skip-storm]

Steady state: for each backend, worker count, client count and batch size (1 and 500
scans), clients (one station each, keep-alive, bodies made before the clock starts)
post batches for --seconds; requests/s and scans/s are printed beside the raw ceiling
measured in the same run: executemany of the same rows into the same SQLite schema, and
COPY into the same PostgreSQL table, 500 rows to a transaction for 500-scan batches and
one row to a commit for 1-scan requests; each line also shows the load average. The
receiver runs as `station head-office` in its own processes (--workers 0: without the
flag, one waitress process; N: N granian workers); the clients share the machine's cores
with it.

Reconnect storm: --stations asyncio stations connect at once, each with --backlog scans
to send in batches of 100, against the receiver with admission control. Each honours
503 + Retry-After and resends a batch whose answer did not come (read timeout 30 s, as
the station). The report counts drained, missing (must be 0), held twice (must be 0),
resends whose scans were already held (answers lost after commit), 503s, and the drain
time beside the raw ceiling for as many scans.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sync.headoffice.app import hash_token, new_token  # noqa: E402
from sync.headoffice.rows import COLUMNS, scan_rows  # noqa: E402
from sync.headoffice.server import open_storage  # noqa: E402
from sync.headoffice.sqlite import SCHEMA  # noqa: E402
from tests.sync_fixtures import PostgresCluster, _free_port, a_scan  # noqa: E402

READ_TIMEOUT_S = 30.0
STORM_BATCH = 100


_SCAN = json.dumps(a_scan(0) | {"event_id": "@ID@", "seq": 0, "waybill": "@WB@"}).replace(
    '"seq": 0', '"seq": @SEQ@'
)


def scans_body(station: str, first_seq: int, count: int) -> bytes:
    """A batch of ``count`` new scans from ``first_seq`` on (string templating: making
    hundreds of thousands of scans as dicts would cost more than sending them)."""
    scans = ",".join(
        _SCAN.replace("@ID@", str(uuid.uuid4()))
        .replace("@SEQ@", str(seq))
        .replace("@WB@", f"SF{seq:012d}")
        for seq in range(first_seq, first_seq + count)
    )
    return (
        f'{{"station":"{station}","batch_id":"{uuid.uuid4()}",'
        f'"sent_at":"2026-11-28T09:00:00+08:00","scans":[{scans}]}}'
    ).encode()


class Receiver:
    """`station head-office` in its own process(es), with one token per station."""

    def __init__(self, tmp: Path, db: str | None, workers: int, stations: int, **opts: Any):
        self.data = tmp / f"ho-{uuid.uuid4().hex[:6]}"
        storage = open_storage(self.data, db)
        self.tokens = {}
        for n in range(stations):
            token = new_token()
            storage.add_token(f"BENCH-{n:05d}", hash_token(token), "station")
            self.tokens[f"BENCH-{n:05d}"] = token
        storage.close()
        self.port = _free_port()
        cmd = [sys.executable, "-m", "edge.cli", "head-office", "--data", str(self.data),
               "--host", "127.0.0.1", "--port", str(self.port)]  # fmt: skip
        if workers:  # 0: the default, one waitress process
            cmd += ["--workers", str(workers)]
        for key, value in opts.items():
            cmd += [f"--{key.replace('_', '-')}", str(value)]
        if db:
            cmd += ["--db", db]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.DEVNULL)
        for _ in range(600):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/v1/health")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("the receiver did not start")

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def steady(rec: Receiver, clients: int, batch: int, seconds: float) -> tuple[float, float]:
    """(requests/s, scans/s) over ``seconds`` with ``clients`` keep-alive clients."""
    stations = list(rec.tokens)[:clients]
    per_client = max(4, int(seconds * (600 if batch == 1 else 30) / max(1, clients / 4)))
    bodies = {s: [scans_body(s, 1 + i * batch, batch) for i in range(per_client)] for s in stations}
    counts = [0] * clients
    stop = threading.Event()
    go = threading.Barrier(clients + 1)

    def client(n: int, station: str) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", rec.port, timeout=READ_TIMEOUT_S)
        headers = {"Authorization": f"Bearer {rec.tokens[station]}",
                   "Content-Type": "application/json"}  # fmt: skip
        go.wait()
        for body in bodies[station]:
            if stop.is_set():
                break
            conn.request("POST", "/v1/scans", body, headers)
            resp = conn.getresponse()
            resp.read()
            if resp.status == 200:
                counts[n] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(n, s)) for n, s in enumerate(stations)]
    for t in threads:
        t.start()
    go.wait()
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline and any(t.is_alive() for t in threads):
        time.sleep(0.02)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return sum(counts) / elapsed, sum(counts) * batch / elapsed


def raw_rows(count: int) -> list[tuple[Any, ...]]:
    scans = [a_scan(i + 1) for i in range(count)]
    return scan_rows("RAW-1", "b", scans, "2026-11-28T01:00:00Z")


def raw_sqlite(tmp: Path, count: int, per_commit: int = 500) -> float:
    """executemany of the same rows into the same schema, ``per_commit`` rows to a
    transaction: scans/s."""
    conn = sqlite3.connect(str(tmp / f"raw-{uuid.uuid4().hex[:6]}.db"), isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.executescript(SCHEMA)
    rows = raw_rows(count)
    insert = f"INSERT INTO scans ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    started = time.perf_counter()
    for i in range(0, count, per_commit):
        conn.execute("BEGIN")
        conn.executemany(insert, rows[i : i + per_commit])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return count / elapsed


def raw_postgres(db: str, count: int, per_commit: int = 500) -> float:
    """COPY of the same rows into the same (partitioned) scans table, ``per_commit`` rows
    to a transaction: scans/s."""
    import psycopg

    from sync.headoffice.rows import utc

    rows = [
        tuple(
            utc(v) if c in ("scanned_utc", "received_at") else v
            for c, v in zip(COLUMNS, r, strict=True)
        )
        for r in raw_rows(count)
    ]
    open_storage(Path("/nonexistent"), db).close()  # the schema, by the migrations
    with psycopg.connect(db) as conn:
        started = time.perf_counter()
        for i in range(0, count, per_commit):
            with conn.cursor().copy(f"COPY scans ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows[i : i + per_commit]:
                    copy.write_row(row)
            conn.commit()
        elapsed = time.perf_counter() - started
    return count / elapsed


# -- the storm ---------------------------------------------------------------------------------
async def _post(port: int, token: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 30)
    try:
        writer.write(
            b"POST /v1/scans HTTP/1.1\r\nHost: head-office\r\nConnection: close\r\n"
            b"Content-Type: application/json\r\n"
            + f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), READ_TIMEOUT_S)
    finally:
        writer.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
    return status, headers, payload


async def _station(
    port: int, station: str, token: str, backlog: int, tally: dict[str, int]
) -> None:
    rng = random.Random(station)
    await asyncio.sleep(rng.uniform(0, 0.5))  # everyone at once, give or take a packet
    for first in range(1, backlog + 1, STORM_BATCH):
        body = scans_body(station, first, min(STORM_BATCH, backlog - first + 1))
        attempt = 0
        while True:
            attempt += 1
            try:
                status, headers, payload = await _post(port, token, body)
            except (TimeoutError, OSError, IndexError, ValueError):
                tally["lost"] += 1  # no answer: resend the same batch
                await asyncio.sleep(min(60, 2**attempt) * rng.uniform(0.5, 1))
                continue
            if status == 200:
                results = json.loads(payload)["results"]
                tally["accepted"] += sum(r["status"] == "accepted" for r in results)
                if any(r["status"] == "duplicate" for r in results):
                    tally["resends_after_commit"] += 1
                tally["batches"] += 1
                break
            if status in (429, 503):
                tally["503"] += 1
                await asyncio.sleep(float(headers.get("retry-after", "1")))
                continue
            tally[f"http_{status}"] = tally.get(f"http_{status}", 0) + 1
            await asyncio.sleep(min(60, 2**attempt) * rng.uniform(0.5, 1))


def storm(rec: Receiver, stations: int, backlog: int, count_rows: Any) -> dict[str, Any]:
    tally = {"accepted": 0, "batches": 0, "503": 0, "lost": 0, "resends_after_commit": 0}

    async def run() -> None:
        names = list(rec.tokens)[:stations]
        await asyncio.gather(*(_station(rec.port, s, rec.tokens[s], backlog, tally) for s in names))

    started = time.perf_counter()
    asyncio.run(run())
    drain = time.perf_counter() - started
    held, distinct = count_rows()
    expected = stations * backlog
    return tally | {
        "expected": expected,
        "drained": held,
        "missing": expected - distinct,
        "held_twice": held - distinct,
        "drain_s": drain,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--clients", default="1,4,16,64")
    parser.add_argument("--stations", type=int, default=2000)
    parser.add_argument("--backlog", type=int, default=300)
    parser.add_argument("--storm-backend", default="postgresql")
    parser.add_argument("--storm-workers", type=int, default=2)
    parser.add_argument("--skip-steady", action="store_true")
    parser.add_argument("--skip-storm", action="store_true")
    args = parser.parse_args()
    clients = [int(c) for c in args.clients.split(",")]
    cluster = PostgresCluster.get() if "postgresql" in args.backends + args.storm_backend else None
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        # Two ceilings: 500-row transactions for 500-scan batches; one row per fsync'd
        # commit for 1-scan requests, which the receiver can pass only by sharing commits.
        raw = {"sqlite": raw_sqlite(tmp, 20_000)}
        raw1 = {"sqlite": raw_sqlite(tmp, 500, per_commit=1)}
        if cluster:
            raw["postgresql"] = raw_postgres(cluster.new_database(), 20_000)
            raw1["postgresql"] = raw_postgres(cluster.new_database(), 500, per_commit=1)
        print("raw ceiling (same rows, same schema), 500-row transactions: "
              + ", ".join(f"{b} {r:,.0f} scans/s" for b, r in raw.items())
              + "; one row per commit: "
              + ", ".join(f"{b} {r:,.0f} commits/s" for b, r in raw1.items())
              + f"; load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        if not args.skip_steady:
            print(f"\n{'backend':<11}{'workers':>8}{'clients':>8}{'batch':>6}"
                  f"{'req/s':>9}{'scans/s':>10}{'  of raw':>9}{'load':>6}")  # fmt: skip
            for backend in args.backends.split(","):
                for workers in (int(w) for w in args.workers.split(",")):
                    db = cluster.new_database() if backend == "postgresql" and cluster else None
                    rec = Receiver(tmp, db, workers, max(clients), max_in_flight=64)
                    try:
                        for batch in (1, 500):
                            for n in clients:
                                req_s, scans_s = steady(rec, n, batch, args.seconds)
                                ceiling = raw1[backend] if batch == 1 else raw[backend]
                                print(f"{backend:<11}{workers:>8}{n:>8}{batch:>6}{req_s:>9,.0f}"
                                      f"{scans_s:>10,.0f}{scans_s / ceiling:>9.0%}"
                                      f"{os.getloadavg()[0]:>6.1f}", flush=True)  # fmt: skip
                    finally:
                        rec.close()
        if not args.skip_storm:
            backend = args.storm_backend
            db = cluster.new_database() if backend == "postgresql" and cluster else None
            rec = Receiver(tmp, db, args.storm_workers, args.stations)
            try:
                report = storm(rec, args.stations, args.backlog, _counter(rec, db))
            finally:
                rec.close()
            ceiling = report["expected"] / raw[backend]
            print(f"\nreconnect storm: {args.stations} stations x {args.backlog} scans, "
                  f"{backend}, {args.storm_workers} workers, "
                  f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
            for key in ("expected", "drained", "missing", "held_twice", "batches",
                        "resends_after_commit", "lost", "503"):  # fmt: skip
                print(f"  {key:<22}{report[key]:>10,}")
            share = report["resends_after_commit"] / max(1, report["batches"])
            print(f"  {'resends / batches':<22}{share:>10.2%}")
            print(f"  {'drain time':<22}{report['drain_s']:>9.1f} s   raw ceiling "
                  f"{ceiling:.1f} s   ratio {report['drain_s'] / ceiling:.1f}x")  # fmt: skip


def _counter(rec: Receiver, db: str | None) -> Any:
    def count() -> tuple[int, int]:
        if db:
            import psycopg

            with psycopg.connect(db) as conn:
                row = conn.execute(
                    "SELECT count(*), count(DISTINCT (station, event_id)) FROM scans"
                ).fetchone()
                assert row is not None
                return int(row[0]), int(row[1])
        conn = sqlite3.connect(str(rec.data / "head-office.db"))
        row = conn.execute("SELECT count(*), count(DISTINCT event_id) FROM scans").fetchone()
        conn.close()
        return int(row[0]), int(row[1])

    return count


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
