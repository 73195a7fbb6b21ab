"""The page's screens: fleet, parcel, problems, counts (with CSV) and records."""

from __future__ import annotations

import io
import json
import logging
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, g, redirect, render_template, request

from edge import csvsafe
from sync.contract import CARRIERS, RECORD_KINDS, SCAN_TYPES
from sync.headoffice.dashboard import auth, operators, params, queries
from sync.headoffice.dashboard.db import Db
from sync.headoffice.dashboard.params import BadParam
from sync.headoffice.dashboard.settings import SILENT_MAX, PageSettings
from sync.headoffice.dashboard.strings import translate
from sync.headoffice.storage import Storage

log = logging.getLogger(__name__)

LIMIT_MAX = 500
DAYS_MAX = 366  # one request's span of days, so a count never scans years by accident
MONTHS_MAX = 60
SUMMARY_MAX = 200
SHOWN_MAX = 1000  # count rows on the page; the CSV holds them all
TAIL_MAX = 6  # a query this short is a waybill's tail, longer ones a whole waybill


def blueprint(storage: Storage, settings: PageSettings | None = None) -> Blueprint:
    conf = settings or PageSettings.from_env()
    db = Db(storage)
    bp = Blueprint(
        "dashboard",
        __name__,
        url_prefix="/ho",
        template_folder="templates",
        static_folder="static",
    )
    auth.install(bp, db)

    def t(key: str, **values: object) -> str:
        return translate(key, g.get("lang", "zh"), **values)

    def local(value: Any) -> str:
        """A time in the stations' zone, to the minute."""
        if not value:
            return t("common.none")
        moment = value if isinstance(value, datetime) else _parse(str(value))
        if moment is None:
            return str(value)
        return moment.astimezone(conf.zone).strftime("%Y-%m-%d %H:%M")

    @bp.context_processor
    def helpers() -> dict[str, Any]:
        return {
            "t": t,
            "local": local,
            "lang": g.get("lang", "zh"),
            "operator": g.get("operator"),
            "here": request.full_path.rstrip("?"),
            "zone": str(conf.zone),
            "summary": _summary,
        }

    @bp.errorhandler(BadParam)
    def bad_param(exc: BadParam) -> tuple[str, int]:
        log.info("page: bad request to %s: %s", request.path, exc.key)
        return render_template("ho/error.html", message=t(exc.key, **exc.values)), 400

    @bp.get("/")
    def home() -> Any:
        return redirect("/ho/fleet")

    @bp.get("/fleet")
    def fleet() -> str:
        default = int(conf.silent_after.total_seconds() // 60)
        minutes = params.number("silent", default, 1, SILENT_MAX)
        now = auth.now()
        states = queries.fleet(storage, db, timedelta(minutes=minutes), now)
        return render_template(
            "ho/fleet.html",
            states=states,
            silent=minutes,
            silent_count=sum(s.silent for s in states),
        )

    @bp.get("/parcel")
    def parcel() -> str:
        q = params.waybill("q")
        matches: list[str] = []
        events: list[dict[str, Any]] = []
        waybill = None
        if q and len(q) <= TAIL_MAX:
            matches = queries.waybills_ending(db, q)
            if len(matches) == 1:
                waybill = matches[0]
        elif q:
            waybill = q
        if waybill:
            events = storage.scans(waybill=waybill, limit=1000)
        return render_template(
            "ho/parcel.html",
            q=q or "",
            waybill=waybill,
            matches=matches if len(matches) > 1 else [],
            events=events,
            stations=list(dict.fromkeys(e["station"] for e in events)),
        )

    @bp.get("/problems")
    def problems() -> str:
        station, carrier = params.text("station"), params.text("carrier")
        limit = params.number("limit", 100, 1, LIMIT_MAX)
        return render_template(
            "ho/problems.html",
            rows=queries.problems(db, station, carrier, limit),
            station=station or "",
            carrier=carrier or "",
            carriers=sorted(CARRIERS),
            limit=limit,
        )

    def count_query() -> tuple[str, date, date, str | None, list[queries.CountRow]]:
        by = params.choice("by", ("day", "month"))
        today = auth.now().astimezone(conf.zone).date()
        start = today - timedelta(days=6) if by == "day" else _months_back(today, 11)
        first, last = params.day("from", start), params.day("to", today)
        if first > last:
            raise BadParam("err.order")
        if by == "day" and (last - first).days >= DAYS_MAX:
            raise BadParam("err.range", field="from", low=1, high=DAYS_MAX)
        if by == "month" and (last - first).days >= MONTHS_MAX * 31:
            raise BadParam("err.range", field="from", low=1, high=MONTHS_MAX)
        station = params.text("station")
        rows = queries.counts(db, by, first.isoformat(), last.isoformat(), station)
        return by, first, last, station, rows

    @bp.get("/counts")
    def counts() -> str:
        by, first, last, station, rows = count_query()
        return render_template(
            "ho/counts.html",
            by=by,
            first=first.isoformat(),
            last=last.isoformat(),
            station=station or "",
            rows=rows[:SHOWN_MAX],
            cut=len(rows) > SHOWN_MAX,
            types=SCAN_TYPES,
            csv_query=request.query_string.decode("ascii", "replace"),
        )

    @bp.get("/counts.csv")
    def counts_csv() -> Response:
        by, first, last, _station, rows = count_query()
        out = io.StringIO()
        out.write("\ufeff")  # Excel and WPS read UTF-8 Chinese only after a BOM
        writer = csvsafe.writer(out)
        writer.writerow(
            [t("counts.period"), t("common.station"), t("common.carrier")]
            + [t(f"type.{k}") for k in SCAN_TYPES]
            + [t("counts.total")]
        )
        for r in rows:
            writer.writerow(
                [r.period, r.station, r.carrier] + [r.by_type[k] for k in SCAN_TYPES] + [r.total]
            )
        name = f"counts-by-{by}-{first.isoformat()}-{last.isoformat()}.csv"
        return Response(
            out.getvalue().encode("utf-8"),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @bp.get("/records")
    def records() -> str:
        station, kind = params.text("station"), params.text("kind")
        limit = params.number("limit", 100, 1, LIMIT_MAX)
        return render_template(
            "ho/records.html",
            rows=queries.records(db, station, kind, limit),
            kinds=sorted(RECORD_KINDS),
            station=station or "",
            kind=kind or "",
            limit=limit,
        )

    @bp.get("/operators")
    def team() -> Any:
        if g.operator.role != "admin":
            return render_template("ho/error.html", message=t("err.admin")), 403
        return render_template(
            "ho/operators.html",
            rows=operators.operator_list(db, auth.now()),
            revoked=params.text("revoked"),
            ended=params.number("n", 0, 0, 10**6),
        )

    @bp.post("/operators/<op_id>/revoke")
    def revoke(op_id: str) -> Any:
        if g.operator.role != "admin":
            return render_template("ho/error.html", message=t("err.admin")), 403
        ended = operators.revoke(db, op_id[:64], disable=False)
        log.info("page: %s ended %d sessions of %s", g.operator.id, ended, op_id[:64])
        return redirect(f"/ho/operators?revoked={quote(op_id[:64])}&n={ended}")

    return bp


def _summary(body: Any) -> str:
    """A record's body on one line, cut short: the page lists, it does not edit."""
    text = json.dumps(body, ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1] + "…"


def _parse(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)
