"""The records job: the station's other records to head office (POST /v1/records), and
head office's updates back (GET /v1/stations/{station}/updates), contract version 3.

It runs in the uploader's turn after scans and photos, with retry state of its own in
the store (``outbox_state``), so a failing or old head office never holds a scan up: a
404 means the receiver does not know records yet; the station keeps them and asks again
after a long interval. Head office dedups on (station, kind, id, version), so a resend
after a lost answer is a harmless ``duplicate``, and a record changed on its way goes
again as a new version.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from edge.cli_support import Context, add_command
from edge.store import Store
from edge.store.outbox import OutboxRecord
from sync.client import HeadOfficeClient, LinkError, Reply, plain, retry_after_s
from sync.contract import RECORD_ANSWERS, RECORD_KINDS, mask_whole_numbers
from sync.contract_records import record_problem, update_problem
from sync.settings import HeadOfficeSection
from sync.station import collect_key
from sync.station.common import backoff_s

log = logging.getLogger(__name__)

RECHECK_S = 6 * 3600.0  # after a 404: how long until asking an old receiver again
PAGE = 100  # records read per kind at a time
PAGES_PER_TURN = 20
UPDATES_RETRY_S = 60.0
UPDATES_MAX_PAGES = 20
Key = tuple[str, str, str]  # kind, id, version


class Unsupported(Exception):
    """Head office answered 404: it does not know this addition yet."""


class Later(Exception):
    """Try again after a backoff (or the wait head office asked for)."""

    def __init__(self, reason: str, seconds: float | None = None) -> None:
        super().__init__(reason)
        self.seconds = seconds


def _wait(status: int, reply: Reply, what: str) -> Later:
    """What any answer but 200 and 404 means for this job: always a wait, never a stop
    (only the scan path stops for a person)."""
    if status in (429, 503):
        return Later(f"head office busy ({status} to {what})", retry_after_s(reply))
    return Later(f"head office answered {status} to {what} ({plain(reply.reason(), 80)})")


def record_answers(sent: list[Key], reply: Reply) -> tuple[dict[Key, tuple[str, str | None]], str]:
    """Head office's 200 answer, checked like the scans' (sync.station.scans.batch_answers):
    key -> (status, reason) for each record answered exactly once one way, and what was
    wrong ("" when every record has its answer)."""
    data = reply.json()
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list):
        return {}, "head office answered 200 to POST /v1/records without a results list"
    wanted = set(sent)
    answers: dict[Key, tuple[str, str | None]] = {}
    contradicted: set[Key] = set()
    for item in results:
        if not isinstance(item, dict):
            continue
        key = (item.get("kind"), item.get("id"), item.get("version"))
        status = item.get("status")
        if key not in wanted or status not in RECORD_ANSWERS:
            continue
        reason = plain(item.get("reason") or "rejected", 300) if status == "rejected" else None
        if answers.setdefault(key, (status, reason)) != (status, reason):
            contradicted.add(key)
    for key in contradicted:
        del answers[key]
    if len(answers) == len(wanted):
        return answers, ""
    return answers, f"head office answered {len(answers)} of {len(wanted)} records"


@dataclass
class RecordsJob:
    store: Store
    http: HeadOfficeClient
    station: str
    settings: HeadOfficeSection
    push_photo: Callable[[str, str], None]  # (sha256, stored path): the scan path's PUT
    late: Callable[[], bool]
    now: Callable[[], float] = time.time
    rng: random.Random = field(default_factory=random.Random)

    def turn(self) -> int:
        """Send what is due, then pull updates when due; returns records head office
        answered. Never raises: whatever goes wrong here waits, and scans go on."""
        sent = 0
        try:
            sent = self._send_due()
        except Exception:
            log.exception("records job failed")
        try:
            self._pull_due()
        except Exception:
            log.exception("pulling head office's updates failed")
        return sent

    # -- records ------------------------------------------------------------------------
    def _due(self, at: float | None, horizon: float) -> bool:
        now = self.now()
        # A due time further off than any wait we set came from a clock that jumped.
        return not (at and now < at <= now + horizon)

    def _send_due(self) -> int:
        state = self.store.outbox_state()
        s = self.settings
        horizon = max(s.backoff_max_s, s.retry_after_max_s)
        if not self._due(state["unsupported_until"], RECHECK_S) or not self._due(
            state["next_at"], horizon
        ):
            return 0
        attempts = int(state["attempts"] or 0)
        answered = [0]
        try:
            self._send_all(answered)
        except Unsupported:
            log.info("head office does not take records yet (404); asking again in %.0f h",
                     RECHECK_S / 3600)  # fmt: skip
            self.store.outbox_set_state(
                unsupported_until=self.now() + RECHECK_S, attempts=0, next_at=None
            )
        except Exception as exc:
            attempts += 1
            wait = backoff_s(attempts, s.backoff_initial_s, s.backoff_max_s, self.rng)
            if isinstance(exc, Later) and exc.seconds is not None:
                wait = max(wait, min(exc.seconds, s.retry_after_max_s))
            elif not isinstance(exc, Later | LinkError):
                log.exception("records not sent")
            log.warning("records wait %.0f s: %s", wait, exc)
            self.store.outbox_failure(
                f"records: {plain(exc, 200)}", attempts=attempts, next_at=self.now() + wait
            )
        else:
            if attempts or state["unsupported_until"]:
                self.store.outbox_set_state(attempts=0, next_at=None, unsupported_until=None)
        return answered[0]

    def _send_all(self, answered: list[int]) -> None:
        for kind in RECORD_KINDS:
            for _ in range(PAGES_PER_TURN):
                if self.late():
                    return
                records = self.store.outbox_pending(kind, PAGE)
                if not records:
                    break
                records = self._sendable(records)
                for record in records:
                    for photo in self.store.outbox_photos(record.photos):
                        self._photo(photo["sha256"], photo["path"])
                for chunk in self._chunks(records):
                    answered[0] += self._post(chunk)
                if len(records) < PAGE:
                    break

    def _sendable(self, records: list[OutboxRecord]) -> list[OutboxRecord]:
        """Records that pass the contract's checks; one that does not (a whole number
        somewhere, say) never leaves the station: it is set aside as head office would."""
        good = []
        for record in records:
            problem = record_problem(record.item())
            if problem is None:
                good.append(record)
            else:
                self._reject(record, f"not sent: {problem}")
        return good

    def _photo(self, sha: str, path: str) -> None:
        """A photo a record names, before the record; its failures make records wait."""
        try:
            self.push_photo(sha, path)
        except Exception as exc:
            raise Later(f"photo {sha[:12]}: {exc}") from exc

    def _chunks(self, records: list[OutboxRecord]) -> list[list[OutboxRecord]]:
        """Requests of at most batch_max_bytes of JSON (a bigger record goes alone)."""
        chunks: list[list[OutboxRecord]] = []  # none when every record was set aside
        size = 0
        for record in records:
            n = len(json.dumps(record.item(), ensure_ascii=False).encode()) + 1
            if not chunks or size + n > self.settings.batch_max_bytes:
                chunks.append([])
                size = 0
            chunks[-1].append(record)
            size += n
        return chunks

    def _post(self, records: list[OutboxRecord]) -> int:
        if self.late():
            return 0  # the turn's budget is spent: these go next turn
        sent_at = datetime.fromtimestamp(self.now(), UTC).isoformat(timespec="seconds")
        body = json.dumps(
            {"station": self.station, "sent_at": sent_at, "records": [r.item() for r in records]},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        reply = self.http.post_json("/v1/records", body)
        if reply.status == 404:
            raise Unsupported
        if reply.status == 200:
            return self._apply(records, reply)
        if reply.status in (400, 413, 422):
            if len(records) > 1:  # find the culprit; the others go
                half = len(records) // 2
                return self._post(records[:half]) + self._post(records[half:])
            why = "too large for head office" if reply.status == 413 else reply.reason()
            self._reject(records[0], f"{reply.status}: {why or 'refused'}")
            return 1
        raise _wait(reply.status, reply, "POST /v1/records")

    def _reject(self, record: OutboxRecord, reason: str) -> None:
        log.warning("head office rejected %s %s: %s", record.kind, record.id, reason)
        self.store.outbox_apply([(record.kind, record.id, record.version, "rejected", reason)])

    def _apply(self, records: list[OutboxRecord], reply: Reply) -> int:
        answers, problem = record_answers([(r.kind, r.id, r.version) for r in records], reply)
        outcome = []
        for (kind, rid, version), (status, reason) in answers.items():
            if status == "rejected":
                log.warning("head office rejected %s %s: %s", kind, rid, reason)
            outcome.append((kind, rid, version, status, reason))
        if outcome:
            self.store.outbox_apply(outcome)
        if problem:
            raise Later(f"{problem}; the others stay pending")
        return len(outcome)

    # -- updates back from head office -----------------------------------------------------
    def _pull_due(self) -> None:
        interval = self.settings.manifest_interval_s
        state = self.store.outbox_state()
        if not interval or not self._due(state["updates_next_at"], max(interval, RECHECK_S)):
            return
        wait = interval
        try:
            self._fetch_updates(state["updates_cursor"] or "")
            collect_key.pull_once(self.http, self.store)
        except Unsupported:
            wait = RECHECK_S
        except (Later, LinkError) as exc:
            wait = min(interval, UPDATES_RETRY_S)
            log.warning("updates not pulled (%s); next try in %.0f s", exc, wait)
            self.store.outbox_failure(f"updates: {plain(exc, 200)}")
        self.store.outbox_set_state(updates_next_at=self.now() + wait)

    def _fetch_updates(self, cursor: str) -> None:
        path = f"/v1/stations/{quote(self.station, safe='')}/updates"
        seen = {cursor}
        for _ in range(UPDATES_MAX_PAGES):
            if self.late():
                return
            reply = self.http.request("GET", path, params={"after": cursor} if cursor else None)
            if reply.status == 404:
                raise Unsupported
            if reply.status != 200:
                raise _wait(reply.status, reply, f"GET {path}")
            data = reply.json()
            updates = data.get("updates") if isinstance(data, dict) else None
            if not isinstance(data, dict) or not isinstance(updates, list):
                raise Later("head office's updates answer has no update list")
            nxt = data.get("next")
            if nxt is None or nxt == cursor or not updates:
                return
            if not isinstance(nxt, str) or not 0 < len(nxt) <= 200 or nxt in seen:
                raise Later("head office's updates cursor `next` is unusable or came back")
            good = self._checked(updates)
            changed = self.store.outbox_apply_updates(good, nxt)
            log.info("head office's updates: %d applied, %d changed something", len(good), changed)
            cursor = nxt
            seen.add(cursor)

    @staticmethod
    def _checked(updates: list[Any]) -> list[dict[str, Any]]:
        good = []
        for u in updates:
            body = u.get("body") if isinstance(u, dict) else None
            if isinstance(body, dict) and isinstance(body.get("words"), str):
                # A receiver not ours may send whole numbers: masked, as the manifest's are.
                body["words"] = mask_whole_numbers(body["words"])
            problem = update_problem(u)
            if problem is None:
                good.append(u)
            else:
                log.warning("an update from head office skipped: %s", plain(problem, 120))
        return good


def records_lines(status: dict[str, Any], rejected: list[dict[str, Any]]) -> list[str]:
    """`station sync status` lines about the records (their --json is the status itself)."""
    waiting = {k: n for k, n in status["pending"].items() if n}
    line = ", ".join(f"{k} {n}" for k, n in waiting.items()) or "none"
    lines = [
        f"records waiting:  {line}",
        f"records sent:     last {status['last_sent_at'] or 'never'}",
    ]
    if status["unsupported_until"]:
        lines.append(
            f"records held:     head office does not take them yet (404); asking again at "
            f"{status['unsupported_until']}"
        )
    elif status["next_attempt_at"]:
        lines.append(f"records retry:    {status['next_attempt_at']} ({status['last_error']})")
    for r in rejected:
        lines.append(
            f"  rejected {r['kind']} {r['id']} (version {r['version']}): {r['reason']}"
            f"  (after a fix: station sync retry-record {r['kind']} {r['id']})"
        )
    return lines


def register(sync_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`station sync retry-record KIND ID`."""
    retry = add_command(
        sync_sub, "retry-record", cmd_retry_record,
        "send a record head office rejected again (after fixing what it refused)",
    )  # fmt: skip
    retry.add_argument("kind", metavar="KIND", choices=RECORD_KINDS, help="the record's kind")
    retry.add_argument("id", metavar="ID", help="the record's id, as `station sync status` shows")


def cmd_retry_record(args: argparse.Namespace, ctx: Context) -> int:
    if ctx.store().outbox_retry(args.kind, args.id, actor="cli"):
        print(f"{args.kind} {args.id} queued again; `station sync run` sends it")
        return 0
    print(f"no rejected {args.kind} with id {args.id}", file=sys.stderr)
    return 1
