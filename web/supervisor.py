"""Supervisor only: operators (unlock, disable, enable), recent scans with undo, and
the config in force."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from edge.config import commented_template
from web import context
from web.auth import supervisor_only
from web.context import PageError, bad
from web.present import outcome_card

bp = Blueprint("supervisor", __name__)

# Values that are secrets, shown masked: keys named like one (a token_file is only a
# path) and the user:password part of URLs.
SECRET_KEY = re.compile(r"^(\s*\w*(?:token|secret|password|key)\s*=\s*).+$", re.I | re.M)
URL_USERINFO = re.compile(r"(://)[^/@\s\"]+@")


@bp.get("/operators")
@supervisor_only
def operators() -> str:
    return render_template("operators.html", operators=context.store().web_operators())


@bp.post("/operators/<operator_id>/unlock")
@supervisor_only
def unlock(operator_id: str) -> Response:
    if not context.store().web_unlock(operator_id, context.operator_id()):
        raise PageError(404, "err.not_found")
    return redirect(url_for("supervisor.operators"))


@bp.post("/operators/<operator_id>/<any(disable, enable):action>")
@supervisor_only
def set_active(operator_id: str, action: str) -> Response:
    if action == "disable" and operator_id == context.operator_id():
        raise bad("err.disable_self")
    if not context.store().web_set_active(operator_id, action == "enable", context.operator_id()):
        raise PageError(404, "err.not_found")
    return redirect(url_for("supervisor.operators"))


@bp.get("/scans")
@supervisor_only
def scans() -> str:
    return render_template("scans.html", scans=context.store().web_recent_scans(), result=None)


@bp.post("/scans/<int:seq>/undo")
@supervisor_only
def undo(seq: int) -> Any:
    reason = (request.form.get("reason") or "").strip()[:200]
    if not reason:
        raise bad("err.undo_reason")
    if context.store().scan_row(seq) is None:
        raise PageError(404, "err.not_found")
    outcome = context.station().undo(seq, context.operator_id(), reason)
    result = outcome_card(outcome, context.lang())
    status = 409 if outcome.status == "refused" else 200
    return render_template(
        "scans.html", scans=context.store().web_recent_scans(), result=result
    ), status


@bp.get("/config")
@supervisor_only
def config_view() -> str:
    text = SECRET_KEY.sub(lambda m: m.group(1) + '"••••••"', commented_template(context.config()))
    text = URL_USERINFO.sub(r"\1••••••@", text)
    if context.lang() != "en":
        # The comments are the English reference; Chinese staff get the values alone.
        text = "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("#"))
    return render_template("config.html", text=text, path=context.config().path)
