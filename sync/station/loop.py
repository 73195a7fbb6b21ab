"""The uploader's loop: unsent scans to head office in seq order, then photos, then the
manifest.

At-least-once from the station's queue plus head office's dedup on event_id gives every
scan exactly once in effect. A scan's state changes only when head office answered for it;
anything else (reset, timeout, lost answer) leaves it pending, to be sent again.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import tenacity

from edge.service.settings import ServiceSection
from sync.client import HeadOfficeClient
from sync.station.common import (
    INLINE_ATTEMPTS,
    INLINE_WAIT_MAX_S,
    TURN_BUDGET_S,
    Blocked,
    RetryLater,
    Transient,
    TurnResult,
    _error,
    _Tally,
    backoff_s,
)
from sync.station.heartbeat import HeartbeatPart
from sync.station.manifest import ManifestPart
from sync.station.photos import PhotosPart
from sync.station.records import RecordsJob
from sync.station.scans import ScansPart, _Batch
from sync.token import TokenFileError, read_token

log = logging.getLogger(__name__)


@dataclass
class Uploader(ScansPart, PhotosPart, ManifestPart, HeartbeatPart):
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    batch_limit: int = 0
    gather_s: float = -1.0  # -1: from the settings
    _boot_recorded: str | None = None
    _photos_due: float = 0.0  # monotonic; photo backoff is kept in memory only
    _photo_failures: int = 0
    _heartbeat_due: float = 0.0  # by self.now()
    _seq_floor: int = 0  # head office's highest seq for us, as far as known
    # The station's receipt rules: a manifest that names a parcel already here marks it.
    service: ServiceSection = field(default_factory=ServiceSection)

    def __post_init__(self) -> None:
        if self.client is None:
            self.client = HeadOfficeClient(
                self.settings.url,
                read_token(self.settings.token_file),
                self.settings.connect_timeout_s,
                self.settings.read_timeout_s,
                self.settings.ca_bundle,
            )
        self.batch_limit = self.batch_limit or self.settings.batch_max_scans
        if self.gather_s < 0:
            self.gather_s = self.settings.gather_s
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="upload")
        self.records = RecordsJob(
            self.store, self.http, self.station, self.settings,
            lambda sha, path: self._push_photo(sha, self._photo_path(path)),
            self._late, self.now, self.rng,
        )  # fmt: skip

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.http.close()

    @property
    def http(self) -> HeadOfficeClient:
        assert self.client is not None
        return self.client

    # -- the loop ----------------------------------------------------------------------
    def turn(self) -> TurnResult:
        """One pass: send what can be sent now. Never sleeps longer than a short retry."""
        try:
            return self._turn()
        except Exception as exc:  # a bug or a failing disk must not end the service
            log.exception("sync turn failed")
            with contextlib.suppress(Exception):
                attempts = int(self.store.sync_state().get("attempts") or 0) + 1
                self.store.record_sync_failure(
                    f"{type(exc).__name__}: {exc}",
                    attempts=attempts,
                    next_attempt_at=self.now() + self._backoff(attempts),
                )
            return TurnResult("failed", detail=str(exc))

    def _turn(self) -> TurnResult:
        self._observe_clock()
        state = self.store.sync_state()
        if state.get("blocked_reason") and not self._unblock():
            return TurnResult("blocked", detail=state["blocked_reason"])
        now = self.now()
        due = state.get("next_attempt_at")
        # A due time further off than any wait we ask for came from a clock that jumped.
        horizon = max(self.settings.backoff_max_s, self.settings.retry_after_max_s)
        if due and now < due <= now + horizon:
            return TurnResult("waiting", detail=f"next attempt in {due - now:.0f} s")
        tally = _Tally()
        base = int(state.get("attempts") or 0)
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(Transient),
            stop=(
                tenacity.stop_after_attempt(INLINE_ATTEMPTS)
                | tenacity.stop_after_delay(TURN_BUDGET_S)
            ),
            wait=lambda rs: min(INLINE_WAIT_MAX_S, self._backoff(base + rs.attempt_number)),
            sleep=self.sleep,
            before_sleep=lambda rs: log.info(
                "upload attempt %d failed (%s); retrying", rs.attempt_number, _error(rs)
            ),
            reraise=True,
        )
        self._deadline = time.monotonic() + TURN_BUDGET_S  # immune to wall-clock jumps
        try:
            retrying(self._push, tally)
        except Transient as exc:
            attempts = base + INLINE_ATTEMPTS
            wait = self._backoff(attempts)
            self.store.record_sync_failure(
                str(exc), attempts=attempts, next_attempt_at=self.now() + wait
            )
            log.warning("upload failed (%s); next attempt in %.0f s", exc, wait)
            return self._result("failed", tally, str(exc))
        except RetryLater as exc:
            wait = self._wait_asked(exc, base + 1)
            self.store.record_sync_failure(
                str(exc), attempts=base + 1, next_attempt_at=self.now() + wait
            )
            log.warning("%s; waiting %.0f s", exc, wait)
            return self._result("waiting", tally, str(exc))
        except Blocked as exc:
            self.store.update_sync_state(blocked_reason=str(exc), last_error=str(exc))
            log.error("sync stopped: %s", exc)
            return self._result("blocked", tally, str(exc))
        if tally.held:
            return self._result("held", tally, "waiting for the clock to sync")
        if tally.gathering:
            return self._result("gathering", tally, "a few new scans wait for company")
        if tally.accepted or tally.duplicate or tally.rejected or tally.photos:
            return self._result("sent", tally)
        return self._result("idle", tally)

    @staticmethod
    def _result(state: str, tally: _Tally, detail: str = "") -> TurnResult:
        return TurnResult(
            state, tally.accepted, tally.duplicate, tally.rejected, tally.photos, detail
        )

    def _backoff(self, attempts: int) -> float:
        s = self.settings
        return backoff_s(attempts, s.backoff_initial_s, s.backoff_max_s, self.rng)

    def _wait_asked(self, exc: RetryLater, attempts: int) -> float:
        """Retry-After as asked, cut to retry_after_max_s; never shorter than the backoff, so
        "Retry-After: 0" (or a date in the past) again and again is not a hot loop."""
        return max(min(exc.seconds, self.settings.retry_after_max_s), self._backoff(attempts))

    def _push(self, tally: _Tally) -> None:
        batch = self._next_batch(after_seq=0)
        if self._gathering(batch):
            tally.gathering, batch = True, _Batch()
        request = self._submit(batch)
        # Requests go one at a time, in seq order; the work around them overlaps: the next
        # batch is read while head office works on this one, and an answer is recorded
        # while the next batch is on its way.
        while request is not None:
            following = None
            if not self._late():
                following = self._next_batch(after_seq=batch.scans[-1][0])
            reply = self._call(request.result)
            request = self._submit(following) if reply.status == 200 else None
            self._handle(batch.scans, reply, tally)
            if following is None:
                return  # budget spent; photos and manifest wait for a turn without backlog
            batch = following
            request = request or self._submit(batch)
        tally.held = batch.held
        self._push_photos(tally)
        self._pull_manifest()
        self.records.turn()  # the station's other records: never raises, never holds scans
        self._heartbeat()

    def _unblock(self) -> bool:
        """After a refusal, go on only once the token file holds another token."""
        try:
            token = read_token(self.settings.token_file)
        except TokenFileError as exc:
            log.debug("token still unusable: %s", exc)
            return False
        if self._refused_token is not None and token == self._refused_token:
            return False
        self.http.set_token(token)
        self._refused_token = None
        self.store.update_sync_state(blocked_reason=None)
        log.info("token file changed; sync resumes")
        return True

    # -- clock -------------------------------------------------------------------------
    def _observe_clock(self) -> None:
        reading = self.clock.now(self.tz)
        if reading.synced and self._boot_recorded != reading.boot_id:
            self.store.record_clock_sync_point(reading.boot_id, reading.iso, reading.mono_ns)
            self._boot_recorded = reading.boot_id
