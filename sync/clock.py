"""The contract's scan-time correction (HEAD-OFFICE-API.md, "Time").

A station without a battery clock may record scans at 1970 until the clock syncs. The
uploader records, once per boot, a wall and a monotonic reading taken together after the
clock synced (edge.clock gives both); a scan recorded unsynced earlier in that boot is
then sent as ``wall_at_sync - (mono_at_sync - mono_ns)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo


@dataclass(frozen=True)
class SyncPoint:
    wall_at_sync: datetime
    mono_at_sync: int


def stamp(moment: datetime, tz: tzinfo) -> str:
    """RFC 3339 with the station's offset, to the millisecond."""
    return moment.astimezone(tz).isoformat(timespec="milliseconds")


def corrected(point: SyncPoint, mono_ns: int) -> datetime:
    """When a scan recorded at ``mono_ns`` in the point's boot really happened."""
    return point.wall_at_sync - timedelta(microseconds=(point.mono_at_sync - mono_ns) / 1000)


def corrected_time(
    scanned_at: str, mono_ns: int, synced: bool, point: SyncPoint | None, tz: tzinfo
) -> tuple[str, bool]:
    """(scanned_at to send, corrected?) for one scan."""
    if synced or point is None:
        return scanned_at, False
    return stamp(corrected(point, mono_ns), tz), True
