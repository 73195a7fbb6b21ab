"""A few days of made-up history for the demo station, so every page of the tablet has
something to show from the first minute: parcels received days ago (some now left too
long), signed, dispatched and with problems. Every scan is marked as demo data: its
device is ``demo-history`` and its note says so."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from edge.clock import Instant
from edge.config import Config
from edge.station import ScanRequest, Station
from edge.store import Store

DEVICE = "demo-history"
NOTE = "演示数据 demo data"
BOOT = "demo-history"
DAYS = 8
PER_DAY = 5
# Real formats, so they are recognised as the carriers they belong to.
FORMATS = ("YT75{:011d}", "SF14{:011d}", "753{:011d}", "JT00{:011d}")


@dataclass
class PastClock:
    """Wall time set by the seeder; one made-up boot whose clock was synced."""

    wall: datetime
    mono_ns: int = field(default=1_000_000_000)

    def now(self, tz: object) -> Instant:
        return Instant(self.wall, BOOT, self.mono_ns, True)

    def at(self, when: datetime) -> None:
        self.mono_ns += max(1, int((when - self.wall).total_seconds() * 1e9))
        self.wall = when


def seed(store: Store, config: Config, now: datetime) -> int:
    """Add the history once, to a station with no scans; returns the scans added."""
    if store.one("SELECT 1 FROM scans LIMIT 1") is not None:
        return 0
    start = (now - timedelta(days=DAYS)).replace(hour=9, minute=0, second=0, microsecond=0)
    clock = PastClock(start)
    station = Station(store, config, clock)
    added = 0

    def scan(when: datetime, kind: str, code: str, **extra: object) -> None:
        nonlocal added
        clock.at(when)
        out = station.scan(
            ScanRequest(type=kind, code=code, device=DEVICE, operator="clerk", note=NOTE,
                        **extra)  # type: ignore[arg-type]
        )  # fmt: skip
        added += out.status == "accepted"

    for day in range(DAYS):
        morning = start + timedelta(days=day)
        for n in range(PER_DAY):
            number = day * PER_DAY + n
            waybill = FORMATS[number % len(FORMATS)].format(90_000_000 + number)
            phone = f"{1000 + number * 37 % 9000:04d}"
            scan(morning + timedelta(minutes=47 * n), "receive", waybill, phone_last4=phone)
            later = morning + timedelta(days=1, hours=2, minutes=13 * n)
            if later >= now:
                continue
            if n in (0, 1):
                scan(later, "sign", waybill, signer_relation="self")
            elif n == 2 and day % 2:
                scan(later, "problem", waybill, reason="unreachable")
            elif n == 3 and day % 3 == 0:
                scan(later, "dispatch", waybill, reason="return")
    return added
