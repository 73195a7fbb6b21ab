"""Benchmark: head office's page over a fleet's worth of stations (SQLite backend).

Stations send heartbeats and scans (a week of them, ~5 % problems) into a receiver on
loopback; a signed-in operator then opens each screen. Each screen's median time is
printed beside two baselines from the same run: the raw full read of the scans table
(`SUM(length(scanned_at))` over every row, what any unindexed query costs at least) and the
page's cheapest request (the sign-in form: the cost of HTTP, session and template alone).

    .venv/bin/python bench/hopage.py [--stations 1000] [--scans 200000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from sync.headoffice.dashboard.db import Db  # noqa: E402
from sync.headoffice.dashboard.operators import add_operator  # noqa: E402
from sync.headoffice.rows import scan_rows  # noqa: E402
from sync.headoffice.server import start  # noqa: E402
from sync.headoffice.sqlite import SQLiteStorage  # noqa: E402

PIN = "246810"
CARRIERS = ("sf", "zto", "yto", "sto", "yunda", "jd", "ems")


def fill(storage: SQLiteStorage, stations: int, scans: int) -> list[str]:
    rng = random.Random(7)
    codes = [f"ST-{i:05d}" for i in range(stations)]
    start_day = datetime(2026, 11, 21, 8, tzinfo=UTC)
    waybills = []
    per_batch = 500
    seq = dict.fromkeys(codes, 0)
    for first in range(0, scans, per_batch):
        station = codes[(first // per_batch) % stations]
        batch = []
        for _ in range(min(per_batch, scans - first)):
            seq[station] += 1
            waybill = f"{rng.choice(('SF', 'ZT', 'YT'))}{rng.randrange(10**12):012d}"
            waybills.append(waybill)
            at = start_day + timedelta(seconds=rng.randrange(7 * 86400))
            kind = "problem" if rng.random() < 0.05 else rng.choice(("receive", "sign"))
            batch.append({
                "event_id": str(uuid.uuid4()), "seq": seq[station], "type": kind,
                "waybill": waybill, "carrier": rng.choice(CARRIERS),
                "scanned_at": at.astimezone().isoformat(timespec="milliseconds"),
                "clock": {"synced": True, "corrected": False, "boot_id": "b", "mono_ns": 1},
                "device": "gun-1", "problem_code": "damaged" if kind == "problem" else None,
                "signer": None, "photos": [],
            })  # fmt: skip
        storage.add_scans(scan_rows(station, str(uuid.uuid4()), batch, "2026-11-28T00:00:00Z"))
    for code in codes:
        beat = {
            "sent_at": "2026-11-28T09:00:00+08:00", "backlog": rng.randrange(50),
            "rejected": 0, "versions": {"station_edge": "1.4.0"}, "clock": {"synced": True},
        }  # fmt: skip
        storage.put_heartbeat(code, beat, datetime.now(UTC).isoformat())
    return waybills


def median_ms(call: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()  # type: ignore[operator]
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=1000)
    parser.add_argument("--scans", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        running = start(Path(tmp))
        storage = running.storage
        assert isinstance(storage, SQLiteStorage)
        began = time.perf_counter()
        waybills = fill(storage, args.stations, args.scans)
        print(f"filled {args.scans} scans at {args.stations} stations in "
              f"{time.perf_counter() - began:.1f} s")  # fmt: skip
        add_operator(Db(storage), "hq-1", "bench", "admin", PIN, datetime.now(UTC))
        s = requests.Session()
        form = s.get(running.url + "/ho/signin", timeout=30).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token
        s.post(running.url + "/ho/signin", timeout=30,
               data={"csrf_token": token.group(1), "operator": "hq-1", "pin": PIN})  # fmt: skip
        conn = storage._conn()

        def get(path: str) -> None:
            r = s.get(running.url + path, timeout=120)
            assert r.status_code == 200, (path, r.status_code)

        full = "SELECT SUM(length(scanned_at)) FROM scans"  # reads every row, as COUNT(*) need not
        raw = median_ms(lambda: conn.execute(full).fetchone(), args.repeat)
        cheapest = median_ms(lambda: requests.get(running.url + "/ho/signin", timeout=30),
                             args.repeat)  # fmt: skip
        screens = {
            f"fleet ({args.stations} stations)": "/ho/fleet",
            "parcel by waybill": f"/ho/parcel?q={waybills[len(waybills) // 2]}",
            "parcel by tail (6)": f"/ho/parcel?q={waybills[len(waybills) // 3][-6:]}",
            "problems (latest 100)": "/ho/problems",
            "problems of one carrier": "/ho/problems?carrier=zto",
            "counts by day, 7 days": "/ho/counts?by=day&from=2026-11-21&to=2026-11-28",
            "counts by month": "/ho/counts?by=month&from=2026-06-01&to=2026-11-30",
            "counts CSV, 7 days": "/ho/counts.csv?by=day&from=2026-11-21&to=2026-11-28",
            "records (latest 100)": "/ho/records",
        }
        print(f"\n{'what':32} {'median ms':>10} {'÷ full read':>12} {'÷ sign-in page':>15}")
        print(f"{'baseline: full read of scans':32} {raw:10.1f} {1:12.2f} {raw / cheapest:15.2f}")
        print(f"{'baseline: sign-in page':32} {cheapest:10.1f} {cheapest / raw:12.2f} {1:15.2f}")
        for name, path in screens.items():
            ms = median_ms(lambda p=path: get(p), args.repeat)
            print(f"{name:32} {ms:10.1f} {ms / raw:12.2f} {ms / cheapest:15.2f}")
        running.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
