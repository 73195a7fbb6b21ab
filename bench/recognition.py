"""Waybill recognition speed, beside a baseline measured in the same run.

    .venv/bin/python bench/recognition.py [--rounds 2000]

Each code of a mixed set (Chinese, international, ambiguous, garbage) goes through
carriers.recognise() and carriers.explain(); the baseline is the single WAYBILL
shape check every scan already pays. A scan's whole path costs milliseconds (one
fsynced transaction), so recognition should stay in the tens of microseconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from edge import carriers
from edge.barcode import WAYBILL

CODES = [
    "SF1385628716739",
    "75123456789012",
    "1234567890123",
    "773277027280336",
    "JDX024407261700",
    "JT5261988016578",
    "1Z999AA10123456784",
    "RB123456785GB",
    "9400111201080805483016",
    "1001921334250001000300779017972697",
    "3318810025",
    "hello1234",
]


def rate(fn: Callable[[str], object], rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        for code in CODES:
            fn(code)
    return rounds * len(CODES) / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=2000)
    args = ap.parse_args()
    base = rate(WAYBILL.match, args.rounds)
    print(f"{len(CODES)} codes x {args.rounds} rounds, {len(carriers.FORMATS)} formats:")
    print(f"  baseline: WAYBILL shape check  {base:12,.0f} codes/s   1.0x")
    for name, fn in (
        ("recognise()", carriers.recognise),
        ("explain() (station waybill)", carriers.explain),
    ):
        r = rate(fn, args.rounds)
        print(f"  {name:30} {r:12,.0f} codes/s  {base / r:5.0f}x baseline ({1e6 / r:.1f} us)")


if __name__ == "__main__":
    main()
