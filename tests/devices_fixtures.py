"""Helpers for the devices tests: real evdev events, a scanner over simulated devices."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

from evdev import InputEvent, ecodes

from edge.config import Config
from edge.devices.scanner import Delivery, Scanner
from edge.devices.settings import ScaleSection, ScannerSection
from edge.devices.simulate import SIM_GUN_NAME, FakeSource, key_events
from edge.station import Station
from edge.store import Store

K = ecodes
SYN = (K.EV_SYN, K.SYN_REPORT, 0)


def events(
    seq: Iterable[tuple[int, int, int]], start: float = 100.0, step: float = 0.003
) -> list[tuple[InputEvent, float]]:
    """Real InputEvents stamped ``step`` apart, each with the time it is fed at."""
    out = []
    t = start
    for type_, code, value in seq:
        sec = int(t)
        out.append((InputEvent(sec, int((t - sec) * 1e6), type_, code, value), t))
        if type_ == K.EV_KEY:
            t += step
    return out


def typed(text: str, enter: str | None = "enter", **kw: float) -> list[tuple[InputEvent, float]]:
    """The events a US gun sends for ``text``."""
    return events([e for chunk in key_events(text, enter=enter) for e in chunk], **kw)


def press(*codes: int) -> list[tuple[int, int, int]]:
    """Key down and up for each code, with SYN_REPORTs."""
    out: list[tuple[int, int, int]] = []
    for code in codes:
        out += [(K.EV_KEY, code, 1), SYN, (K.EV_KEY, code, 0), SYN]
    return out


def gun(name: str = "desk-1", match: str = f"name:{SIM_GUN_NAME}", **kw: object) -> ScannerSection:
    return ScannerSection(name=name, match=match, **kw)  # type: ignore[arg-type]


def scale(name: str, port: Path | str, protocol: str = "cas", **kw: object) -> ScaleSection:
    return ScaleSection(name=name, port=str(port), protocol=protocol, **kw)  # type: ignore[arg-type]


def make_scanner(
    config: Config,
    store: Store,
    station: Station,
    source: FakeSource,
    guns: list[ScannerSection],
    scales: list[ScaleSection] = (),  # type: ignore[assignment]
) -> tuple[Scanner, list[Delivery]]:
    deliveries: list[Delivery] = []
    scanner = Scanner(
        config, store, station, source, guns, list(scales), on_delivery=deliveries.append
    )
    scanner.start()
    return scanner, deliveries


def run_until(scanner: Scanner, done: Callable[[], bool], timeout: float = 3.0) -> bool:
    """Turn the loop until ``done()`` or the timeout; returns done()."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if done():
            return True
        scanner.turn(max_wait=0.05)
    return done()
