"""Benchmark of the tablet page; each figure beside a baseline measured in the same run.

    .venv/bin/python bench/web.py [--parcels 200000] [--scans 1000000] [--rounds 300]

On a station database holding --parcels parcels, --scans scans and as many reads
(generated with executemany in one transaction), with the page served by `station web`
(waitress) in its own process on 127.0.0.1, as on a station, so the client's Python does
not share the server's:

- search: GET /search?q= by waybill, pickup code, phone last 4 (every state), the last 4
  or 6 digits of a waybill and any part of one, over HTTP, against the same query run
  directly on a connection (the floor: no HTTP, no session, no page); target p99 < 10 ms;
- sorting feed: the feed's poll (reads after an id, the query each stream runs every
  feed_poll_ms) and a reconnect that resumes 50 reads back (GET /feed with
  Last-Event-ID, to the last event received), against the raw sqlite query returning the
  same rows;
- scan-to-screen: a gun's read committed by this process (another writer, as `station
  scanner` is) until headless Chromium has it on the sorting screen, timed by the page's
  own clock, against a fetch of /livez from the same page (the HTTP round trip floor).
"""

from __future__ import annotations

import argparse
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

from edge import config as config_mod  # noqa: E402
from edge.pins import hash_pin  # noqa: E402
from edge.station import Station  # noqa: E402
from edge.store import Store  # noqa: E402
from tests.web_fixtures import CHROMIUM, CHROMIUM_ARGS, WEB_CONFIG  # noqa: E402

# The test station, with shelves roomy enough for the generated parcels.
BENCH_CONFIG = WEB_CONFIG.replace("capacity = 20", "capacity = 100000").replace(
    "threads = 8", "threads = 24"
)
from web.app import create_app  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
CARRIERS = ["zto", "yto", "sto", "yunda", "sf", "jtexpress"]
TYPES = ["receive", "stocktake", "sign", "dispatch", "problem"]


def fill(db: Path, parcels: int, scans: int) -> float:
    """Parcels, scans and reads in one transaction each; returns the seconds taken."""
    t0 = time.monotonic()
    Store(db, create=True).close()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    start = datetime(2026, 10, 1, 8, tzinfo=TZ)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO parcels (waybill, carrier, state, shelf, pickup_code, phone_last4,"
        " received_at, updated_at, last_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            (
                f"75{i:012d}",
                CARRIERS[i % len(CARRIERS)],
                "on_shelf" if i % 10 == 0 else "signed",
                f"{i % 8 + 1}-{i % 4 + 1}",
                f"{i % 8 + 1}-{i % 4 + 1}-{i:06d}",
                f"{i % 10000:04d}",
                (start + timedelta(minutes=i // 4)).isoformat(),
                (start + timedelta(minutes=i // 4 + 60)).isoformat(),
                i * scans // parcels,
            )
            for i in range(parcels)
        ),
    )
    conn.execute("COMMIT")
    per = max(1, scans // parcels)

    def scan_rows() -> object:
        for seq in range(1, scans + 1):
            i = (seq - 1) // per % parcels
            at = (start + timedelta(seconds=seq * 2)).isoformat(timespec="milliseconds")
            yield (
                f"ev-{seq}", TYPES[(seq - 1) % per % len(TYPES)], f"75{i:012d}",
                CARRIERS[i % len(CARRIERS)], at, "boot", seq, 1, f"gun-{seq % 3}",
            )  # fmt: skip

    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO scans (event_id, type, waybill, carrier, scanned_at, boot_id, mono_ns,"
        " clock_synced, device) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        scan_rows(),  # type: ignore[arg-type]
    )
    conn.execute(
        "INSERT INTO reads (at, boot_id, mono_ns, device, raw, code, kind, type, status,"
        " message_key, message_zh, message_en, seq, waybill, carrier, shelf, pickup_code)"
        " SELECT s.scanned_at, s.boot_id, s.mono_ns, s.device, s.waybill, s.waybill, 'scan',"
        " s.type, 'accepted', 'received', '入库', 'Received', s.seq, s.waybill, s.carrier,"
        " p.shelf, p.pickup_code FROM scans s JOIN parcels p ON p.waybill = s.waybill"
        " ORDER BY s.seq"
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    return time.monotonic() - t0


def timed(fn: Callable[[], object], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def line(name: str, got: list[float], base: list[float], base_name: str) -> None:
    g50, g99, b50, b99 = pct(got, 50), pct(got, 99), pct(base, 50), pct(base, 99)
    print(
        f"{name:<34} p50 {g50:8.2f} ms  p99 {g99:8.2f} ms   | {base_name:<30} "
        f"p50 {b50:7.3f} ms  p99 {b99:7.3f} ms   ratio p50 {g50 / b50:7.1f}x"
    )


def signed_in(url: str) -> requests.Session:
    session = requests.Session()
    page = session.get(url + "/signin", timeout=10).text
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    session.post(
        url + "/signin", data={"operator": "b1", "pin": "2468", "csrf_token": token}, timeout=10
    )
    return session


def signed_in_client(app: Flask) -> FlaskClient:
    client = app.test_client()
    page = client.get("/signin").get_data(as_text=True)
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    client.post("/signin", data={"operator": "b1", "pin": "2468", "csrf_token": token})
    return client


def bench_http(app: Flask, url: str, db: Path, parcels: int, rounds: int) -> None:
    session = signed_in(url)
    raw = sqlite3.connect(db)
    rng = random.Random(7)
    picks = [rng.randrange(parcels) for _ in range(rounds)]
    store = Store(db)
    kinds: dict[str, Callable[[int], str]] = {
        "waybill": lambda i: f"75{i:012d}",
        "pickup code": lambda i: f"{i % 8 + 1}-{i % 4 + 1}-{i:06d}",
        "phone last 4": lambda i: f"{i % 10000:04d}",
        "waybill last 4": lambda i: f"{i:012d}"[-4:],
        "waybill last 6": lambda i: f"{i:012d}"[-6:],
        "part of a waybill": lambda i: f"75{i:012d}"[4:11],
    }
    inproc = signed_in_client(app)
    floor: list[float] = []
    for kind, make in kinds.items():
        # Where the time goes, each part timed in turn per query so load hits all alike:
        # over HTTP; the same request inside Flask (session, query, page, no socket);
        # the query alone; and GET /livez over HTTP (waitress and the client, no work).
        spent: dict[str, list[float]] = {"http": [], "flask": [], "query": [], "livez": []}
        for q in (make(i) for i in picks):
            for part, call, arg in (
                ("http", lambda q: session.get(url + "/search", params={"q": q}), q),
                ("flask", lambda q: inproc.get("/search", query_string={"q": q}), q),
                ("query", store.web_search, q),
                ("livez", lambda _: session.get(url + "/livez"), q),
            ):
                t0 = time.perf_counter()
                call(arg)
                spent[part].append((time.perf_counter() - t0) * 1000)
        line(f"search {kind} over HTTP", spent["http"], spent["query"], "the same query, direct")
        line("  of which inside Flask", spent["flask"], spent["query"], "the same query, direct")
        floor += spent["livez"]
    line("HTTP floor: GET /livez", floor, floor, "itself")

    last = store.web_last_read_id()
    got = timed(lambda: store.web_reads_after(last - rng.randrange(1, 5), 200), rounds)
    base = timed(
        lambda: raw.execute("SELECT * FROM reads WHERE id > ?", (last - 3,)).fetchall(), rounds
    )
    line("feed poll (reads after id)", got, base, "raw sqlite same rows")

    def resume() -> None:
        with session.get(
            url + "/feed", headers={"Last-Event-ID": str(last - 50)}, stream=True, timeout=10
        ) as r:
            for chunk in r.iter_lines(decode_unicode=True):
                if chunk == f"id: {last}":
                    break

    got = timed(resume, max(20, rounds // 10))
    base = timed(
        lambda: raw.execute("SELECT * FROM reads WHERE id > ?", (last - 50,)).fetchall(),
        max(20, rounds // 10),
    )
    line("feed resume, 50 reads, over HTTP", got, base, "raw sqlite same 50 rows")
    store.close()
    raw.close()


WATCH = """
() => {
  window.__seen = {};
  const now = document.getElementById('now');
  new MutationObserver(() => {
    window.__seen[now.dataset.id] = performance.timeOrigin + performance.now();
  }).observe(now, {attributes: true, attributeFilter: ['data-id']});
}
"""


def bench_browser(url: str, db: Path, scans: int) -> None:
    from playwright.sync_api import sync_playwright

    config = config_mod.parse(BENCH_CONFIG, "bench.toml")
    store = Store(db)
    station = Station(store, config)
    desk = station.desk("gun-bench")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(url + "/signin")
        page.fill("input[name=operator]", "b1")
        page.fill("input[name=pin]", "2468")
        page.click("button.primary")
        page.wait_for_selector("#link.on", timeout=90_000)  # resumed streams free their slots
        page.evaluate(WATCH)
        latencies = []
        for n in range(scans):
            outcome = station.read(f"759{n:011d}", desk)
            committed = time.time() * 1000
            rid = outcome.read_id
            page.wait_for_function(f"() => window.__seen['{rid}'] !== undefined", timeout=10_000)
            latencies.append(page.evaluate(f"window.__seen['{rid}']") - committed)
            time.sleep(0.05)
        rtts = page.evaluate(
            """async (n) => { const out = [];
                 for (let i = 0; i < n; i++) { const t = performance.now();
                   await fetch('/livez'); out.push(performance.now() - t); }
                 return out; }""",
            scans,
        )
        browser.close()
    store.close()
    line("scan-to-screen in Chromium", latencies, rtts, "fetch /livez from the page")
    print(f"{'':<34} max {max(latencies):8.2f} ms over {scans} scans (target 150 ms)")


def serve_station_web(data: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """`station web` on a free loopback port; returns its URL once /livez answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "edge.cli", "--data", str(data), "web",
         "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/livez", timeout=2).ok:
                return url, server
        except requests.RequestException:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("station web did not answer within 60 s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--parcels", type=int, default=200_000)
    ap.add_argument("--scans", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=300)
    ap.add_argument("--screen-scans", type=int, default=60)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="station-bench-") as tmp:
        data = Path(tmp)
        db = data / "station.db"
        took = fill(db, args.parcels, args.scans)
        size = db.stat().st_size / 1e6
        print(
            f"database: {args.parcels} parcels, {args.scans} scans, {args.scans} reads "
            f"({size:.0f} MB) made in {took:.0f} s"
        )
        with Store(db) as store:
            store.add_operator("b1", "Bench", "clerk", hash_pin("2468"))
        config = config_mod.parse(BENCH_CONFIG, "bench.toml")
        (data / "station.toml").write_text(BENCH_CONFIG, encoding="utf-8")
        app = create_app(data, config=config)  # the in-process part of the breakdown
        url, server = serve_station_web(data)
        try:
            bench_http(app, url, db, args.parcels, args.rounds)
            bench_browser(url, db, args.screen_scans)
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
