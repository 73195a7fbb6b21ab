"""Benchmark of pickup-code labels; each figure beside a baseline measured in the same run.

    .venv/bin/python bench/labels.py [--labels N] [--scans N]

- rendering: labels/s laid out and encoded (TSPL with bitmap text, TSPL with the
  printer's font, ESC/POS raster), against drawing only the pickup code with Pillow at
  the same size (the floor of any label with that text);
- scan latency while printing fails: receive commits (real Station, real SQLite with
  synchronous=FULL) while `station printer` hammers a printer that refuses every
  connection, against the same receives with no print process at all;
- memory: resident size of a `station printer` process after it printed a label on the
  simulated printer, against an interpreter that imported the `station` command (edge.cli,
  what every service loads before its own work).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image, ImageDraw

from edge import config as config_mod
from edge.devices.printers.label import LabelData, layout
from edge.devices.printers.media import parse_size
from edge.devices.printers.raster import font, font_path
from edge.devices.printers.render import job_bytes
from edge.devices.printers.settings import PrinterSection, PrintingSection
from edge.devices.printers.simulator import SimulatedPrinter
from edge.station import ScanRequest, Station
from edge.store import Store

TOP = Path(__file__).resolve().parents[1]
CONFIG = """
[station]
code = "BENCH-0001"

[[shelves]]
id = "1"
layers = 10
capacity = 100000

[[sorting]]
shelves = ["1"]
"""


def data(i: int) -> LabelData:
    return LabelData(f"7731{i:011d}", f"1-2-{i % 10000:04d}", "1-2", "11-28", "5678")


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:8.0f}/s"


def bench_render(n: int) -> None:
    fpath = font_path()
    size = parse_size("40x30")
    code = layout(data(0), size, "barcode", fpath)[0]
    start = time.perf_counter()
    for i in range(n):
        image = Image.new("1", (size.width, size.height), 1)
        ImageDraw.Draw(image).text((0, 0), data(i).pickup_code, font=font(code.size, fpath))  # type: ignore[attr-defined]
    base = time.perf_counter() - start
    print(f"rendering {n} labels, 40x30 mm (baseline: Pillow draws the pickup code alone)")
    print(f"  baseline                 {rate(n, base)}")
    settings = PrintingSection()
    for title, printer in (
        ("TSPL, bitmap text", PrinterSection("p", "/dev/null")),
        ("TSPL, printer's font", PrinterSection("p", "/dev/null", chinese="font")),
        ("ESC/POS raster", PrinterSection("p", "/dev/null", language="escpos")),
    ):
        start = time.perf_counter()
        total = 0
        for i in range(n):
            total += len(job_bytes(data(i), printer, settings))
        took = time.perf_counter() - start
        print(
            f"  {title:24} {rate(n, took)}  {base / took:5.2f}x baseline, "
            f"{total // n} bytes a label"
        )


def receive_latencies(folder: Path, scans: int, offset: int) -> list[float]:
    config = config_mod.parse(CONFIG)
    with Store(folder / "station.db") as store:
        station = Station(store, config)
        out = []
        for i in range(scans):
            start = time.perf_counter()
            station.scan(ScanRequest("receive", f"7731{offset + i:011d}", "desk-1"))
            out.append(time.perf_counter() - start)
            time.sleep(0.005)  # a gun reads a code every few ms at most
    return out


def summary(values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    return f"p50 {statistics.median(ms):6.2f} ms, p99 {ms[int(len(ms) * 0.99) - 1]:6.2f} ms"


def bench_scan_latency(scans: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "station.toml").write_text(
            # Retries every second: twice the default's first pace, held up all along.
            CONFIG + '[[printers]]\nname = "dead"\ndevice = "tcp://127.0.0.1:9"\n'
            "[printing]\nretry_first_s = 1\nretry_max_s = 1\n"
        )
        Store(folder / "station.db", create=True).close()
        base = receive_latencies(folder, scans, 0)
        printer = subprocess.Popen(
            [sys.executable, "-m", "edge.cli", "--data", str(folder), "printer"],
            cwd=TOP,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(2)  # imports done, loop turning
            busy = receive_latencies(folder, scans, scans)
        finally:
            printer.terminate()
            printer.wait(10)
        with Store(folder / "station.db") as store:
            waiting = store.printing_behind()
    print(f"receive commit latency, {scans} receives (baseline: no print process)")
    print(f"  baseline                 {summary(base)}")
    ratio = statistics.median(busy) / statistics.median(base)
    print(f"  printer failing          {summary(busy)}  {ratio:5.2f}x baseline (p50)")
    print(f"  labels left waiting for the dead printer: {waiting}")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def bench_memory() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sim = SimulatedPrinter(folder / "labels").start()
        try:
            (folder / "station.toml").write_text(
                CONFIG + f'[[printers]]\nname = "sim"\ndevice = "{sim.device}"\n'
            )
            Store(folder / "station.db", create=True).close()
            bare = subprocess.Popen(
                [sys.executable, "-c", "import edge.cli, time; time.sleep(30)"], cwd=TOP
            )
            printer = subprocess.Popen(
                [sys.executable, "-m", "edge.cli", "--data", str(folder), "printer"],
                cwd=TOP,
                stderr=subprocess.DEVNULL,
            )
            try:
                time.sleep(2)
                receive_latencies(folder, 1, 0)
                sim.wait_for(1, 30)
                time.sleep(0.5)
                base, used = rss_kb(bare.pid), rss_kb(printer.pid)
            finally:
                for child in (bare, printer):
                    child.terminate()
                    child.wait(10)
        finally:
            sim.close()
    print("resident memory (baseline: python that imported edge.cli, as every service does)")
    print(f"  baseline                 {base / 1024:6.1f} MB")
    print(f"  station printer          {used / 1024:6.1f} MB  {used / base:5.2f}x baseline")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=200)
    parser.add_argument("--scans", type=int, default=300)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    bench_render(args.labels)
    bench_scan_latency(args.scans)
    bench_memory()


if __name__ == "__main__":
    main()
