"""Sign-in with a PIN, sessions, roles, CSRF and the language switch.

Every request but sign-in, the language switch, static files and the health endpoints
needs a signed-in operator; every state-changing request carries the session's CSRF
token (form field ``csrf_token`` or header ``X-CSRF-Token``), sign-in included.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Flask, g, jsonify, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from edge.pins import verify_pin
from web import catalog
from web.context import PageError, bad, config, local, now, store, t

bp = Blueprint("auth", __name__)

PUBLIC_ENDPOINTS = {"auth.sign_in", "auth.language", "static", "health.healthz",
                    "health.metrics_text", "health.livez"}  # fmt: skip
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

F = TypeVar("F", bound=Callable[..., Any])


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(24)
    return str(token)


def wants_json() -> bool:
    return (
        request.path.startswith(("/api/", "/feed"))
        or request.accept_mimetypes.best == "application/json"
        or request.headers.get("X-Requested-With") == "fetch"
    )


def _check_csrf() -> None:
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    expected = session.get("csrf") or ""
    if not expected or not hmac.compare_digest(str(sent), str(expected)):
        raise bad("err.csrf")


def before_request() -> Response | None:
    if request.method not in SAFE_METHODS:
        _check_csrf()
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    op_id = session.get("op")
    row = store().operator(op_id) if op_id else None
    if row is None or not row["active"]:
        session.pop("op", None)
        if wants_json():
            raise PageError(401, "err.signed_out")
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    g.operator = row
    return None


def supervisor_only(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.operator["role"] != "supervisor":
            raise PageError(403, "err.supervisor_only")
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    if not target:
        return url_for("sorting.screen")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("sorting.screen")
    return target


@bp.route("/signin", methods=["GET", "POST"])
def sign_in() -> Any:
    if request.method == "GET":
        return render_template("signin.html", next=request.args.get("next", ""))
    op_id = request.form.get("operator", "").strip()
    pin = request.form.get("pin", "").strip()
    if not op_id or not pin:
        raise bad("err.signin_missing")
    web = config().web
    row = store().operator(op_id)
    if row is None or not row["active"]:
        store().audit("web.sign_in_unknown", None, op_id[:40], remote=request.remote_addr)
        raise PageError(401, "err.signin_wrong")
    locked_until = row["locked_until"]
    if locked_until and datetime.fromisoformat(locked_until) > now():
        raise PageError(403, "err.locked", until=local(locked_until, "%H:%M"))
    if not verify_pin(pin, row["pin_hash"]):
        until = (now() + timedelta(minutes=web.lockout_minutes)).isoformat(timespec="seconds")
        failed, locked = store().web_pin_failed(op_id, web.pin_attempts, until)
        if locked:
            raise PageError(403, "err.locked", until=local(locked, "%H:%M"))
        raise PageError(401, "err.pin_wrong", left=web.pin_attempts - failed)
    language = session.get("lang")
    session.clear()
    session.permanent = True
    session["op"] = row["id"]
    if language:
        session["lang"] = language
    csrf_token()
    store().web_signed_in(row["id"], request.remote_addr)
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/signout")
def sign_out() -> Response:
    with store().transaction():
        store().audit("web.sign_out", g.operator["id"], g.operator["id"])
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    return redirect(url_for("auth.sign_in"))


@bp.get("/api/session")
def who() -> Response:
    """Who is signed in: how the sorting screen tells a dead session from a dead link."""
    return jsonify(operator=g.operator["id"], name=g.operator["name"], role=g.operator["role"])


@bp.post("/lang")
def language() -> Response:
    chosen = request.form.get("lang", "")
    if chosen not in catalog.LANGUAGES:
        raise bad("err.bad_choice", field=t("field.lang"))
    session["lang"] = chosen
    if wants_json():
        return jsonify(lang=chosen)
    return redirect(_safe_next(request.form.get("next")))


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.before_request(before_request)
