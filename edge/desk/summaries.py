"""The day's records as plain dicts, the same for the CLI's --json, the page and the
printed sheets: a handover sheet, a return sheet, a monthly statement."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from edge.config import Config
from edge.desk import money
from edge.desk.rules import reconcile
from edge.store import Store


def handover(store: Store, handover_id: int) -> dict[str, Any] | None:
    row = store.handover(handover_id)
    if row is None:
        return None
    counted = reconcile(store.handover_expected(handover_id), store.handover_scanned(row))
    return {
        "id": row["id"],
        "carrier": row["carrier"],
        "courier": row["courier"],
        "courier_name": row["courier_name"],
        "device": row["device"],
        "operator": row["operator"],
        "opened_at": row["opened_at"],
        "closed_at": row["closed_at"],
        "signature": row["signature"],
        "sync_state": row["sync_state"],
        **counted.counts(),
        "scanned_waybills": counted.scanned,
        "missing_waybills": counted.missing,
        "extra_waybills": counted.extra,
    }


def batch(store: Store, batch_id: int) -> dict[str, Any] | None:
    row = store.batch(batch_id)
    if row is None:
        return None
    items = [dict(r) for r in store.batch_items(batch_id)]
    listed = [i for i in items if i["listed"]]
    return {
        **dict(row),
        "items": items,
        "listed": len(listed),
        "out": sum(1 for i in items if i["seq"] is not None),
        "left": [i["waybill"] for i in listed if i["seq"] is None],
        "strays": [i["waybill"] for i in items if i["stray"]],
    }


def pending_records(store: Store, kind: str, limit: int = 100) -> list[tuple[Any, dict[str, Any]]]:
    """(key, body) of each record of ``kind`` waiting for head office, oldest first: what
    an uploader sends, then confirms with ``store.desk_mark_sent(kind, keys, at)``."""
    out: list[tuple[Any, dict[str, Any]]] = []
    for row in store.desk_pending(kind, limit):
        body: dict[str, Any] | None
        if kind == "handover":
            body = handover(store, row["id"])
        elif kind == "batch":
            body = batch(store, row["id"])
        elif kind == "monthly":
            body = json.loads(row["body"])
        else:
            body = dict(row)
        if body is not None:
            body.pop("sync_state", None)
            body.pop("synced_at", None)
            out.append((row["month"] if kind == "monthly" else row["id"], body))
    return out


def fees(store: Store) -> list[money.Fee]:
    return [
        money.Fee(
            r["carrier"], r["kind"], date.fromisoformat(r["effective_from"]), r["fen"],
            r["free_days"],
        )
        for r in store.fees()
    ]  # fmt: skip


def monthly(store: Store, config: Config, month: str, now: datetime) -> dict[str, Any]:
    """The month's statement; a month that has ended is kept for head office."""
    start, end = money.month_bounds(month, config.tz)
    first, after = start.isoformat(), end.isoformat()
    groups = [g for r in store.month_counts(first, after) if (g := money.synced_group(r))]
    late, uncorrected = money.corrected_groups(store.unsynced_scans(), start, end, config.tz)
    closed = {r["carrier"]: r["n"] for r in store.resolutions_between(first, after)}
    body = money.statement(month, groups + late, closed, fees(store))
    body.update(station=config.station.code, corrected=len(late), uncorrected=uncorrected)
    if now >= end:
        store.monthly_save(month, body, now.isoformat(timespec="seconds"))
    return body


def statement_rows(body: dict[str, Any]) -> list[list[Any]]:
    """Header, one row per carrier and the total line: for CSV, XLSX and the page."""
    columns = money.COLUMNS + money.FEE_COLUMNS
    rows: list[list[Any]] = [["carrier", *columns]]
    for carrier, line in body["carriers"].items():
        rows.append([carrier or "(unknown)", *(line[c] for c in columns)])
    rows.append(["total", *(body["total"][c] for c in columns)])
    return rows
