"""Problems have a life (问题件处理): open ones by age, reason and carrier, with their
photos; each is closed with a resolution, a note and the operator."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from edge.barcode import PROBLEM_CODES
from edge.carriers import CARRIERS
from edge.desk.rules import RESOLUTIONS
from edge.privacy import scrub
from web import context
from web.context import PageError, bad

bp = Blueprint("problems_life", __name__)


@bp.get("/problems")
def index() -> str:
    state = request.args.get("state") or "open"
    carrier = request.args.get("carrier") or None
    reason = request.args.get("reason") or None
    if state not in ("open", "all") or (carrier and carrier not in CARRIERS):
        raise bad("err.bad_choice", field=context.t("field.carrier"))
    if reason and reason not in PROBLEM_CODES:
        raise bad("err.bad_choice", field=context.t("field.problem_code"))
    now = context.now()
    rows: list[dict[str, Any]] = []
    for row in context.store().problems(state == "open", carrier, reason):
        item = dict(row)
        item["days"] = (now - datetime.fromisoformat(row["scanned_at"])).days
        item["photos"] = row["photos"].split(",") if row["photos"] else []
        rows.append(item)
    return render_template(
        "problems_life.html",
        problems=rows,
        state=state,
        carrier=carrier,
        reason=reason,
        carriers=sorted(CARRIERS),
        codes=PROBLEM_CODES,
        resolutions=RESOLUTIONS,
    )


@bp.post("/problems/<int:seq>/resolve")
def resolve(seq: int) -> Response:
    resolution = request.form.get("resolution") or ""
    note = scrub((request.form.get("note") or "").strip()[:500])
    if resolution not in RESOLUTIONS:
        raise bad("err.bad_choice", field=context.t("day.resolution"))
    if not note:
        raise bad("day.err_note")
    answer = context.store().problem_resolve(
        seq, resolution, note, context.operator_id(), context.now_iso()
    )
    if answer == "unknown":
        raise PageError(404, "err.not_found")
    if answer == "already":
        raise PageError(409, "day.err_resolved")
    return redirect(url_for("problems_life.index", state=request.args.get("state") or "open"))
