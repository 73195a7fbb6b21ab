"""The time of a scan, as journald keeps it: wall clock, boot id, monotonic time and
whether the wall clock was synced (a Pi has no battery clock)."""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

BOOT_ID_PATH = Path("/proc/sys/kernel/random/boot_id")
SYNCED_PATH = Path("/run/systemd/timesync/synchronized")


@dataclass(frozen=True)
class Instant:
    wall: datetime  # aware, in the station's time zone
    boot_id: str
    mono_ns: int
    synced: bool

    @property
    def iso(self) -> str:
        return self.wall.isoformat(timespec="milliseconds")


class Clock(Protocol):
    def now(self, tz: ZoneInfo) -> Instant: ...


def read_boot_id(path: Path = BOOT_ID_PATH) -> str:
    """This boot's id; a random one per process where the kernel gives none."""
    try:
        return path.read_text().strip()
    except OSError:
        return _FALLBACK_BOOT_ID


_FALLBACK_BOOT_ID = str(uuid.uuid4())


class SystemClock:
    """The real clocks. The boot id is read once: it cannot change while we run."""

    def __init__(self, synced_path: Path = SYNCED_PATH) -> None:
        self.boot_id = read_boot_id()
        self.synced_path = synced_path

    def now(self, tz: ZoneInfo) -> Instant:
        mono = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        wall = datetime.fromtimestamp(time.time(), tz)
        # False when unknown: only systemd-timesyncd's flag file says "synced".
        synced = os.path.exists(self.synced_path)
        return Instant(wall=wall, boot_id=self.boot_id, mono_ns=mono, synced=synced)
