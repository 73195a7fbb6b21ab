"""Scan ingest and lookups, each beside a baseline measured in the same run.

    .venv/bin/python bench/ingest.py [--scans 3000] [--big-scans 1000000] [--big-parcels 200000]

1. Pipeline: Station.read() per code — normalise, recognise, rules, shelf and pickup code,
   one transaction at synchronous=FULL — against a raw sqlite3 loop doing one
   INSERT + COMMIT per row in WAL/FULL. Target: >= 50 % of the raw rate, p99 <= 2 ms.
   Then the split of one pipeline scan: fsync (the time synchronous=FULL adds over OFF),
   SQL (time inside sqlite3's execute and fetch, at OFF) and Python (the rest).
2. Lookups with 1 M scans and 200 k parcels stored: by waybill, pickup code and phone
   last 4 through the Store, beside the same table's primary-key lookup in raw sqlite3.
   Target: p99 <= 1 ms.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from edge import config as config_mod
from edge.station import Desk, Station
from edge.store import Store

# A large station: 20 shelves of 5 layers holding 60 parcels each.
CONFIG = "".join(f'[[shelves]]\nid = "{i}"\nlayers = 5\ncapacity = 60\n' for i in range(1, 21))
CONFIG += "[[sorting]]\nshelves = [" + ", ".join(f'"{i}"' for i in range(1, 21)) + "]\n"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


class RawLoop:
    """The baseline: one INSERT + COMMIT per row, WAL + synchronous=FULL, plain sqlite3."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = FULL")
        self.conn.execute(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, event_id TEXT, code TEXT, at REAL)"
        )
        self.i = 0

    def one(self) -> None:
        self.i += 1
        self.conn.execute("BEGIN")
        self.conn.execute(
            "INSERT INTO t (event_id, code, at) VALUES (?, ?, ?)",
            (str(uuid.uuid4()), f"75{self.i:012d}", time.time()),
        )
        self.conn.execute("COMMIT")


class Pipeline:
    """Station.read() of a gun's code: the whole path to a committed scan."""

    def __init__(self, path: Path) -> None:
        self.store = Store(path, create=True)
        self.station = Station(self.store, config_mod.parse(CONFIG))
        self.desk = Desk("bench-gun")
        self.i = 0

    def one(self) -> None:
        self.i += 1
        out = self.station.read(f"75{self.i:012d}\r\n", self.desk)
        assert out.status == "accepted", out


class TimedConn:
    """The store's connection, adding up the time spent inside SQLite."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self.spent = 0.0

    def execute(self, sql: str, params: object = ()) -> sqlite3.Cursor:
        t0 = time.perf_counter()
        cur = self._conn.execute(sql, params)  # type: ignore[arg-type]
        rows = cur.fetchall()
        self.spent += time.perf_counter() - t0
        return _Done(cur, rows)  # type: ignore[return-value]

    def __getattr__(self, name: str) -> object:
        return getattr(self._conn, name)


class _Done:
    """A cursor whose rows were fetched inside the timing."""

    def __init__(self, cur: sqlite3.Cursor, rows: list[object]) -> None:
        self.lastrowid, self.rowcount, self._rows = cur.lastrowid, cur.rowcount, rows

    def fetchone(self) -> object:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[object]:
        return self._rows

    def __iter__(self) -> object:
        return iter(self._rows)


def split(base: Path, n: int) -> dict[str, float]:
    """Seconds per scan: fsync, SQL and Python (see the module's doc)."""
    full, off = Pipeline(base / "split-full.db"), Pipeline(base / "split-off.db")
    off.store.conn.execute("PRAGMA synchronous = OFF")
    timed = TimedConn(off.store.conn)
    off.store.conn = timed  # type: ignore[assignment]
    spent = {"full": 0.0, "off": 0.0}
    for _ in range(0, n, 100):  # interleaved, as above
        for name, loop in (("full", full), ("off", off)):
            t0 = time.perf_counter()
            for _ in range(100):
                loop.one()
            spent[name] += time.perf_counter() - t0
    per = {k: v / n for k, v in spent.items()}
    return {"fsync": per["full"] - per["off"], "SQL": timed.spent / n,
            "Python": per["off"] - timed.spent / n, "total": per["full"]}  # fmt: skip


def interleaved(base: Path, n: int, block: int = 100) -> dict[str, list[float]]:
    """Both loops in alternating blocks, so a noisy neighbour slows both alike; then
    the WAL frames each writes per commit (under "frames")."""
    raw, pipeline = RawLoop(base / "raw.db"), Pipeline(base / "pipeline.db")
    loops: dict[str, RawLoop | Pipeline] = {"raw": raw, "pipeline": pipeline}
    lat: dict[str, list[float]] = {name: [] for name in loops}
    for _ in range(0, n, block):
        for name, loop in loops.items():
            for _ in range(block):
                t0 = time.perf_counter()
                loop.one()
                lat[name].append(time.perf_counter() - t0)
    lat["frames"] = [
        wal_frames(raw.conn, base / "raw.db-wal", raw.one, 200),
        wal_frames(pipeline.store.conn, base / "pipeline.db-wal", pipeline.one, 200),
    ]
    return lat


def wal_frames(conn: sqlite3.Connection, wal: Path, one: Callable[[], None], n: int) -> float:
    """WAL frames written per commit (pages touched): the WAL is emptied, checkpoints
    are held off, and its growth over ``n`` commits is divided by the frame size."""
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    frame = conn.execute("PRAGMA page_size").fetchone()[0] + 24
    for _ in range(n):
        one()
    frames = (wal.stat().st_size - 32) / frame / n  # 32: the WAL header
    conn.execute("PRAGMA wal_autocheckpoint = 1000")
    return frames


def fill(store: Store, scans: int, parcels: int) -> None:
    """Bulk rows shaped like real ones (not through the rules: that would take hours)."""
    rng = random.Random(1)
    per_parcel = max(1, scans // parcels)
    conn = store.conn
    with store.transaction():
        seq = 0
        for p in range(parcels):
            waybill = f"78{p:012d}"
            on_shelf = p >= parcels - 3000
            code = f"{p % 8 + 1}-{p % 4 + 1}-{p % 7 + 1}{p:06d}"
            phone = f"{rng.randrange(10000):04d}"
            for k in range(per_parcel):
                seq += 1
                conn.execute(
                    "INSERT INTO scans (event_id, type, waybill, carrier, scanned_at, boot_id,"
                    " mono_ns, clock_synced, device) VALUES (?, ?, ?, 'zto',"
                    " '2026-11-01T10:00:00.000+08:00', 'b', ?, 1, 'gun')",
                    (str(uuid.uuid4()), "receive" if k == 0 else "stocktake", waybill, seq),
                )
                conn.execute("INSERT INTO scan_sync (seq, state) VALUES (?, 'sent')", (seq,))
            conn.execute(
                "INSERT INTO parcels (waybill, carrier, state, shelf, pickup_code, phone_last4,"
                " received_at, updated_at) VALUES (?, 'zto', ?, '1-1', ?, ?,"
                " '2026-11-01T10:00:00+08:00', '2026-11-01T10:00:00+08:00')",
                (waybill, "on_shelf" if on_shelf else "signed", code, phone),
            )


def lookups(path: Path, scans: int, parcels: int, n: int = 5000) -> None:
    store = Store(path, create=True)
    t0 = time.perf_counter()
    fill(store, scans, parcels)
    print(f"  filled {scans:,} scans / {parcels:,} parcels in {time.perf_counter() - t0:.0f} s")
    rng = random.Random(2)
    shelf = store.all(
        "SELECT waybill, pickup_code, phone_last4 FROM parcels WHERE state='on_shelf'"
    )
    raw = sqlite3.connect(path)
    cases = {
        "waybill (history)": lambda: store.history(f"78{rng.randrange(parcels):012d}"),
        "pickup code": lambda: store.find_parcels(rng.choice(shelf)["pickup_code"]),
        "phone last 4": lambda: store.find_parcels(rng.choice(shelf)["phone_last4"]),
        "baseline: raw pk": lambda: raw.execute(
            "SELECT * FROM parcels WHERE waybill = ?", (f"78{rng.randrange(parcels):012d}",)
        ).fetchall(),
    }
    base_p99 = None
    results = {}
    for name, fn in cases.items():
        lat = []
        for _ in range(n):
            t = time.perf_counter()
            fn()
            lat.append(time.perf_counter() - t)
        results[name] = lat
        if name.startswith("baseline"):
            base_p99 = pct(lat, 99)
    for name, lat in results.items():
        p50, p99 = pct(lat, 50) * 1e3, pct(lat, 99) * 1e3
        ratio = f"{pct(lat, 99) / base_p99:5.1f}x baseline" if base_p99 else ""
        print(f"  {name:20} p50 {p50:6.3f} ms  p99 {p99:6.3f} ms  {ratio}")
    store.close()
    raw.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--scans", type=int, default=3000, help="scans through the pipeline")
    ap.add_argument("--big-scans", type=int, default=1_000_000)
    ap.add_argument("--big-parcels", type=int, default=200_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=Path(__file__).resolve().parent.parent) as tmp:
        base = Path(tmp)
        lat = interleaved(base, args.scans)
        frames = lat.pop("frames")
        rates = {name: len(v) / sum(v) for name, v in lat.items()}
        print(f"Ingest, {args.scans} scans each, interleaved, WAL + synchronous=FULL:")
        for name, label in (("raw", "raw sqlite3 INSERT+COMMIT"), ("pipeline", "Station.read")):
            v = lat[name]
            print(
                f"  {label:26} {rates[name]:7.0f}/s  p50 {pct(v, 50) * 1e3:.3f} ms"
                f"  p99 {pct(v, 99) * 1e3:.3f} ms"
            )
        print(
            f"  ratio pipeline/raw: {rates['pipeline'] / rates['raw']:.0%} (target >= 50 %);"
            f" pipeline p99 {pct(lat['pipeline'], 99) * 1e3:.2f} ms (target <= 2 ms)"
        )
        print(
            f"  WAL frames per commit: pipeline {frames[1]:.1f}, raw {frames[0]:.1f}"
            f" ({frames[1] / frames[0]:.1f}x baseline)"
        )
        parts = split(base, args.scans)
        print("  one pipeline scan: " + ", ".join(
            f"{k} {v * 1e3:.3f} ms ({v / parts['total']:.0%})" for k, v in parts.items()
            if k != "total") + f"; total {parts['total'] * 1e3:.3f} ms")  # fmt: skip
        print(f"Lookups with {args.big_scans:,} scans and {args.big_parcels:,} parcels stored:")
        lookups(base / "big.db", args.big_scans, args.big_parcels)


if __name__ == "__main__":
    main()
