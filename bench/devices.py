"""Benchmark of the devices area; each figure beside a baseline measured in the same run.

    .venv/bin/python bench/devices.py [--codes N]

- keystroke decoding: events/s through WedgeDecoder, against a bare loop that only reads
  each event's fields (the floor of any decoder in Python);
- scan-to-commit: a simulated gun typing one character every 3 ms into the scanning loop
  (fake evdev device over a pipe, real scan core, real SQLite with synchronous=FULL);
  latency from the terminator key until the read is committed and the gun's last code is
  stored (two commits), against Station.read() called directly (one commit);
- scale frames/s per protocol through the parsers, against splitting the same bytes on the
  frame delimiter with bytes.split (C speed, no validation).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evdev import InputEvent

from edge.config import Config
from edge.devices.scales import cas, parser_for, sics, toledo8217, toledo_continuous, xk3190a9
from edge.devices.scanner import Delivery, Scanner
from edge.devices.settings import ScannerSection
from edge.devices.simulate import SIM_GUN_NAME, FakeSource, key_events
from edge.devices.wedge import WedgeDecoder, WedgeSettings
from edge.station import Desk, Station
from edge.store import Store


def waybill(i: int) -> str:
    return f"SF{1400000000000 + i:013d}"


def bench_decode(codes: int) -> None:
    events = []
    t = 0.0
    for i in range(codes):
        for chunk in key_events(waybill(i)):
            for type_, code, value in chunk:
                events.append((InputEvent(int(t), 0, type_, code, value), t))
                t += 0.001
    start = time.perf_counter()
    touched = 0
    for event, _ in events:
        touched += event.type + event.code + event.value
    base = time.perf_counter() - start
    decoder = WedgeDecoder(WedgeSettings(min_length=4))
    start = time.perf_counter()
    decoded = 0
    for event, now in events:
        decoded += len(decoder.feed(event, now))
    took = time.perf_counter() - start
    assert decoded == codes, decoded
    rate, base_rate = len(events) / took, len(events) / base
    print(
        f"keystroke decoding: {rate:,.0f} events/s ({rate * codes / len(events):,.0f} codes/s at"
        f" {len(events) / codes:.0f} events/code); baseline bare loop {base_rate:,.0f} events/s;"
        f" ratio {rate / base_rate:.2f}"
    )


def bench_scan_to_commit(codes: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = Config()
        store = Store(Path(tmp) / "station.db", create=True)
        station = Station(store, config)
        # Baseline: the commit alone, same kind of codes, no gun, no loop.
        desk = Desk(device="direct")
        base = []
        for i in range(codes):
            start = time.perf_counter()
            station.read(waybill(100000 + i), desk)
            base.append(time.perf_counter() - start)
        source = FakeSource()
        device = source.plug()
        done: dict[str, float] = {}
        deliveries: list[Delivery] = []

        def delivered(d: Delivery) -> None:
            done[d.barcode.text] = time.perf_counter()
            deliveries.append(d)

        scanner = Scanner(
            config,
            store,
            station,
            source,
            [ScannerSection(name="desk-1", match=f"name:{SIM_GUN_NAME}")],
            [],
            on_delivery=delivered,
        )
        scanner.start()
        enter_at: dict[str, float] = {}

        def gun() -> None:
            for i in range(codes):
                code = waybill(i)
                chunks = key_events(code)
                for chunk in chunks[:-1]:
                    device.write(chunk)
                    time.sleep(0.003)
                enter_at[code] = time.perf_counter()
                device.write(chunks[-1])
                time.sleep(0.05)

        typist = threading.Thread(target=gun)
        typist.start()
        end = time.monotonic() + codes * 0.2 + 10
        while len(deliveries) < codes and time.monotonic() < end:
            scanner.turn(max_wait=0.05)
        typist.join()
        scanner.close()
        store.close()
    assert len(deliveries) == codes and all(d.outcome for d in deliveries)
    lat = sorted(done[c] - enter_at[c] for c in enter_at)
    p50, p95 = statistics.median(lat), lat[int(len(lat) * 0.95) - 1]
    b50 = statistics.median(base)
    print(
        f"scan-to-commit (gun typing 1 char / 3 ms, {codes} codes): median {p50 * 1000:.1f} ms,"
        f" p95 {p95 * 1000:.1f} ms after the terminator key; baseline Station.read() alone "
        f"median {b50 * 1000:.1f} ms; ratio {p50 / b50:.2f}"
    )


FRAMES = {
    "cas": (cas.frame(1234), b"\n"),
    "toledo8217": (toledo8217.weight_frame(1234), b"\r"),
    "sics": (sics.weight_line(1234), b"\n"),
    "toledo_continuous": (toledo_continuous.frame(1234, with_checksum=False), b"\r"),
    "xk3190a9": (xk3190a9.frame(1234), b"\x03"),
}


def bench_frames(count: int) -> None:
    for protocol, (frame, delimiter) in FRAMES.items():
        data = frame * count
        chunks = [data[i : i + 64] for i in range(0, len(data), 64)]
        start = time.perf_counter()
        pieces = 0
        for chunk in chunks:
            pieces += len(chunk.split(delimiter))
        base = time.perf_counter() - start
        parser = parser_for(protocol)
        start = time.perf_counter()
        parsed = 0
        for chunk in chunks:
            parsed += len(parser.feed(chunk))
        took = time.perf_counter() - start
        assert parsed >= count - 1, (protocol, parsed)
        rate, base_rate = parsed / took, count / base
        print(
            f"scale frames {protocol:18}: {rate:,.0f} frames/s; baseline bytes.split "
            f"{base_rate:,.0f} frames/s; ratio {rate / base_rate:.3f} (a scale sends 5-20/s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, default=40, help="codes typed for the latency run")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    bench_decode(3000)
    bench_frames(20000)
    bench_scan_to_commit(args.codes)


if __name__ == "__main__":
    main()
