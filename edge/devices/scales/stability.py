"""When is a weight stable? When the scale says so AND N equal readings arrived within a
window. Only a stable, positive, in-range weight may go with a scan."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from edge.devices.scales.frames import Reading


@dataclass(frozen=True)
class StableWeight:
    weight_g: int
    at: float  # clock of the caller (monotonic live, recorded time in replay)


class StabilityTracker:
    def __init__(self, readings: int = 3, window_s: float = 1.0, max_weight_g: int = 0) -> None:
        self.readings = readings
        self.window_s = window_s
        self.max_weight_g = max_weight_g
        self._recent: deque[tuple[float, int]] = deque()
        self.live: Reading | None = None
        self.live_at: float | None = None
        self.stable: StableWeight | None = None

    def update(self, reading: Reading, now: float) -> bool:
        """Take one reading; True when it makes (or keeps) the weight stable."""
        self.live, self.live_at = reading, now
        if not reading.stable or reading.weight_g is None or not self._in_range(reading):
            self._recent.clear()
            return False
        if self._recent and self._recent[-1][1] != reading.weight_g:
            self._recent.clear()
        self._recent.append((now, reading.weight_g))
        while self._recent and now - self._recent[0][0] > self.window_s:
            self._recent.popleft()
        if len(self._recent) < self.readings:
            return False
        while len(self._recent) > self.readings:
            self._recent.popleft()
        self.stable = StableWeight(reading.weight_g, now)
        return True

    def reset(self) -> None:
        """The scale went away: nothing it said before is current any more."""
        self._recent.clear()
        self.live = self.live_at = self.stable = None

    def weight_for_scan(self, now: float, max_age_s: float) -> int | None:
        """The latest stable weight if it is positive and no older than ``max_age_s``."""
        if self.stable is None or self.stable.weight_g <= 0:
            return None
        if now - self.stable.at > max_age_s:
            return None
        return self.stable.weight_g

    def _in_range(self, reading: Reading) -> bool:
        if reading.overload or reading.underload:
            return False
        return not self.max_weight_g or abs(reading.weight_g or 0) <= self.max_weight_g
