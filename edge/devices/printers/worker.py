"""`station printer`: follows accepted receives and REPRINT cards in the read journal
(as the sorting screen follows `reads` by id), queues one label per receive in
`print_jobs`, and prints each printer's queue in order, retrying with backoff.

The scanning process never waits for a printer: it only writes `reads`, as it always
has. A printer that is off, unplugged or out of paper leaves its labels queued and
its state `failing` (the sorting screen and the status page show it) until it prints.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from edge.clock import Clock, SystemClock
from edge.devices.printers import escpos, tspl
from edge.devices.printers.queue import label_fields, printer_for
from edge.devices.printers.render import job_bytes, label_data
from edge.devices.printers.settings import PrinterSection, PrintingSection
from edge.devices.printers.transport import PrinterError, send
from edge.store import Store

log = logging.getLogger(__name__)

FOLLOW_BATCH = 500
PRUNE_EVERY_S = 3600
Sender = Callable[[PrinterSection, bytes, float], None]


def send_to(printer: PrinterSection, data: bytes, timeout: float) -> None:
    """Send one job the way this printer is configured, asking its status first."""
    status = None
    if printer.status_query:
        language = escpos if printer.language == "escpos" else tspl
        status = (language.STATUS_QUERY, language.status_problem)
    send(printer.device, data, timeout=timeout, baud=printer.baud, status=status)


@dataclass
class TurnResult:
    queued: int = 0
    printed: int = 0
    failed: int = 0

    @property
    def progressed(self) -> bool:
        return bool(self.queued or self.printed or self.failed)


class PrintWorker:
    def __init__(
        self,
        store: Store,
        printers: list[PrinterSection],
        settings: PrintingSection,
        tz: ZoneInfo,
        *,
        clock: Clock | None = None,
        sender: Sender = send_to,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.printers = {p.name: p for p in printers}
        self.order = printers
        self.settings = settings
        self.tz = tz
        self.clock = clock or SystemClock()
        self.sender = sender
        self.now = now
        self._failing: dict[str, str] = {}
        self._next_prune = 0.0
        if self.store.printing_cursor() == 0:
            # The first start ever follows from now on: a station's (or the demo's) past
            # receives get no labels. Later starts print what arrived while it was down.
            self.store.printing_advance(self.store.web_last_read_id())

    def turn(self) -> TurnResult:
        self._prune()
        result = TurnResult(queued=self.follow())
        for name in self.printers:
            printed, failed = self.work(name)
            result.printed += printed
            result.failed += failed
        return result

    # --- reads -> jobs -------------------------------------------------------------------

    def follow(self) -> int:
        """Queue a label for each new accepted receive and REPRINT card; returns how many.
        With no printer configured it only moves on, so adding one later prints no backlog.
        """
        last = self.store.web_last_read_id()
        cursor = self.store.printing_cursor()
        queued = 0
        while cursor < last:
            upto = min(last, cursor + FOLLOW_BATCH)
            with self.store.transaction():
                for row in self.store.printing_reads(cursor, upto):
                    queued += self._queue(row)
                self.store.printing_advance(upto)
            cursor = upto
        return queued

    def _queue(self, row: sqlite3.Row) -> int:
        if row["message_key"] == "undone":
            # A label for a receive that no longer stands would carry a pickup code
            # that may go to another parcel.
            self.store.printing_cancel_waybill(row["waybill"], row["operator"], row["at"])
            return 0
        printer = printer_for(row["device"], self.order)
        if printer is None:
            return 0
        job = {
            "printer": printer.name,
            "device": row["device"],
            "read_id": row["id"],
            "requested_by": row["operator"],
            "created_at": row["at"],
        }
        if row["kind"] == "command":
            last = self.store.printing_last_label(row["device"])
            if last is None:
                log.info("REPRINT at %s: that desk has printed no label yet", row["device"])
                return 0
            job.update(kind="reprint", **label_fields(last))
        else:
            job.update(kind="receive", received_at=row["at"], **label_fields(row))
        return 1 if self.store.printing_enqueue(job) else 0

    # --- jobs -> paper -------------------------------------------------------------------

    def work(self, name: str) -> tuple[int, int]:
        """Print a printer's due jobs in order; stop at the first failure. (printed, failed)"""
        printer = self.printers[name]
        printed = 0
        for job in self.store.printing_due(name, self.now()):
            try:
                data = job_bytes(label_data(job, self.tz), printer, self.settings)
                self.sender(printer, data, self.settings.timeout_s)
            except (PrinterError, ValueError) as exc:
                self._failed(printer, job, str(exc))
                return printed, 1
            self.store.printing_done(job["id"], self._iso())
            printed += 1
            log.info("label %s printed on %s (%s)", job["waybill"], name, job["kind"])
        if printed:
            self._ok(name)
        return printed, 0

    def _failed(self, printer: PrinterSection, job: sqlite3.Row, reason: str) -> None:
        delay = min(
            self.settings.retry_max_s, self.settings.retry_first_s * 2 ** min(job["attempts"], 16)
        )
        with self.store.transaction():  # one commit for the job and the printer's state
            attempts = self.store.printing_failed(job["id"], reason, self.now() + delay)
            self.store.printing_set_printer(printer.name, "failing", reason, self._iso())
        if self._failing.get(printer.name) != reason:
            # Logged in full when the reason changes, not on every retry.
            log.warning(
                "printer %s: %s; label %s waits (try %d, next in %.0f s)",
                printer.name, reason, job["waybill"], attempts, delay,
            )  # fmt: skip
            self._failing[printer.name] = reason

    def _ok(self, name: str) -> None:
        if self._failing.pop(name, None) is not None:
            log.info("printer %s is printing again", name)
        self.store.printing_set_printer(name, "ok", None, self._iso())

    def _prune(self) -> None:
        """Once an hour, forget labels done more than keep_days ago."""
        if self.now() < self._next_prune:
            return
        self._next_prune = self.now() + PRUNE_EVERY_S
        wall = self.clock.now(self.tz).wall
        cutoff = (wall - timedelta(days=self.settings.keep_days)).isoformat(timespec="seconds")
        if gone := self.store.printing_prune(cutoff):
            log.info("forgot %d labels printed before %s", gone, cutoff)

    def _iso(self) -> str:
        return self.clock.now(self.tz).iso

    def pause(self) -> float:
        """Seconds until the next job is due, at most one poll interval."""
        poll = self.settings.poll_ms / 1000
        due = self.store.printing_next_due()
        return poll if due is None else max(0.0, min(poll, due - self.now()))
