"""One pass of the notify loop: learn arrivals and pickups from accepted scans, queue the
ladder's reminders, send what is queued outside quiet hours, forget old numbers.

The notification request is derived here from accepted receive scans rather than carried
as a new scan field: a station needs no change to ask, a v1 receiver sees nothing new,
and a re-sent scan cannot ask twice (one arrival message per station and waybill).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sync.contract import NOTIFY_REASON_MAX
from sync.headoffice.notify.config import NotifySection
from sync.headoffice.notify.gateways import Gateway, GatewayError, Message
from sync.headoffice.notify.ladder import due, in_quiet_hours
from sync.headoffice.notify.queue import NotifyQueue, Pending
from sync.headoffice.notify.templates import render
from sync.headoffice.phones import PhoneBook
from sync.headoffice.rows import utc, utc_key

log = logging.getLogger(__name__)

# Scans may reach head office late (a station offline for a day): once an hour a pass
# looks back three days; the others only a few minutes, so a pass stays cheap.
LOOKBACK = timedelta(days=3)
SHORT_LOOKBACK = timedelta(minutes=10)
DEEP_EVERY = timedelta(hours=1)
MIN_GAP = timedelta(days=1)  # between two messages about one parcel
PAGE = 1000
GONE = ("sign", "dispatch")
NO_NUMBER = "no number in the manifest"

# (station, waybills, now) -> URL of the pickup page, or "" for none.
LinkMaker = Callable[[str, list[str], datetime], str]


@dataclass
class PassResult:
    arrivals: int = 0
    reminders: int = 0
    sent: int = 0
    failed: int = 0
    held: int = 0  # quiet hours
    purged: int = 0
    resent: int = 0


class Notifier:
    def __init__(
        self,
        settings: NotifySection,
        storage: Any,
        queue: NotifyQueue,
        phones: PhoneBook,
        gateway: Gateway,
        link: LinkMaker | None = None,
        records: Any = None,
    ) -> None:
        self.s, self.storage, self.queue, self.phones = settings, storage, queue, phones
        self.gateway = gateway
        self.link = link
        self.records = records  # where notify_status updates wait for the station's pull
        self._deep_at: datetime | None = None

    def run_pass(self, now: datetime) -> PassResult:
        result = PassResult()
        self._learn(now, result)
        self._resends(now, result)
        self._ladder(now, result)
        if in_quiet_hours(now, self.s.quiet_start, self.s.quiet_end, self.s.tz):
            result.held = len(self.queue.pending())
        else:
            self._send(now, result)
        result.purged = self.phones.purge(now, self.s.keep_phone_days)
        return result

    def _learn(self, now: datetime, result: PassResult) -> None:
        cursor = self.queue.cursor()
        deep = self._deep_at is None or now - self._deep_at >= DEEP_EVERY or now < self._deep_at
        if deep:
            self._deep_at = now
        back = LOOKBACK if deep else SHORT_LOOKBACK
        since = (utc(cursor) - back).isoformat() if cursor else None
        while True:
            scans = self.storage.scans(since=since, limit=PAGE)
            for scan in scans:
                if scan["type"] == "receive":
                    scan = scan | {"scanned_utc": utc_key(scan["scanned_at"])}
                    if self.queue.arrived(scan, now):
                        result.arrivals += 1
                        self._tell(scan["station"], scan["waybill"], "arrival", "queued", None, now)
                elif scan["type"] in GONE:
                    at = utc(scan["scanned_at"])
                    self.queue.gone(scan["station"], scan["waybill"], utc_key(scan["scanned_at"]))
                    self.phones.picked(scan["station"], scan["waybill"], at)
            if scans:
                newest = max(utc_key(s["scanned_at"]) for s in scans)
                if cursor is None or newest > cursor:
                    self.queue.set_cursor(newest)
                    cursor = newest
            if len(scans) < PAGE or since == scans[-1]["scanned_at"]:
                return
            since = scans[-1]["scanned_at"]

    def _resends(self, now: datetime, result: PassResult) -> None:
        """The clerks' notify_resend records (contract version 5) queue the arrival again."""
        if self.records is None:
            return
        for station in self.queue.stations():
            after = self.queue.resend_cursor(station)
            for rec in self.records.records(station, "notify_resend", after, PAGE):
                waybill = rec["body"]["waybill"]
                if self.queue.resend(station, waybill, now):
                    result.resent += 1
                    self._tell(station, waybill, "arrival", "queued", None, now)
                after = int(rec["cursor"])
            self.queue.set_resend_cursor(station, after)

    def _ladder(self, now: datetime, result: PassResult) -> None:
        for row in self.queue.on_shelf():
            last = self.queue.latest_at(row["station"], row["waybill"])
            if last is not None and now - utc(last) < MIN_GAP:
                continue  # e.g. an arrival told late (a late upload): no reminder on its heels
            arrived = utc(row["arrived_at"])
            step = due(
                arrived,
                now,
                self.queue.steps(row["station"], row["waybill"]),
                self.s.ladder_days,
                self.s.return_after_days,
            )
            if step is None:
                continue
            template = "return" if step == self.s.return_after_days else "reminder"
            result.reminders += self.queue.queue(
                row["station"], row["waybill"], template, step, now
            )

    def _send(self, now: datetime, result: PassResult) -> None:
        for item in self.queue.pending():
            entry = self.phones.get(item.station, item.waybill)
            if entry is None:
                self.queue.give_up(item.id, NO_NUMBER, now)
                self._tell(item.station, item.waybill, item.template, "failed", NO_NUMBER, now)
                result.failed += 1
                continue
            message = self.message(item, entry.phone, now)
            try:
                self.gateway.send(message)
            except GatewayError as exc:
                # The reason names no number; the waybill is fine to log.
                log.warning("notify %s %s failed: %s", item.station, item.waybill, exc)
                reason = str(exc)[:NOTIFY_REASON_MAX]
                self.queue.settle(item.id, "failed", reason, now)
                self._tell(item.station, item.waybill, item.template, "failed", reason, now)
                result.failed += 1
            else:
                self.queue.settle(item.id, "sent", None, now)
                self._tell(item.station, item.waybill, item.template, "sent", None, now)
                result.sent += 1

    def _tell(
        self,
        station: str,
        waybill: str,
        template: str,
        status: str,
        reason: str | None,
        now: datetime,
    ) -> None:
        """Queue a notify_status update for the station (contract version 5)."""
        if self.records is None:
            return
        body = {"status": status, "template": template} | ({"reason": reason} if reason else {})
        at = now.isoformat(timespec="seconds")
        self.records.add_update(station, "notify_status", waybill, at, body, at)

    def message(self, item: Pending, phone: str, now: datetime) -> Message:
        info = self.s.station(item.station)
        days = (now - utc(item.arrived_at)) // timedelta(days=1)
        params = {
            "station": info.name or item.station,
            "address": info.address,
            "hours": info.hours,
            "pickup_code": item.pickup_code or item.waybill[-6:],
            "waybill_last4": item.waybill[-4:],
            "days": str(days),
        }
        if self.link and item.template != "return":
            params["link"] = self.link(item.station, [item.waybill], now)
        return Message(phone, item.template, params, render(item.template, params))


def open_notifier(folder: Path, storage: Any) -> tuple[Notifier, NotifyQueue, PhoneBook]:
    """A notifier on the data folder's head-office.toml, notify.db and phone book, telling
    stations through the receiver's updates and linking to the pickup page when set."""
    from sync.headoffice.config import load
    from sync.headoffice.notify.gateways import make_gateway
    from sync.headoffice.notify.pickup import Links
    from sync.headoffice.records import records_for

    settings = load(folder).notify
    queue, phones = NotifyQueue(folder), PhoneBook(folder)
    link = Links(settings, folder) if settings.collect_url else None
    gateway = make_gateway(settings, folder)
    notifier = Notifier(settings, storage, queue, phones, gateway, link, records_for(storage))
    return notifier, queue, phones


def utcnow() -> datetime:
    return datetime.now(UTC)
