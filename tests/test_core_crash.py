"""SIGKILL a process while it records scans, again and again: nothing acknowledged is
lost, no seq repeats, the database stays sound."""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from edge.store import Store

ROOT = Path(__file__).resolve().parent.parent


def run_and_kill(db: Path, prefix: str, rng: random.Random) -> list[tuple[int, str]]:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.scan_writer", str(db), prefix, "1000000"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )
    assert child.stdout is not None
    fd = child.stdout.fileno()
    acked: list[tuple[int, str]] = []
    buffer = b""
    # Wait for the first acknowledgement, then kill at a random moment after it.
    deadline = time.monotonic() + 30
    kill_at: float | None = None
    while time.monotonic() < deadline:
        if select.select([fd], [], [], 0.002)[0]:
            buffer += os.read(fd, 65536)
        if kill_at is None and b"\n" in buffer:
            kill_at = time.monotonic() + rng.uniform(0.0, 0.15)
        if kill_at is not None and time.monotonic() >= kill_at:
            break
    child.send_signal(signal.SIGKILL)
    child.wait()
    buffer += child.stdout.read()
    for line in buffer.decode().splitlines():
        parts = line.split()
        if len(parts) == 2 and len(parts[1]) == 36:  # a line cut by the kill is no ack
            acked.append((int(parts[0]), parts[1]))
    return acked


def check_after_restart(db: Path, acked_all: dict[str, int], new: list[int], last_max: int) -> int:
    """Assert nothing acknowledged is lost, no seq repeats or is reused, the database is
    sound; return the highest seq now held."""
    with Store(db) as store:
        assert store.integrity_check() == "ok"
        rows = store.all("SELECT seq, event_id FROM scans ORDER BY seq")
        held = {r["event_id"]: r["seq"] for r in rows}
        missing = [e for e in acked_all if held.get(e) != acked_all[e]]
        assert missing == [], f"acknowledged scans lost: {missing[:3]}"
        seqs = [r["seq"] for r in rows]
        assert len(seqs) == len(set(seqs))
        # seq strictly increases across restarts: nothing new reuses an old number.
        assert all(seq > last_max for seq in new), "seq reused after a restart"
        orphans = store.one(
            "SELECT COUNT(*) FROM scans s LEFT JOIN scan_sync y ON y.seq = s.seq"
            " WHERE y.seq IS NULL"
        )
        assert orphans is not None and orphans[0] == 0
        return max(seqs, default=last_max)


def soak(db: Path, rounds: int, seed: int) -> int:
    """Kill the writer ``rounds`` times; return how many scans were acknowledged."""
    rng = random.Random(seed)
    acked_all: dict[str, int] = {}
    last_max = 0
    for n in range(rounds):
        acked = run_and_kill(db, f"{n:04d}", rng)
        acked_all.update({event: seq for seq, event in acked})
        last_max = check_after_restart(db, acked_all, [seq for seq, _ in acked], last_max)
    return len(acked_all)


def test_sigkill_loses_no_acknowledged_scan(tmp_path: Path) -> None:
    rounds = 50
    acknowledged = soak(tmp_path / "station.db", rounds, seed=20261122)
    assert acknowledged > rounds, "the writer hardly ever got to record anything"
