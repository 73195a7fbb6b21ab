"""A model-based test of the queue: random interleavings of scanning, undoing, uploads that
meet faults, restarts and retries, against the real receiver through the fault proxy.
After every step nothing is held twice, nothing marked sent is missing at head office,
nothing withheld before it left ever arrives; in the end everything due arrives once."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from edge.store import Store
from sync.faultproxy import FaultPlan, FaultProxy
from sync.headoffice.app import hash_token, new_token
from sync.headoffice.server import start
from sync.station.loop import Uploader
from tests.conftest import ManualClock
from tests.sync_fixtures import STATION, Env, Receiver, count_report, write_token

FAULTS = [None, "500", "503", "429-date", "reset-before", "reset-after", "401"]


class SyncQueue(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = tempfile.TemporaryDirectory()
        tmp = Path(self.dir.name)
        running = start(tmp / "head-office")
        token = new_token()
        running.storage.add_token(STATION, hash_token(token), "station")
        self.env = Env(
            tmp,
            Receiver(running, token, tmp / "head-office"),
            ManualClock(),
            Store(tmp / "station.db", create=True),
            write_token(tmp / "token", token),
        )
        self.proxy = FaultProxy(running.url, FaultPlan(retry_after_s=0)).start()
        self.up = self._uploader()
        self.count = 0
        self.never_left: set[str] = set()  # withheld while head office did not hold it

    def _uploader(self) -> Uploader:
        up = self.env.uploader(self.proxy.url, batch_max_scans=4)
        up.now = time.time
        return up

    @rule(n=st.integers(1, 4))
    def scan(self, n: int) -> None:
        for _ in range(n):
            self.count += 1
            self.env.scan("receive", f"SF14{self.count:011d}")

    @precondition(lambda self: self.count > 0)
    @rule(data=st.data())
    def undo(self, data: st.DataObject) -> None:
        pending = [
            r["seq"]
            for r in self.env.store.all(
                "SELECT seq FROM scan_sync WHERE state = 'pending' ORDER BY seq"
            )
        ]
        if not pending:
            return
        seq = data.draw(st.sampled_from(pending))
        row = self.env.store.one("SELECT event_id FROM scans WHERE seq = ?", (seq,))
        assert row is not None
        held = row["event_id"] in self.env.held()
        assert self.env.station().undo(seq, "op-1", "model").status == "accepted"
        if not held:
            self.never_left.add(row["event_id"])

    @rule(fault=st.sampled_from(FAULTS))
    def upload(self, fault: str | None) -> None:
        if fault:
            self.proxy.plan.queue(fault)
        self.up.turn()
        self.proxy.plan.queued.clear()

    @rule()
    def restart(self) -> None:
        self.up.close()
        self.up = self._uploader()

    @invariant()
    def held_once_and_sent_is_held(self) -> None:
        report = count_report(self.env.store, self.env.receiver)
        assert report["held_twice"] == 0 and report["misordered"] == 0
        held = self.env.held()
        sent = {e for e, s in self.env.states().items() if s == "sent"}
        assert sent <= set(held)
        assert not self.never_left & set(held)

    def teardown(self) -> None:
        try:
            self.restart()
            self.env.store.update_sync_state(next_attempt_at=None)
            for _ in range(50):
                if not self.env.store.sync_status()["backlog"]:
                    break
                self.up.turn()
                time.sleep(0.01)
            states = self.env.states()
            held = self.env.held()
            due = {e for e, s in states.items() if s != "withheld"}
            assert set(states.values()) <= {"sent", "withheld"}
            assert due <= set(held)
            assert not self.never_left & set(held)
            assert count_report(self.env.store, self.env.receiver)["held_twice"] == 0
        finally:
            self.up.close()
            self.proxy.close()
            self.env.receiver.running.close()
            self.env.store.close()
            self.dir.cleanup()


SyncQueue.TestCase.settings = settings(
    max_examples=12,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestSyncQueue = SyncQueue.TestCase
