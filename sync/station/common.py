"""What the uploader's parts share: how an answer becomes an exception, the turn's result
and budget, backoff."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import tenacity

from edge.clock import Clock
from edge.store import Store
from sync.client import HeadOfficeClient, LinkError, Reply, plain, retry_after_s
from sync.settings import HeadOfficeSection

log = logging.getLogger(__name__)

PHOTO_MAX_BYTES = 4 * 1024 * 1024
# Retries inside one loop turn wait at most this long, so a turn stays short and the
# watchdog sees progress; longer backoff is kept in SQLite and waited out between turns.
INLINE_WAIT_MAX_S = 5.0
INLINE_ATTEMPTS = 3
# No new request starts after this long in one turn (the loop then reports progress).
TURN_BUDGET_S = 10.0
MANIFEST_RETRY_S = 60.0
# Fewer unsent scans than this is steady state, where a few may wait (gather_s) for company.
GATHER_BELOW = 50
# Pages pulled in one go: a `next` cursor that never ends waits for the next interval.
MANIFEST_MAX_PAGES = 20
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
    state: str  # sent | idle | held | gathering | waiting | blocked | failed
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
    gathering: bool = False


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
class UploaderBase:
    """What every part of the uploader shares: the fields they all read, and how an
    answer becomes an exception. Uploader adds the rest."""

    store: Store
    settings: HeadOfficeSection
    station: str
    tz: ZoneInfo
    clock: Clock
    data_dir: Path
    client: HeadOfficeClient | None = None
    now: Callable[[], float] = time.time
    _refused_token: str | None = field(default=None, repr=False)
    _deadline: float = 0.0  # monotonic end of the current turn's budget

    @property
    def http(self) -> HeadOfficeClient:
        raise NotImplementedError

    def _backoff(self, attempts: int) -> float:
        raise NotImplementedError

    def _wait_asked(self, exc: RetryLater, attempts: int) -> float:
        raise NotImplementedError

    def _late(self) -> bool:
        return time.monotonic() >= self._deadline

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


def _body(reply: Reply) -> str:
    return repr(plain(reply.body[:60].decode("utf-8", "replace"), 60)) if reply.body else "empty"


def _where(location: str) -> str:
    """A redirect's target without credentials or query, for a log line."""
    parts = urlsplit(location.strip())
    host = parts.netloc.rpartition("@")[2]
    return plain(f"{parts.scheme}://{host}{parts.path}" if host else parts.path, 100) or (
        "(no Location)"
    )


def _error(rs: tenacity.RetryCallState) -> str:
    exc = rs.outcome.exception() if rs.outcome else None
    return str(exc) if exc else "?"
