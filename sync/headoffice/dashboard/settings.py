"""The page's settings, from the environment of `station head-office` (its flags set
them, so every worker process sees the same)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SILENT_ENV = "HEAD_OFFICE_SILENT_MIN"
ZONE_ENV = "HEAD_OFFICE_TZ"
SILENT_MIN = 15
SILENT_MAX = 7 * 24 * 60
ZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class PageSettings:
    silent_after: timedelta  # a station not heard from for longer stands out on the fleet
    zone: ZoneInfo  # the stations' zone, in which the page shows times

    @classmethod
    def from_env(cls) -> PageSettings:
        raw = os.environ.get(SILENT_ENV, "")
        minutes = int(raw) if raw.isdigit() and 1 <= int(raw) <= SILENT_MAX else SILENT_MIN
        try:
            zone = ZoneInfo(os.environ.get(ZONE_ENV) or ZONE)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo(ZONE)
        return cls(timedelta(minutes=minutes), zone)
