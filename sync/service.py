"""What systemd tells a sync or head-office service through its environment."""

from __future__ import annotations

import os


def watchdog_s() -> float:
    """systemd's watchdog period (WatchdogSec), 0 when there is none."""
    try:
        return int(os.environ.get("WATCHDOG_USEC", "0")) / 1e6
    except ValueError:
        return 0.0
