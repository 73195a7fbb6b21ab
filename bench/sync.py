"""Benchmark: drain a backlog of scans to a local reference receiver.

The uploader (batches of up to 500, gzip, the next batch read while the current one is
in flight) beside a naive uploader measured in the same run: one POST per scan, no
compression, one commit per answer (keep-alive connection, so only the batching and
gzip differ). The naive one runs on a sample and its rate is extrapolated.

    .venv/bin/python bench/sync.py [--scans 100000] [--naive-sample 2000] [--faults 0.3]

--faults sends the batched drain through the fault proxy with that share of requests
failing (resets, 5xx, Retry-After, answers slower than the read timeout).

The receiver runs as its own process (`station head-office`), as it would at head
office. Bytes are HTTP bytes both ways (request line, headers, bodies; not TCP/IP).
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from edge.store import Store  # noqa: E402
from sync.client import HeadOfficeClient  # noqa: E402
from sync.faultproxy import FaultPlan, FaultProxy  # noqa: E402
from sync.headoffice.app import hash_token, new_token  # noqa: E402
from sync.headoffice.sqlite import SQLiteStorage  # noqa: E402
from sync.station.scans import scan_json  # noqa: E402
from tests.sync_fixtures import (  # noqa: E402
    STATION,
    bulk_scans,
    make_uploader,
    station_config,
    write_token,
)

NAIVE_STATION = "BENCH-NAIVE-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_receiver(data: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "edge.cli", "head-office", "--host", "127.0.0.1",
         "--port", str(port), "--data", str(data)],
        cwd=ROOT, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(200):
        try:
            requests.get(f"http://127.0.0.1:{port}/v1/health", timeout=1)
            return proc
        except requests.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("the receiver did not start")


def batched(
    store: Store, url: str, token_file: Path, tmp: Path, read_timeout_s: float = 30.0
) -> tuple[float, float]:
    config = station_config(url, token_file, batch_max_scans=500, read_timeout_s=read_timeout_s)
    up = make_uploader(store, config, tmp)
    up.sleep = time.sleep
    total = store.sync_status()["backlog"]
    started = time.perf_counter()
    while store.sync_status()["backlog"]:
        if up.turn().state in ("waiting", "failed"):
            time.sleep(0.01)
    elapsed = time.perf_counter() - started
    up.close()
    return total / elapsed, up.http.wire.total / total


def naive(store: Store, url: str, token: str, config_tz: object) -> tuple[float, float]:
    client = HeadOfficeClient(url, token)
    sent = 0
    started = time.perf_counter()
    while rows := store.unsent_scans(1):
        row = rows[0]
        body = json.dumps({
            "station": NAIVE_STATION, "batch_id": str(row["event_id"]),
            "sent_at": row["scanned_at"], "scans": [scan_json(row, None, config_tz)],  # type: ignore[arg-type]
        }).encode()  # fmt: skip
        reply = client.post_json("/v1/scans", body, compress=False)
        if reply.status != 200:
            raise SystemExit(f"naive upload failed: {reply.status}")
        store.apply_sync_results([(row["seq"], "sent", None)])
        sent += 1
    elapsed = time.perf_counter() - started
    client.close()
    return sent / elapsed, client.wire.total / sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=100_000)
    parser.add_argument("--naive-sample", type=int, default=2_000)
    parser.add_argument("--faults", type=float, default=0.0, metavar="SHARE")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        storage = SQLiteStorage(tmp / "head-office")
        token, naive_token = new_token(), new_token()
        storage.add_token(STATION, hash_token(token), "station")
        storage.add_token(NAIVE_STATION, hash_token(naive_token), "station")
        storage.close()
        port = free_port()
        receiver = start_receiver(tmp / "head-office", port)
        url = f"http://127.0.0.1:{port}"
        try:
            token_file = write_token(tmp / "token", token)
            main_store = Store(tmp / "station.db", create=True)
            bulk_scans(main_store, args.scans)
            if args.faults:
                plan = FaultPlan(rate=args.faults, seed=1, retry_after_s=0, slow_s=1.0)
                with FaultProxy(url, plan) as proxy:
                    # A read timeout shorter than the proxy's slow answers, so they time out.
                    rate, per_scan = batched(main_store, proxy.url, token_file, tmp, 0.5)
                faults = {k: n for k, n in proxy.counts.items() if k != "passed"}
            else:
                rate, per_scan = batched(main_store, url, token_file, tmp)
            naive_store = Store(tmp / "naive.db", create=True)
            bulk_scans(naive_store, args.naive_sample)
            tz = station_config(url, token_file).tz
            naive_rate, naive_per_scan = naive(naive_store, url, naive_token, tz)
        finally:
            receiver.terminate()
            receiver.wait(timeout=10)
    print(
        f"drain of {args.scans} scans to the local receiver "
        f"(naive: {args.naive_sample}-scan sample, rate extrapolated)"
    )
    if args.faults:
        print(f"  batched drain through the fault proxy; faults met: {faults}")
    print(
        f"  scans/s         batched {rate:9.0f}   naive {naive_rate:7.0f}   "
        f"ratio {rate / naive_rate:5.1f}x   (target >= 5000 and >= 20x)"
    )
    print(
        f"  bytes/scan      batched {per_scan:9.1f}   naive {naive_per_scan:7.1f}   "
        f"ratio {naive_per_scan / per_scan:5.1f}x smaller   (target <= 80)"
    )
    print(
        f"  100,000 scans   batched {100_000 / rate:8.1f} s   naive {100_000 / naive_rate:7.0f} s"
    )


if __name__ == "__main__":
    main()
