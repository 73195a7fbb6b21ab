"""A child process that records scans as fast as it can and prints each acknowledged
one (after its commit) as "seq event_id". Killed at random by the crash tests."""

from __future__ import annotations

import sys
from pathlib import Path

from edge import config as config_mod
from edge.station import ScanRequest, Station
from edge.store import Store

CONFIG = """
[[shelves]]
id = "1"
layers = 10
capacity = 100000

[[sorting]]
shelves = ["1"]
"""


def main(db: str, prefix: str, count: int) -> None:
    station = Station(Store(Path(db), create=True), config_mod.parse(CONFIG))
    for i in range(count):
        kind = ("receive", "problem", "stocktake")[i % 3]
        out = station.scan(ScanRequest(kind, f"7{prefix}{i:09d}", "crash-test", reason=None))
        if out.event_id:
            sys.stdout.write(f"{out.seq} {out.event_id}\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
