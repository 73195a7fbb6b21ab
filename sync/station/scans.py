"""Scans: batches in seq order, encoded once, sent one request at a time; head office's
answers recorded per event id; its highest seq for this station learnt."""

from __future__ import annotations

import json
import logging
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from edge.clock import Instant
from sync.client import LinkError, Reply, plain
from sync.clock import SyncPoint, corrected_time, stamp
from sync.contract import encode_scan
from sync.station.common import GATHER_BELOW, Transient, UploaderBase, _body, _Tally

log = logging.getLogger(__name__)

# One encoder for every scan: json.dumps with options would build a new one per call.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


class ScansPart(UploaderBase):
    batch_limit: int
    gather_s: float
    _pool: ThreadPoolExecutor
    _seq_floor: int

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
        batch.oldest = (rows[0]["boot_id"], rows[0]["mono_ns"])
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

    def _gathering(self, batch: _Batch) -> bool:
        """Steady state: a few new scans wait up to gather_s for company. Never when many
        wait, once the oldest has waited that long, or when its age is unknown (it was
        recorded in another boot)."""
        if not self.gather_s or not batch.scans or batch.oldest is None:
            return False
        if len(batch.scans) >= GATHER_BELOW:
            return False
        reading = self.clock.now(self.tz)
        boot, mono_ns = batch.oldest
        return boot == reading.boot_id and 0 <= reading.mono_ns - mono_ns < self.gather_s * 1e9

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

    def learn_seq_floor(self) -> None:
        """At service start: head office's highest seq for this station (contract version
        2), so a station restored from an older backup numbers its next scans above it.
        Batch answers carry it too; a receiver without it (404) or a failure changes
        nothing, and no scan waits for it."""
        try:
            reply = self.http.request("GET", f"/v1/stations/{quote(self.station, safe='')}")
        except LinkError as exc:
            log.info("head office's highest seq not learnt (%s); batch answers tell it", exc)
            return
        if reply.status == 200:
            self._raise_seq_floor(reply)

    def _raise_seq_floor(self, reply: Reply) -> None:
        seq = head_office_seq(reply)
        if seq is not None and seq > self._seq_floor:
            self.store.raise_seq_floor(seq)
            self._seq_floor = seq

    def _apply(self, scans: list[tuple[int, str, str]], reply: Reply, tally: _Tally) -> None:
        """Record the answers head office gave for exactly these event ids; if any scan is
        left without one, the batch counts as failed (backoff) and those stay pending."""
        answers, problem = batch_answers([s[1] for s in scans], reply)
        self._raise_seq_floor(reply)
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


@dataclass
class _Batch:
    scans: list[tuple[int, str, str]] = field(default_factory=list)  # seq, event_id, JSON
    held: bool = False
    oldest: tuple[str, int] | None = None  # boot id and monotonic ns of its first scan


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


def head_office_seq(reply: Reply) -> int | None:
    """``station_seq`` from an answer (contract version 2), when it is a usable number."""
    data = reply.json()
    seq = data.get("station_seq") if isinstance(data, dict) else None
    return seq if isinstance(seq, int) and not isinstance(seq, bool) and 0 < seq < 2**63 else None
