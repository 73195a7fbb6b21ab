"""The month's money (月结): counts per carrier and the piece fees each carrier owes.

Pure: grouped scans in, statement out. A scan counts on the station's local day of its
true time: the recorded time (stamped in the station's zone, so the store groups those
by day in SQL: a month of a busy station is ~100k scans), or for a scan recorded before
the clock synced, the time the contract's correction gives (sync.clock); a scan with no
correction yet is counted apart as ``uncorrected`` and earns no fee until it has one.
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
# A piece fee over 10,000 yuan or over ten years free is a typing slip (and a number past
# SQLite's 64 bits could not be stored at all).
MAX_FEE_FEN = 1_000_000
MAX_FREE_DAYS = 3650


def fee_in_range(fen: int, free_days: int | None) -> bool:
    return 0 <= fen <= MAX_FEE_FEN and (free_days is None or 0 <= free_days <= MAX_FREE_DAYS)


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
        if len(year) != 4 or len(mon) != 2 or not (year + mon).isdigit():
            return None
        date(int(year), int(mon), 1)
        date(int(year) + 1, 1, 1)  # the statement ends on the next month's first day
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


@dataclass(frozen=True)
class Group:
    """Scans alike for the statement: carrier, column, local day, days on the shelf."""

    carrier: str
    column: str
    day: date
    days_on_shelf: int | None
    n: int


def synced_group(row: Any) -> Group | None:
    """A row of the store's grouped counts (recorded with a synced clock, so the local
    day is the date part of the station-time stamp)."""
    column = column_of(row)
    if column is None:
        return None
    day = date.fromisoformat(row["day"])
    return Group(row["carrier"], column, day, row["days_on_shelf"], row["n"])


def corrected_groups(
    rows: Iterable[Any], start: datetime, end: datetime, tz: tzinfo
) -> tuple[list[Group], int]:
    """Scans recorded before the clock synced, placed by their corrected time; and how
    many have no correction yet (not counted)."""
    groups, uncorrected = [], 0
    for row in rows:
        column = column_of(row)
        if column is None:
            continue
        when = true_time(row)
        if when is None:
            uncorrected += 1
            continue
        if not start <= when < end:
            continue
        days = None
        if row["received_at"]:
            days = (when - datetime.fromisoformat(row["received_at"])).days
        groups.append(Group(row["carrier"], column, when.astimezone(tz).date(), days, 1))
    return groups, uncorrected


def statement(
    month: str,
    groups: Iterable[Group],
    closed: Mapping[str, int],
    fees: list[Fee],
) -> dict[str, Any]:
    """Per carrier: the counts of COLUMNS and fees in fen, and a total line."""
    table: dict[str, dict[str, int]] = {}
    in_force: dict[tuple[str, str, date], Fee | None] = {}

    def row_of(carrier: str) -> dict[str, int]:
        if carrier not in table:
            table[carrier] = dict.fromkeys(COLUMNS + FEE_COLUMNS, 0)
        return table[carrier]

    def fee(carrier: str, kind: str, day: date) -> Fee | None:
        key = (carrier, kind, day)
        if key not in in_force:
            in_force[key] = fee_on(fees, carrier, kind, day)
        return in_force[key]

    for group in groups:
        line = row_of(group.carrier)
        line[group.column] += group.n
        kind = _FEE_OF.get(group.column)
        if kind and (piece := fee(group.carrier, kind, group.day)):
            line[kind + "_fen"] += piece.fen * group.n
        if group.column in ("signed", "returned") and group.days_on_shelf is not None:
            storage = fee(group.carrier, "storage", group.day)
            if storage:
                extra = max(0, group.days_on_shelf - (storage.free_days or 0))
                line["storage_fen"] += extra * storage.fen * group.n
    for carrier, n in closed.items():
        row_of(carrier)["problems_closed"] += n
    for line in table.values():
        line["total_fen"] = sum(line[k + "_fen"] for k in FEE_KINDS)
    total = {k: sum(line[k] for line in table.values()) for k in COLUMNS + FEE_COLUMNS}
    return {"month": month, "carriers": dict(sorted(table.items())), "total": total}
