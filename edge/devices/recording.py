"""Record a gun or a scale to JSON lines, and replay a recording through the decoders the
scanning process uses, on the recorded clock (virtual time: nothing sleeps).

Input device: first line ``{"kind":"evdev","name":…,"layout":"us"}``, then one line per
event ``{"t":<seconds>,"type":<int>,"code":<int>,"value":<int>}``.
Serial device: first line ``{"kind":"serial","protocol":"cas","baud":9600}``, then
``{"t":…,"rx":"<hex>"}`` or ``{"t":…,"tx":"<hex>"}``.
"""

from __future__ import annotations

import json
import select
import time
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from evdev import InputEvent

from edge.devices.guns import InputLike
from edge.devices.scales import parser_for
from edge.devices.scales.frames import Reading
from edge.devices.scales.link import ScaleLink
from edge.devices.scales.stability import StabilityTracker
from edge.devices.settings import ScaleSection, ScannerSection
from edge.devices.wedge import Barcode, WedgeDecoder


class BadRecording(ValueError):
    pass


def _line(out: IO[str], obj: dict[str, Any]) -> None:
    out.write(json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\n")
    out.flush()


def record_input(device: InputLike, out: IO[str], layout: str, until: Callable[[], bool]) -> int:
    """Write the header and every event until ``until()``; returns the number of events."""
    _line(out, {"kind": "evdev", "name": device.name, "layout": layout})
    start: float | None = None
    count = 0
    while not until():
        ready, _, _ = select.select([device.fileno()], [], [], 0.2)
        if not ready:
            continue
        for event in device.read():
            stamp = float(event.timestamp())
            start = stamp if start is None else start
            _line(
                out,
                {
                    "t": round(stamp - start, 6),
                    "type": event.type,
                    "code": event.code,
                    "value": event.value,
                },
            )
            count += 1
    return count


def record_serial(section: ScaleSection, out: IO[str], until: Callable[[], bool]) -> int:
    """Open the scale as the scanner would (polling it if its protocol is polled) and write
    every byte each way; returns the number of lines written."""
    start = time.monotonic()
    count = 0

    def tap(direction: str, data: bytes) -> None:
        nonlocal count
        _line(out, {"t": round(time.monotonic() - start, 6), direction: data.hex()})
        count += 1

    link = ScaleLink(section, tap=tap)
    _line(out, {"kind": "serial", "protocol": section.protocol, "baud": link.line.baud})
    try:
        while not until():
            now = time.monotonic()
            link.tick(now)
            fd = link.fileno()
            wait = max(0.0, min(link.deadline(now) - now, 0.2))
            if fd is None:
                time.sleep(wait)
            else:
                select.select([fd], [], [], wait)
            link.read(time.monotonic())
    finally:
        link.close()
    return count


def replay(lines: Iterable[str], layout: str | None = None) -> Iterator[dict[str, Any]]:
    """Results of a recording, one dict per decoded barcode or weight reading."""
    it = (line for line in lines if line.strip())
    try:
        header = json.loads(next(it))
    except (StopIteration, json.JSONDecodeError) as exc:
        raise BadRecording(f"the first line must be the JSON header: {exc}") from None
    kind = header.get("kind")
    if kind == "evdev":
        yield from _replay_input(it, layout or header.get("layout") or "us")
    elif kind == "serial":
        yield from _replay_serial(it, header)
    else:
        raise BadRecording(f"unknown recording kind {kind!r} (expected evdev or serial)")


def _records(lines: Iterator[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(lines, start=2):
        try:
            record = json.loads(line)
            float(record["t"])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise BadRecording(f"line {number}: not a recording line ({exc})") from None
        yield number, record


def _replay_input(lines: Iterator[str], layout: str) -> Iterator[dict[str, Any]]:
    section = ScannerSection(name="replay", match="replay", layout=layout)
    decoder = WedgeDecoder(section.wedge())
    t = 0.0
    for number, record in _records(lines):
        t = float(record["t"])
        try:
            sec = int(t)
            event = InputEvent(
                sec,
                round((t - sec) * 1e6),
                int(record["type"]),
                int(record["code"]),
                int(record["value"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BadRecording(f"line {number}: not an input event ({exc})") from None
        for result in decoder.feed(event, t):
            if isinstance(result, Barcode):
                yield _barcode(result)
    for result in decoder.poll(t + 3600):  # the recording ended: time passes
        if isinstance(result, Barcode):
            yield _barcode(result)


def _barcode(code: Barcode) -> dict[str, Any]:
    return {"barcode": code.data, "aim": code.aim}


def _replay_serial(lines: Iterator[str], header: dict[str, Any]) -> Iterator[dict[str, Any]]:
    section = ScaleSection(
        name="replay",
        port="replay",
        protocol=str(header.get("protocol", "")),
        unit=str(header.get("unit", "kg")),
    )
    parser = parser_for(section.protocol, section.unit)
    tracker = StabilityTracker(
        section.stable_readings, section.stable_window_ms / 1000, section.max_weight_g
    )
    for number, record in _records(lines):
        if "rx" not in record:
            continue
        try:
            data = bytes.fromhex(record["rx"])
        except (TypeError, ValueError) as exc:
            raise BadRecording(f"line {number}: rx is not hex ({exc})") from None
        t = float(record["t"])
        for item in parser.feed(data):
            if isinstance(item, Reading) and item.weight_g is not None:
                yield {"weight_g": item.weight_g, "stable": tracker.update(item, t)}
            elif isinstance(item, Reading):
                tracker.update(item, t)
