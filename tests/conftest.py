"""Shared fixtures: a real SQLite store in a temporary folder, a station over it and a
clock the test moves by hand."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import settings

from edge import config as config_mod
from edge.clock import Instant
from edge.config import Config
from edge.station import Station
from edge.store import Store

# CI and scripts/test run the same examples every time (derandomized, no example
# database), so a red run can be repeated; HYPOTHESIS_PROFILE=fuzz searches at random,
# longer, for finding new failures.
settings.register_profile("ci", derandomize=True, database=None, deadline=None)
settings.register_profile("fuzz", max_examples=3000, database=None, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@dataclass
class ManualClock:
    """A clock for tests: wall and monotonic time advance only when told."""

    wall: datetime = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    mono_ns: int = 1_000_000_000_000
    boot_id: str = "boot-a"
    synced: bool = True

    def now(self, tz: ZoneInfo) -> Instant:
        return Instant(self.wall.astimezone(tz), self.boot_id, self.mono_ns, self.synced)

    def advance(self, seconds: float) -> None:
        self.wall += timedelta(seconds=seconds)
        self.mono_ns += int(seconds * 1e9)


SMALL_CONFIG = """
[station]
code = "SZ-NS-0042"

[[shelves]]
id = "1"
layers = 2
capacity = 3

[[shelves]]
id = "2"
layers = 2
capacity = 3

[[shelves]]
id = "9"
layers = 1
capacity = 2

[[sorting]]
shelves = ["9"]
min_weight_g = 5000

[[sorting]]
shelves = ["2"]
carriers = ["sf"]

[[sorting]]
shelves = ["1", "2"]
"""


@pytest.fixture
def config() -> Config:
    return config_mod.parse(SMALL_CONFIG, "test.toml")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "station.db", create=True)
    yield s
    s.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def station(store: Store, config: Config, clock: ManualClock) -> Station:
    return Station(store, config, clock)
