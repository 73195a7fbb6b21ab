"""Exactly-once in effect over a bad link: thousands of scans through the fault proxy to the
real receiver, the uploader SIGKILLed again and again, and a long offline backlog drained.
Each run prints its count report and asserts it."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sync.faultproxy import FAULTS, FaultPlan, FaultProxy
from sync.station.loop import Uploader
from tests.sync_fixtures import (  # noqa: F401
    Env,
    bulk_scans,
    config_text,
    count_report,
    env_fixture,
    receiver_fixture,
)

ROOT = Path(__file__).resolve().parent.parent


def drain(up: Uploader, limit_s: float) -> dict[str, int]:
    """Run turns until nothing is pending; what head office answered, summed."""
    tally = {"accepted": 0, "duplicate": 0, "rejected": 0, "turns": 0}
    deadline = time.monotonic() + limit_s
    while up.store.sync_status()["backlog"] and time.monotonic() < deadline:
        result = up.turn()
        tally["accepted"] += result.accepted
        tally["duplicate"] += result.duplicate
        tally["rejected"] += result.rejected
        tally["turns"] += 1
        if result.state in ("waiting", "failed"):
            due = up.store.sync_state()["next_attempt_at"] or 0
            time.sleep(min(0.2, max(0.0, due - time.time())))
    return tally


def print_report(title: str, report: dict[str, int]) -> None:
    print(f"\n{title}: " + ", ".join(f"{k}={v}" for k, v in report.items()))


def test_5000_scans_under_30_percent_faults_arrive_exactly_once(env: Env) -> None:
    bulk_scans(env.store, 5000, bad_every=500)
    plan = FaultPlan(rate=0.4, kinds=FAULTS, seed=42, retry_after_s=0, slow_s=0.5)
    with FaultProxy(env.receiver.url, plan) as proxy:
        up = env.uploader(proxy.url, batch_max_scans=50, read_timeout_s=0.3)
        tally = drain(up, limit_s=120)
    faults = sum(n for kind, n in proxy.counts.items() if kind in FAULTS)
    requests = faults + proxy.counts["passed"]
    report = count_report(env.store, env.receiver)
    report.update(
        accepted_answers=tally["accepted"],
        duplicate=tally["duplicate"],
        requests=requests,
        faults=faults,
    )
    print_report("fault report", report)
    print("faults by kind:", dict(proxy.counts))
    assert faults / requests >= 0.30
    assert all(proxy.counts[kind] for kind in FAULTS), "every kind of fault was met"
    assert report["expected"] == 4990 and report["rejected"] == 10
    assert report["missing"] == 0
    assert report["held_twice"] == 0
    assert report["misordered"] == 0
    assert report["unexpected"] == 0 and report["pending"] == 0
    assert report["accepted"] == 4990
    # Lost answers were resent and came back as duplicates, not as second copies.
    assert tally["duplicate"] > 0


def test_uploader_killed_again_and_again_loses_and_doubles_nothing(env: Env) -> None:
    bulk_scans(env.store, 4000, bad_every=500)
    plan = FaultPlan(rate=0.3, kinds=FAULTS, seed=7, retry_after_s=0, slow_s=0.5)
    rng = random.Random(3)
    with FaultProxy(env.receiver.url, plan) as proxy:
        config = env.config(proxy.url, batch_max_scans=20, read_timeout_s=0.3)
        (env.tmp / "station.toml").write_text(config_text(config), encoding="utf-8")
        command = [sys.executable, "-m", "edge.cli", "--data", str(env.tmp), "sync"]
        kills, backlog_at_kills = 0, []
        for _ in range(8):
            before = env.store.sync_status()["backlog"]
            child = subprocess.Popen(
                [*command, "run"],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            # Kill it at a random moment once it is uploading, mostly mid-batch.
            started = time.monotonic()
            while env.store.sync_status()["backlog"] == before and time.monotonic() - started < 10:
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 0.4))
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            kills += 1
            backlog = env.store.sync_status()["backlog"]
            backlog_at_kills.append(backlog)
            if not backlog:
                break
        plan.rate = 0.0
        final = subprocess.run(
            [*command, "once", "--timeout", "60"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=90,
        )
    report = count_report(env.store, env.receiver)
    report.update(kills=kills)
    print_report("kill report", report)
    print("backlog at each kill:", backlog_at_kills, "faults:", dict(proxy.counts))
    assert final.returncode == 5, final.stderr  # done; only the rejected ones wait
    assert sum(1 for b in backlog_at_kills if b) >= 5, "killed while work was left"
    assert report["missing"] == 0
    assert report["held_twice"] == 0
    assert report["misordered"] == 0
    assert report["rejected"] == 8 and report["pending"] == 0
    assert report["accepted"] == report["expected"] == 3992


@pytest.mark.slow
def test_100000_scans_recorded_offline_are_drained(env: Env) -> None:
    bulk_scans(env.store, 100_000)
    offline = env.uploader("http://127.0.0.1:9")
    assert offline.turn().state == "failed"
    assert env.store.sync_status()["backlog"] == 100_000
    env.store.update_sync_state(next_attempt_at=None)  # the link is back: no need to wait
    up = env.uploader()
    started = time.monotonic()
    tally = drain(up, limit_s=300)
    elapsed = time.monotonic() - started
    report = count_report(env.store, env.receiver)
    report.update(accepted_answers=tally["accepted"], seconds=round(elapsed))
    print_report("offline drain report", report)
    print(
        f"drained at {100_000 / elapsed:.0f} scans/s, "
        f"{up.http.wire.total / 100_000:.1f} bytes/scan on the wire"
    )
    assert report["missing"] == 0 and report["held_twice"] == 0
    assert report["accepted"] == 100_000 and report["misordered"] == 0
