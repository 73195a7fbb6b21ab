"""The month's money (月结): counts per carrier and the piece fees each carrier owes.

Pure: scans in, statement out. A scan counts on the station's local day of its true
time: the recorded time, or for a scan recorded before the clock synced, the time the
contract's correction gives (sync.clock); a scan with no correction yet is counted
apart as ``uncorrected`` and earns no fee until it has one.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from typing import Any

from sync.clock import SyncPoint, corrected

COLUMNS = ("received", "signed", "returned", "dispatched", "problems_opened", "problems_closed")
FEE_KINDS = ("receive", "sign", "return", "storage")
FEE_COLUMNS = ("receive_fen", "sign_fen", "return_fen", "storage_fen", "total_fen")
# Which counted column earns which kind of piece fee.
_FEE_OF = {"received": "receive", "signed": "sign", "returned": "return"}


@dataclass(frozen=True)
class Fee:
    carrier: str
    kind: str
    effective_from: date
    fen: int
    free_days: int | None = None


def month_bounds(month: str, tz: tzinfo) -> tuple[datetime, datetime]:
    """First instant of the month and of the next one, in the station's zone."""
    year, mon = (int(part) for part in month.split("-"))
    first = date(year, mon, 1)
    last = first.replace(day=calendar.monthrange(year, mon)[1])
    nxt = date.fromordinal(last.toordinal() + 1)
    return datetime.combine(first, time(), tz), datetime.combine(nxt, time(), tz)


def parse_month(text: str) -> str | None:
    """'2026-11' when ``text`` is a valid YYYY-MM, else None."""
    try:
        year, mon = text.split("-")
        if len(year) != 4 or len(mon) != 2:
            return None
        date(int(year), int(mon), 1)
    except ValueError:
        return None
    return text


def true_time(row: Mapping[str, Any]) -> datetime | None:
    scanned = datetime.fromisoformat(row["scanned_at"])
    if row["clock_synced"]:
        return scanned
    if row["wall_at_sync"] is None:
        return None
    point = SyncPoint(datetime.fromisoformat(row["wall_at_sync"]), row["mono_at_sync"])
    return corrected(point, row["mono_ns"])


def column_of(row: Mapping[str, Any]) -> str | None:
    if row["type"] == "receive":
        return "received"
    if row["type"] == "sign":
        return "signed"
    if row["type"] == "dispatch":
        return "returned" if row["dispatch_reason"] == "return" else "dispatched"
    if row["type"] == "problem":
        return "problems_opened"
    return None


def fee_on(fees: Iterable[Fee], carrier: str, kind: str, day: date) -> Fee | None:
    """The fee in force on ``day``: the latest one effective on or before it."""
    in_force = [
        f for f in fees if f.carrier == carrier and f.kind == kind and f.effective_from <= day
    ]
    return max(in_force, key=lambda f: f.effective_from, default=None)


def statement(
    month: str,
    scans: Iterable[Any],
    closed: Mapping[str, int],
    fees: list[Fee],
    tz: tzinfo,
) -> dict[str, Any]:
    """Per carrier: the counts of COLUMNS and fees in fen, a total line, and how many
    scans could not be placed in time. ``scans`` are rows read one at a time (a month of
    a busy station is ~100k scans: never held in memory together)."""
    start, end = month_bounds(month, tz)
    table: dict[str, dict[str, int]] = {}

    def row_of(carrier: str) -> dict[str, int]:
        return table.setdefault(carrier, dict.fromkeys(COLUMNS + FEE_COLUMNS, 0))

    uncorrected = corrected_n = 0
    for scan in scans:
        column = column_of(scan)
        if column is None:
            continue
        when = true_time(scan)
        if when is None:
            uncorrected += 1
            continue
        if not start <= when < end:
            continue
        corrected_n += not scan["clock_synced"]
        day = when.astimezone(tz).date()
        line = row_of(scan["carrier"])
        line[column] += 1
        kind = _FEE_OF.get(column)
        if kind and (fee := fee_on(fees, scan["carrier"], kind, day)):
            line[kind + "_fen"] += fee.fen
        if column in ("signed", "returned") and scan["received_at"]:
            line["storage_fen"] += _storage_fen(fees, scan["carrier"], scan["received_at"], when)
    for carrier, n in closed.items():
        row_of(carrier)["problems_closed"] += n
    for line in table.values():
        line["total_fen"] = sum(line[k + "_fen"] for k in FEE_KINDS)
    total = {k: sum(line[k] for line in table.values()) for k in COLUMNS + FEE_COLUMNS}
    return {
        "month": month,
        "carriers": dict(sorted(table.items())),
        "total": total,
        "corrected": corrected_n,
        "uncorrected": uncorrected,
    }


def _storage_fen(fees: list[Fee], carrier: str, received_at: str, left: datetime) -> int:
    """Per day on the shelf beyond the free days, at the rate in force when it left."""
    fee = fee_on(fees, carrier, "storage", left.date())
    if fee is None:
        return 0
    days = (left - datetime.fromisoformat(received_at)).days
    return max(0, days - (fee.free_days or 0)) * fee.fen
