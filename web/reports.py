"""Reports for a day in the station's time zone: per carrier, per hour, and as CSV."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, render_template, request

from edge import csvsafe
from edge.barcode import SCAN_TYPES
from web import catalog, context
from web.context import bad

bp = Blueprint("reports", __name__)

COLUMNS = ("receive", "sign", "dispatch", "problem")
CHART_W, CHART_H = 720, 200
# Days a report can be asked for; the far ends of date() would overflow a day later.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)


def _day() -> date:
    raw = (request.args.get("day") or "").strip()
    if not raw:
        return context.now().date()
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise bad("err.bad_date") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise bad("err.bad_day", low=FIRST_DAY, high=LAST_DAY)
    return day


def per_carrier(day: date) -> list[dict[str, Any]]:
    store = context.store()
    start, end = day.isoformat(), (day + timedelta(days=1)).isoformat()
    table: dict[str, dict[str, Any]] = {}

    def row(carrier: str) -> dict[str, Any]:
        return table.setdefault(carrier, {"carrier": carrier, **dict.fromkeys(COLUMNS, 0),
                                          "on_shelf": 0})  # fmt: skip

    for r in store.daily_counts(start, end):
        if r["type"] in COLUMNS:
            row(r["carrier"])[r["type"]] += r["n"]
    for r in store.on_shelf_by_carrier():
        row(r["carrier"])["on_shelf"] = r["n"]
    # Parcels whose carrier could not be decided go last, apart from the carriers.
    return sorted(table.values(), key=lambda x: (x["carrier"] == "", x["carrier"]))


def hourly_chart(day: date) -> dict[str, Any]:
    """Stacked bars per hour: rectangles ready for the template's inline SVG."""
    start, end = day.isoformat(), (day + timedelta(days=1)).isoformat()
    counts = {(h, t): 0 for h in range(24) for t in SCAN_TYPES}
    for r in context.store().web_report_hourly(start, end):
        if 0 <= r["hour"] < 24:
            counts[(r["hour"], r["type"])] += r["n"]
    totals = [sum(counts[(h, t)] for t in SCAN_TYPES) for h in range(24)]
    peak = max(totals) or 1
    bar_w = CHART_W / 24
    bars = []
    for hour in range(24):
        y = float(CHART_H)
        for scan_type in SCAN_TYPES:
            n = counts[(hour, scan_type)]
            if not n:
                continue
            height = n / peak * (CHART_H - 20)
            y -= height
            bars.append({"x": hour * bar_w + 2, "y": y, "w": bar_w - 4, "h": height,
                         "type": scan_type, "n": n, "hour": hour})  # fmt: skip
    return {"bars": bars, "totals": totals, "peak": peak, "w": CHART_W, "h": CHART_H,
            "bar_w": bar_w}  # fmt: skip


def carrier_name(code: str, lang: str) -> str:
    return catalog.label("carrier", code, lang) if code else context.t("report.unknown_carrier")


@bp.get("/reports")
def index() -> str:
    day = _day()
    return render_template(
        "reports.html",
        day=day.isoformat(),
        rows=per_carrier(day),
        chart=hourly_chart(day),
        columns=COLUMNS,
        types=SCAN_TYPES,
        carrier_name=carrier_name,
    )


@bp.get("/reports.csv")
def as_csv() -> Response:
    day = _day()
    lang = context.lang()
    out = io.StringIO()
    writer = csvsafe.writer(out)
    writer.writerow(
        [context.t("report.day"), context.t("field.carrier")]
        + [context.t("report.col_" + c) for c in COLUMNS]
        + [context.t("report.on_shelf")]
    )
    for row in per_carrier(day):
        writer.writerow(
            [day.isoformat(), carrier_name(row["carrier"], lang)]
            + [row[c] for c in COLUMNS]
            + [row["on_shelf"]]
        )
    # A BOM so spreadsheet programs read the Chinese headers as UTF-8.
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=station-{day.isoformat()}.csv"},
    )
