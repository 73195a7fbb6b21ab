"""What the page reads: the fleet's heartbeats, a parcel's scans, problem scans, counts
per station and carrier, and the records stations send. Portable SQL (db.Db) over the
receiver's own tables; nothing here writes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sync.contract import SCAN_TYPES
from sync.headoffice.dashboard.db import Db, Row
from sync.headoffice.storage import Storage


@dataclass(frozen=True)
class StationState:
    station: str
    last_seen: datetime | None
    silent: bool
    heartbeat: dict[str, Any]


def fleet(storage: Storage, db: Db, silent_after: timedelta, now: datetime) -> list[StationState]:
    """Every station that has a token or has sent a heartbeat, silent ones first."""
    beats = {h["station"]: h for h in storage.heartbeats()}
    known = {r["name"] for r in db.rows("SELECT name FROM tokens WHERE role = 'station'")}
    states = []
    for station in sorted(known | beats.keys()):
        beat = beats.get(station)
        seen = _utc(beat["received_at"]) if beat else None
        silent = seen is None or now - seen > silent_after
        states.append(StationState(station, seen, silent, beat["heartbeat"] if beat else {}))
    return sorted(states, key=lambda s: (not s.silent, s.station))


def _utc(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


def waybills_ending(db: Db, tail: str, limit: int = 50) -> list[str]:
    """Waybills that end with the tail (4 characters or more, as params.waybill checks):
    found through ho_scans_tail, the index of every waybill's last four characters."""
    rows = db.rows(
        "SELECT DISTINCT waybill FROM scans"
        " WHERE substr(waybill, length(waybill) - 3) = ? AND waybill LIKE ?"
        " ORDER BY waybill LIMIT ?",
        (tail[-4:], "%" + tail, limit),
    )
    return [r["waybill"] for r in rows]


def problems(db: Db, station: str | None, carrier: str | None, limit: int) -> list[Row]:
    """Problem scans across the fleet, latest first."""
    sql, params = _where(
        "SELECT station, waybill, carrier, scanned_at, problem_code, note, operator"
        " FROM scans WHERE type = 'problem'",
        station=station,
        carrier=carrier,
    )
    return db.rows(sql + " ORDER BY scanned_utc DESC LIMIT ?", [*params, limit])


def _where(sql: str, **equal: str | None) -> tuple[str, list[Any]]:
    """The query with ``AND column = ?`` for each filter given (column names are ours)."""
    params: list[Any] = []
    for column, value in equal.items():
        if value:
            sql += f" AND {column} = ?"
            params.append(value)
    return sql, params


@dataclass(frozen=True)
class CountRow:
    period: str
    station: str
    carrier: str
    by_type: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_type.values())


def counts(db: Db, by: str, first: str, last: str, station: str | None) -> list[CountRow]:
    """Scans per period (the station's own local day or month), station, carrier and type,
    for local days first..last (YYYY-MM-DD)."""
    width = 10 if by == "day" else 7
    sql = (
        f"SELECT substr(day, 1, {width}) AS period, station, carrier, type, SUM(n) AS n"
        " FROM ho_scan_counts WHERE day BETWEEN ? AND ?"
    )  # kept as scans arrive (db.py, migration 4): no pass over the scans table
    sql, params = _where(sql, station=station)
    params = [first, last, *params]
    sql += f" GROUP BY substr(day, 1, {width}), station, carrier, type"
    table: dict[tuple[str, str, str], dict[str, int]] = {}
    for r in db.rows(sql, params):
        key = (r["period"], r["station"], r["carrier"])
        cell = table.setdefault(key, dict.fromkeys(SCAN_TYPES, 0))
        cell[r["type"]] = cell.get(r["type"], 0) + int(r["n"])
    ordered = sorted(table.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2]))
    ordered.sort(key=lambda kv: kv[0][0], reverse=True)  # latest period first, stable
    return [CountRow(p, s, c, types) for (p, s, c), types in ordered]


def records(db: Db, station: str | None, kind: str | None, limit: int) -> list[Row]:
    """The records stations sent, newest first, the body as an object."""
    sql, params = _where(
        "SELECT station, kind, id, version, body, received_at FROM records WHERE 1 = 1",
        station=station,
        kind=kind,
    )
    rows = db.rows(sql + " ORDER BY n DESC LIMIT ?", [*params, limit])
    for r in rows:
        if isinstance(r["body"], str):
            r["body"] = json.loads(r["body"])
    return rows
