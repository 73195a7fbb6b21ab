"""Pure rules: quiet hours, and which message a parcel on the shelf is due next."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def _hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def in_quiet_hours(now: datetime, start: str, end: str, tz: ZoneInfo) -> bool:
    """True between ``start`` and ``end`` station time; the span may cross midnight."""
    t = now.astimezone(tz).time()
    a, b = _hhmm(start), _hhmm(end)
    return (a <= t or t < b) if a > b else (a <= t < b)


def due(
    arrived: datetime, now: datetime, sent_steps: set[int], ladder: list[int], return_after: int
) -> int | None:
    """The ladder step due now, as days since arrival (``return_after`` for the return
    notice), or None. Only the latest step due is sent: a parcel whose reminders were held
    back (quiet hours, a down gateway) gets one message, not a burst."""
    days = (now - arrived) // timedelta(days=1)
    steps = [d for d in ladder if d <= days]
    if return_after and days >= return_after:
        steps.append(return_after)
    if not steps:
        return None
    latest = max(steps)
    return None if latest in sent_steps else latest
