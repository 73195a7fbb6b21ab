"""The uploader: unsent scans to head office in seq order, then photos, then the manifest.

At-least-once from the station's queue plus head office's dedup on event_id gives every
scan exactly once in effect. A scan's state changes only when head office answered for it;
anything else (reset, timeout, lost answer) leaves it pending, to be sent again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import random
import re
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import tenacity

from edge.clock import Clock, Instant
from edge.store import Store
from sync.client import HeadOfficeClient, LinkError, Reply, plain, retry_after_s
from sync.clock import SyncPoint, corrected_time, stamp
from sync.contract import CARRIER, LAST4, WAYBILL, encode_scan, mask_numbers
from sync.records import RecordsJob
from sync.settings import HeadOfficeSection
from sync.token import TokenFileError, read_token

log = logging.getLogger(__name__)

PHOTO_MAX_BYTES = 4 * 1024 * 1024
# Retries inside one loop turn wait at most this long, so a turn stays short and the
# watchdog sees progress; longer backoff is kept in SQLite and waited out between turns.
INLINE_WAIT_MAX_S = 5.0
INLINE_ATTEMPTS = 3
# No new request starts after this long in one turn (the loop then reports progress).
TURN_BUDGET_S = 10.0
MANIFEST_RETRY_S = 60.0
# Pages pulled in one go: a `next` cursor that never ends waits for the next interval.
MANIFEST_MAX_PAGES = 20
# One encoder for every scan: json.dumps with options would build a new one per call.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
REFUSED = "head office refuses this station's credentials"


class Transient(Exception):
    """Worth retrying with backoff: 5xx, 408, timeouts, connection errors."""


class RetryLater(Exception):
    def __init__(self, seconds: float, reason: str) -> None:
        super().__init__(reason)
        self.seconds = seconds


class Blocked(Exception):
    """Needs a person (credentials refused, wrong URL): nothing is sent until fixed."""


@dataclass
class TurnResult:
    state: str  # sent | idle | held | waiting | blocked | failed
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    photos: int = 0
    detail: str = ""


@dataclass
class _Tally:
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    photos: int = 0
    held: bool = False


def worst_turn_s(settings: HeadOfficeSection) -> float:
    """How long one turn can take when head office stalls: the budget, one retry wait, then
    up to three requests begun in time (a photo's HEAD, PUT and re-read PUT) each waiting
    out both timeouts. The watchdog must allow more than this."""
    request = settings.connect_timeout_s + settings.read_timeout_s
    return TURN_BUDGET_S + INLINE_WAIT_MAX_S + 3 * request


def backoff_s(attempts: int, initial: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with equal jitter: half fixed, half random, capped."""
    ceiling = min(cap, initial * 2 ** max(0, min(attempts - 1, 40)))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


@dataclass
class Uploader:
    store: Store
    settings: HeadOfficeSection
    station: str
    tz: ZoneInfo
    clock: Clock
    data_dir: Path
    client: HeadOfficeClient | None = None
    now: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    batch_limit: int = 0
    _refused_token: str | None = field(default=None, repr=False)
    _boot_recorded: str | None = None
    _photos_due: float = 0.0  # monotonic; photo backoff is kept in memory only
    _photo_failures: int = 0
    _deadline: float = 0.0  # monotonic end of the current turn's budget

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

    # -- scans -------------------------------------------------------------------------
    def _next_batch(self, after_seq: int) -> _Batch:
        rows = self.store.unsent_scans(self.batch_limit, after_seq)
        batch = _Batch()
        if not rows:
            return batch
        points = {
            boot: SyncPoint(datetime.fromisoformat(wall), mono)
            for boot, (wall, mono) in self.store.clock_sync_points(
                [r["boot_id"] for r in rows if not r["clock_synced"]]
            ).items()
        }
        reading = self.clock.now(self.tz)
        size = 200
        for row in rows:
            point = points.get(row["boot_id"])
            if self._hold(row, point, reading):
                batch.held = True
                break
            item = scan_json(row, point, self.tz)
            encoded = _JSON.encode(item)
            size += len(encoded.encode()) + 1
            if batch.scans and size > self.settings.batch_max_bytes:
                break
            batch.scans.append((row["seq"], item["event_id"], encoded))
        return batch

    def _hold(self, row: Any, point: SyncPoint | None, now: Instant) -> bool:
        """Hold a scan of this boot recorded before the clock synced, for a while."""
        if row["clock_synced"] or point is not None or now.synced or row["boot_id"] != now.boot_id:
            return False
        return now.mono_ns - row["mono_ns"] < self.settings.hold_unsynced_s * 1e9

    def _submit(self, batch: _Batch | None) -> Future[Reply] | None:
        if batch is None or not batch.scans:
            return None
        return self._pool.submit(self.http.post_json, "/v1/scans", self._body(batch.scans))

    def _body(self, scans: list[tuple[int, str, str]]) -> bytes:
        # Scans are encoded once, when the batch is measured; only the envelope is new.
        sent_at = stamp(datetime.fromtimestamp(self.now(), self.tz), self.tz)
        return (
            f'{{"station":{json.dumps(self.station)},"batch_id":"{uuid.uuid4()}",'
            f'"sent_at":"{sent_at}","scans":[{",".join(s[2] for s in scans)}]}}'
        ).encode()

    def _send(self, scans: list[tuple[int, str, str]], tally: _Tally) -> None:
        """Send part of a refused batch; a head office refusing everything, slowly, cannot
        keep one turn going for a request per scan."""
        if self._late():
            raise Transient("head office refused a whole batch; splitting it goes on next turn")
        body = self._body(scans)
        self._handle(scans, self._call(lambda: self.http.post_json("/v1/scans", body)), tally)

    def _handle(self, scans: list[tuple[int, str, str]], reply: Reply, tally: _Tally) -> None:
        """Act on head office's answer to one batch (bisecting or halving it if asked)."""
        if reply.status == 200:
            self._apply(scans, reply, tally)
        elif reply.status in (400, 422):
            if len(scans) == 1:
                reason = f"{reply.status}: {reply.reason() or 'refused'}"
                self.store.apply_sync_results([(scans[0][0], "rejected", reason)])
                tally.rejected += 1
                log.warning("head office refused scan %s: %s", scans[0][1], reason)
            else:
                half = len(scans) // 2
                self._send(scans[:half], tally)
                self._send(scans[half:], tally)
        elif reply.status == 413:
            if len(scans) == 1:
                self.store.apply_sync_results(
                    [(scans[0][0], "rejected", "413: too large for head office")]
                )
                tally.rejected += 1
                return
            self.batch_limit = max(1, len(scans) // 2)
            log.info("head office found the batch too large; batches of %d now", self.batch_limit)
            self._send(scans[: self.batch_limit], tally)
            self._send(scans[self.batch_limit :], tally)
        else:
            self._other(reply, "POST /v1/scans")

    def _call(self, request: Callable[[], Reply]) -> Reply:
        try:
            return request()
        except LinkError as exc:
            raise Transient(str(exc)) from None

    def _other(self, reply: Reply, what: str, *, scans: bool = True) -> None:
        """Raise what an answer other than the expected ones means. Only scans stop for an
        answer that needs a person; photos and the manifest back off instead."""
        status = reply.status
        if status in (401, 403):
            self._refused_token = self.http.token
            raise Blocked(f"{REFUSED} ({status}); fix the token file, sync resumes by itself")
        if status in (429, 503):
            wait = retry_after_s(reply)
            if wait is not None:
                raise RetryLater(wait, f"head office busy ({status} to {what})")
            raise Transient(f"head office busy ({status} to {what}) without a usable Retry-After")
        if status == 408 or status >= 500:
            raise Transient(f"head office answered {status} to {what}")
        if 300 <= status < 400:
            problem = (
                f"head office redirects {what} ({status}) to "
                f"{_where(reply.headers.get('Location', ''))}; redirects are not followed: "
                "set [head_office] url to the address head office answers at"
            )
        else:
            problem = (
                f"head office answered {status} to {what}: check [head_office] url "
                f"({reply.reason()[:80]})"
            )
        if not scans:
            raise Transient(problem)
        # Blocked until the token file changes or the process restarts (after a config fix).
        self._refused_token = self.http.token
        raise Blocked(problem)

    def _apply(self, scans: list[tuple[int, str, str]], reply: Reply, tally: _Tally) -> None:
        """Record the answers head office gave for exactly these event ids; if any scan is
        left without one, the batch counts as failed (backoff) and those stay pending."""
        answers, problem = batch_answers([s[1] for s in scans], reply)
        outcome: list[tuple[int, str, str | None]] = []
        for seq, event_id, _ in scans:
            if event_id not in answers:
                continue
            status, reason = answers[event_id]
            if status == "rejected":
                outcome.append((seq, "rejected", reason))
                tally.rejected += 1
                log.warning("head office rejected scan %s: %s", event_id, reason)
            else:
                outcome.append((seq, "sent", None))
                if status == "accepted":
                    tally.accepted += 1
                else:
                    tally.duplicate += 1
        if outcome:
            self.store.apply_sync_results(outcome)
        if problem:
            raise Transient(problem)

    # -- photos ------------------------------------------------------------------------
    def _late(self) -> bool:
        return time.monotonic() >= self._deadline

    def _push_photos(self, tally: _Tally) -> None:
        """Photos after scans; their failures back off apart, so scans are never held up."""
        if time.monotonic() < self._photos_due:
            return
        try:
            self._send_photos(tally)
        except (Transient, RetryLater) as exc:
            self._photo_failures += 1
            wait = (
                self._wait_asked(exc, self._photo_failures)
                if isinstance(exc, RetryLater)
                else self._backoff(self._photo_failures)
            )
            self._photos_due = time.monotonic() + wait
            log.warning("photos wait %.0f s: %s", wait, exc)
            self.store.record_side_failure(f"photos: {exc}")
        else:
            self._photo_failures = 0

    def _send_photos(self, tally: _Tally) -> None:
        while not self._late():
            rows = self.store.photos_to_upload()
            if not rows:
                return
            for row in rows:
                if self._late():
                    return
                self._push_photo(row["sha256"], self._photo_path(row["path"]))
                tally.photos += 1

    def _photo_path(self, stored: str) -> Path:
        path = Path(stored)
        if path.is_absolute():
            return path
        direct = self.data_dir / path
        return direct if direct.exists() else self.data_dir / "photos" / path

    def _push_photo(self, sha: str, path: Path) -> None:
        where = f"/v1/photos/{sha}"
        reply = self._call(lambda: self.http.request("HEAD", where))
        if reply.status == 200:
            self.store.mark_photo_uploaded(sha)
            return
        if reply.status != 404:
            self._other(reply, f"HEAD {where}", scans=False)
        for _ in range(2):
            data, problem = _read_photo(path, sha)
            if problem:
                self.store.mark_photo_failed(sha, problem)
                log.error("photo %s not sent: %s", sha[:12], problem)
                return
            reply = self._call(
                lambda d=data: self.http.request(  # type: ignore[misc]
                    "PUT", where, body=d, headers={"Content-Type": "image/jpeg"}
                )
            )
            if reply.status in (200, 201):
                self.store.mark_photo_uploaded(sha)
                return
            if reply.status == 413:
                self.store.mark_photo_failed(sha, "head office refuses its size (413)")
                return
            if reply.status == 415:
                self.store.mark_photo_failed(sha, "head office says it is not a JPEG (415)")
                return
            if reply.status != 422:
                self._other(reply, f"PUT {where}", scans=False)
            log.warning("head office says photo %s does not match its hash; re-reading", sha[:12])
        self.store.mark_photo_failed(sha, "head office keeps answering hash mismatch (422)")

    # -- manifest ----------------------------------------------------------------------
    def _pull_manifest(self) -> None:
        """Pull new manifest pages when due; a failure waits for the next interval."""
        interval = self.settings.manifest_interval_s
        due = self.store.sync_state().get("manifest_next_at")
        now = self.now()
        if not interval or (due and now < due <= now + interval):
            return
        wait = interval
        try:
            self._fetch_manifest()
        except (Transient, RetryLater) as exc:
            wait = min(interval, MANIFEST_RETRY_S)
            log.warning("manifest not pulled (%s); next try in %.0f s", exc, wait)
            self.store.record_side_failure(f"manifest: {exc}")
        self.store.update_sync_state(manifest_next_at=now + wait)

    def _fetch_manifest(self) -> None:
        cursor = self.store.sync_state().get("manifest_cursor") or ""
        path = f"/v1/stations/{quote(self.station, safe='')}/manifest"
        seen = {cursor}
        for _ in range(MANIFEST_MAX_PAGES):
            if self._late():
                return
            params = {"after": cursor} if cursor else None
            reply = self._call(lambda p=params: self.http.request("GET", path, params=p))  # type: ignore[misc]
            if reply.status == 404:
                return
            if reply.status != 200:
                self._other(reply, f"GET {path}", scans=False)
            data = reply.json()
            parcels = data.get("parcels") if isinstance(data, dict) else None
            if not isinstance(data, dict) or not isinstance(parcels, list):
                raise Transient(f"head office's manifest answer has no parcel list: {_body(reply)}")
            good = manifest_parcels(parcels)
            if len(good) < len(parcels):
                log.warning("manifest: %d unusable parcels skipped", len(parcels) - len(good))
            if good:
                self.store.upsert_manifest(good)
            nxt = data.get("next")
            if nxt is None or str(nxt) in ("", cursor) or not parcels:
                return
            if not isinstance(nxt, str | int) or isinstance(nxt, bool) or len(str(nxt)) > 200:
                raise Transient("head office's manifest cursor `next` is not a short string")
            if str(nxt) in seen:
                raise Transient(f"head office's manifest cursor came back to {plain(nxt, 40)!r}")
            cursor = str(nxt)
            seen.add(cursor)
            self.store.update_sync_state(manifest_cursor=cursor)
        log.info("manifest: %d pages pulled; the rest next time", MANIFEST_MAX_PAGES)


@dataclass
class _Batch:
    scans: list[tuple[int, str, str]] = field(default_factory=list)  # seq, event_id, JSON
    held: bool = False


def scan_json(row: Any, point: SyncPoint | None, tz: ZoneInfo) -> dict[str, Any]:
    """A scan as the contract sends it, from its row in `scans` (plus its photos)."""
    scanned_at, corrected = corrected_time(
        row["scanned_at"], row["mono_ns"], bool(row["clock_synced"]), point, tz
    )
    return encode_scan(row, scanned_at, corrected)


ANSWERS = ("accepted", "duplicate", "rejected")


def batch_answers(
    event_ids: list[str], reply: Reply
) -> tuple[dict[str, tuple[str, str | None]], str]:
    """Head office's 200 answer to a batch, checked: event_id -> (status, reason) for each
    scan it answered exactly, matched by event_id (order does not matter), and what was wrong
    ("" when every scan has one answer). Ids not sent, unknown statuses and items that are not
    objects count for nothing; an id answered two different ways counts for nothing."""
    data = reply.json()
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list):
        return {}, f"head office answered 200 without a results list: {_body(reply)}"
    sent = set(event_ids)
    answers: dict[str, tuple[str, str | None]] = {}
    contradicted: set[str] = set()
    for item in results:
        if not isinstance(item, dict):
            continue
        event_id, status = item.get("event_id"), item.get("status")
        if not isinstance(event_id, str) or event_id not in sent or status not in ANSWERS:
            continue
        reason = plain(item.get("reason") or "rejected", 300) if status == "rejected" else None
        if answers.setdefault(event_id, (status, reason)) != (status, reason):
            contradicted.add(event_id)
    for event_id in contradicted:
        del answers[event_id]
    if len(answers) == len(sent):
        return answers, ""
    return answers, (
        f"head office answered 200 but only for {len(answers)} of {len(sent)} scans"
        f" ({len(results)} results); the other {len(sent) - len(answers)} stay pending"
    )


def manifest_parcels(items: list[Any]) -> list[dict[str, Any]]:
    """The manifest parcels fit to store; anything else (a whole phone number, a waybill no
    scanner could read, a value of the wrong type) is dropped or blanked."""

    def text(value: Any, pattern: re.Pattern[str] | None = None, limit: int = 40) -> str | None:
        if not isinstance(value, str) or len(value) > limit:
            return None
        return value if pattern is None or pattern.fullmatch(value) else None

    good = []
    for p in items:
        if not isinstance(p, dict) or not text(p.get("waybill"), WAYBILL):
            continue
        weight = p.get("declared_weight_g")
        good.append(
            {
                "waybill": p["waybill"],
                "carrier": text(p.get("carrier"), CARRIER),
                "phone_last4": text(p.get("phone_last4"), LAST4),
                # Checked again here: a receiver that is not ours may send whole numbers.
                "recipient_masked": mask_numbers(r)
                if (r := text(p.get("recipient_masked")))
                else None,
                "declared_weight_g": (
                    weight
                    if isinstance(weight, int)
                    and not isinstance(weight, bool)
                    and 0 < weight <= 1_000_000
                    else None
                ),
                "valuable": p.get("valuable") is True,
            }
        )
    return good


def _body(reply: Reply) -> str:
    return repr(plain(reply.body[:60].decode("utf-8", "replace"), 60)) if reply.body else "empty"


def _where(location: str) -> str:
    """A redirect's target without credentials or query, for a log line."""
    parts = urlsplit(location.strip())
    host = parts.netloc.rpartition("@")[2]
    return plain(f"{parts.scheme}://{host}{parts.path}" if host else parts.path, 100) or (
        "(no Location)"
    )


def _read_photo(path: Path, sha: str) -> tuple[bytes, str]:
    """(bytes, "") or (b"", why it cannot be sent)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return b"", f"file missing: {path}"
    except OSError as exc:
        return b"", f"cannot read {path}: {exc.strerror}"
    if len(data) > PHOTO_MAX_BYTES:
        return b"", f"file larger than 4 MiB: {path}"
    if hashlib.sha256(data).hexdigest() != sha:
        return b"", f"file corrupt (its SHA-256 differs): {path}"
    return data, ""


def _error(rs: tenacity.RetryCallState) -> str:
    exc = rs.outcome.exception() if rs.outcome else None
    return str(exc) if exc else "?"
