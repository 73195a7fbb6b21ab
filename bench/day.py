"""Benchmark of the station's day; each figure beside a baseline from the same run.

    .venv/bin/python bench/day.py [--per-day 3000] [--rows 300]

- monthly statement: `summaries.monthly` over a month of a busy station (--per-day
  receives a day, each later signed or returned: ~2 scans per parcel, with fees that
  change mid-month and a storage fee), against the baseline the statement must tie out
  with: the core's daily report run for each day of the month. Peak Python memory of the
  statement (grouped in SQL) beside the month's scan rows read into a list.
- PDF sheet: a handover sheet with --rows waybills and a signature, rendered with the
  CJK font (fpdf2 embeds the glyph subset), against the same sheet in a built-in Latin
  font (no font file to parse). The memory a sheet leaves in the page's process when a
  child renders it (as the page does), beside rendering it in the page's process.
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from edge import config as config_mod  # noqa: E402
from edge.cli_support import Context  # noqa: E402
from edge.core_cli import daily_report  # noqa: E402
from edge.desk import pdf, summaries  # noqa: E402
from edge.store import Store  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
CARRIERS = ["zto", "yto", "sto", "yunda", "sf", "jtexpress"]
CONFIG = '[station]\ncode = "BENCH"\n'


def fill(db: Path, per_day: int) -> int:
    """A month of receives, each followed two days later by a sign (4 in 5) or a return."""
    store = Store(db, create=True)
    at = "2026-11-01T00:00:00+08:00"
    for carrier in CARRIERS:
        store.fee_set(carrier, "receive", "2026-01-01", 30, None, at, None)
        store.fee_set(carrier, "receive", "2026-11-15", 35, None, at, None)
        store.fee_set(carrier, "sign", "2026-01-01", 5, None, at, None)
        store.fee_set(carrier, "storage", "2026-01-01", 50, 1, at, None)
    store.close()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    start = datetime(2026, 11, 1, 8, tzinfo=TZ)
    rows, parcels, seq = [], [], 0
    for day in range(30):
        for i in range(per_day):
            n = day * per_day + i
            waybill, carrier = f"75{n:012d}", CARRIERS[n % len(CARRIERS)]
            got = start + timedelta(days=day, seconds=i * 10)
            seq += 1
            rows.append((seq, f"r{n}", "receive", waybill, carrier, got.isoformat(), None))
            parcels.append((waybill, carrier, "signed", got.isoformat(), seq))
            left = got + timedelta(days=2)
            seq += 1
            kind = ("sign", None) if n % 5 else ("dispatch", "return")
            rows.append((seq, f"o{n}", kind[0], waybill, carrier, left.isoformat(), kind[1]))
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO scans (seq, event_id, type, waybill, carrier, scanned_at, boot_id,"
        " mono_ns, clock_synced, device, dispatch_reason)"
        " VALUES (?, ?, ?, ?, ?, ?, 'boot', 0, 1, 'gun-1', ?)",
        rows,
    )
    conn.executemany(
        "INSERT INTO parcels (waybill, carrier, state, received_at, received_seq, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [(*p, p[3]) for p in parcels],
    )
    conn.execute("COMMIT")
    conn.close()
    return len(rows)


def best_ms(fn: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return min(times)


def peak_kib(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1024


def sheet(rows: int, signature: Path, latin: bool = False) -> pdf.Sheet:
    title = "Handover sheet" if latin else "交接单 Handover sheet"
    return pdf.Sheet(
        title=title,
        fields=[("Station", "BENCH"), ("Courier", "Zhang San" if latin else "张三")],
        header=["Waybill", "Result" if latin else "结果"],
        rows=[[f"75{i:012d}", "missing" if latin else "缺件"] for i in range(rows)],
        signature_label="Signature" if latin else "快递员签名",
        signature=signature,
    )


def render_latin(s: pdf.Sheet) -> bytes:
    """The baseline: the same layout in the built-in Helvetica (no font file)."""
    from fpdf import FPDF

    doc = FPDF(format="A4")
    doc.add_page()
    doc.set_font("helvetica", size=10)
    doc.cell(text=s.title, new_x="LMARGIN", new_y="NEXT")
    for label, value in s.fields:
        doc.cell(w=45, text=label)
        doc.cell(w=0, text=value, new_x="LMARGIN", new_y="NEXT")
    with doc.table(text_align="LEFT", line_height=6) as table:
        table.row(s.header)
        for row in s.rows:
            table.row(row)
    if s.signature:
        doc.image(str(s.signature), w=70)
    return bytes(doc.output())


# A fresh process, as the page is: what a sheet leaves behind in it, rendered in a child
# (as the page does) and in the process itself.
RSS_CHILD = """
import gc, re, sys
sys.path.insert(0, {root!r})
from pathlib import Path
from bench.day import sheet
from edge.desk import pdf
def rss():
    return int(re.search(r"VmRSS:\\s+(\\d+)", open("/proc/self/status").read()).group(1))
s = sheet({rows}, Path({sig!r}))
base = rss()
pdf.render_isolated(s)
gc.collect()
isolated = rss()
pdf.render(s)
gc.collect()
print(isolated - base, rss() - base)
"""


def kept_mib(rows: int, sig: Path) -> tuple[float, float]:
    code = RSS_CHILD.format(root=str(ROOT), rows=rows, sig=str(sig))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    isolated, inline = (int(v) / 1024 for v in out.stdout.split())
    return isolated, inline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-day", type=int, default=3000)
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    config = config_mod.parse(CONFIG, "bench.toml")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "station.db"
        t0 = time.monotonic()
        n = fill(db, args.per_day)
        print(f"month: {n} scans ({args.per_day} parcels a day), filled in "
              f"{time.monotonic() - t0:.1f} s")  # fmt: skip
        store = Store(db)
        ctx = Context(data_dir=Path(tmp))
        ctx.__dict__["config"] = config
        ctx.store = lambda: store  # type: ignore[method-assign]
        after = datetime(2026, 12, 2, tzinfo=TZ)
        body = summaries.monthly(store, config, "2026-11", after)
        month_ms = best_ms(lambda: summaries.monthly(store, config, "2026-11", after),
                           args.rounds)  # fmt: skip
        days = [date(2026, 11, 1) + timedelta(days=d) for d in range(30)]
        daily_ms = best_ms(lambda: [daily_report(ctx, d) for d in days], args.rounds)
        print(f"monthly statement     {month_ms:9.1f} ms   30 daily reports {daily_ms:9.1f} ms"
              f"   ratio {month_ms / daily_ms:5.2f}")  # fmt: skip
        start, end = "2026-11-01T00:00:00+08:00", "2026-12-01T00:00:00+08:00"
        streamed = peak_kib(lambda: summaries.monthly(store, config, "2026-11", after))
        held = peak_kib(
            lambda: store.all(
                "SELECT * FROM scans WHERE scanned_at >= ? AND scanned_at < ?", (start, end)
            )
        )
        print(f"statement peak memory {streamed:9.0f} KiB  rows held in a list {held:9.0f} KiB"
              f"  ratio {streamed / held:5.2f}")  # fmt: skip
        total = body["total"]
        print(
            f"  total: received {total['received']}, signed {total['signed']}, "
            f"returned {total['returned']}, fees {total['total_fen'] / 100:.2f} yuan"
        )
        store.close()

        sig = Path(tmp) / "signature.png"
        Image.new("RGB", (600, 200), "white").save(sig)
        cjk_ms = best_ms(lambda: pdf.render(sheet(args.rows, sig)), args.rounds)
        latin_ms = best_ms(lambda: render_latin(sheet(args.rows, sig, latin=True)), args.rounds)
        size = len(pdf.render(sheet(args.rows, sig)))
        print(f"PDF sheet, {args.rows} rows {cjk_ms:9.1f} ms   Latin core font {latin_ms:9.1f} ms"
              f"   ratio {cjk_ms / latin_ms:5.2f}   ({size // 1024} KiB)")  # fmt: skip
        isolated, inline = kept_mib(args.rows, sig)
        print(f"page RSS kept by a sheet {isolated:6.1f} MiB (child renders)   rendered in the "
              f"page {inline:6.1f} MiB   ratio {isolated / max(inline, 0.1):5.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
