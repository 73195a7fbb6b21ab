"""The month's money (月结): the statement per carrier, the piece fees, an .xlsx copy."""

from __future__ import annotations

import io
from datetime import date

from flask import Blueprint, redirect, render_template, request, send_file, url_for
from werkzeug.wrappers import Response

from edge.carriers import CARRIERS
from edge.desk import money, summaries
from web import context
from web.auth import supervisor_only
from web.context import bad

bp = Blueprint("money", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _month() -> str:
    text = request.args.get("month") or context.now().strftime("%Y-%m")
    month = money.parse_month(text)
    if month is None:
        raise bad("day.err_month")
    return month


@bp.get("/money")
def index() -> str:
    month = _month()
    body = summaries.monthly(context.store(), context.config(), month, context.now())
    return render_template(
        "money.html",
        month=month,
        body=body,
        rows=summaries.statement_rows(body),
        fees=context.store().fees(),
        carriers=sorted(CARRIERS),
        kinds=money.FEE_KINDS,
    )


@bp.get("/money.xlsx")
def xlsx() -> Response:
    from edge.desk.workbook import write_xlsx

    month = _month()
    body = summaries.monthly(context.store(), context.config(), month, context.now())
    out = io.BytesIO()
    write_xlsx(out, body, summaries.statement_rows(body))
    out.seek(0)
    return send_file(out, download_name=f"monthly-{month}.xlsx", as_attachment=True, mimetype=XLSX)


@bp.post("/money/fees")
@supervisor_only
def set_fee() -> Response:
    carrier, kind = request.form.get("carrier") or "", request.form.get("kind") or ""
    if carrier not in CARRIERS or kind not in money.FEE_KINDS:
        raise bad("err.bad_choice", field=context.t("field.carrier"))
    try:
        fen = int(request.form.get("fen") or "")
        free = int(request.form["free_days"]) if request.form.get("free_days") else None
        start = date.fromisoformat(request.form.get("effective_from") or "")
    except ValueError:
        raise bad("day.err_fee") from None
    if not money.fee_in_range(fen, free):
        raise bad("day.err_fee")
    context.store().fee_set(carrier, kind, start.isoformat(), fen, free, context.now_iso(),
                            context.operator_id())  # fmt: skip
    return redirect(url_for("money.index", month=start.strftime("%Y-%m")))
