"""Sign-in with a PIN, server-side sessions, roles, CSRF and the language switch.

The cookie holds only a random session id (and the language and CSRF token); the
store keeps its SHA-256 in ``web_sessions``, so sign-out, a PIN change, disabling the
operator and the idle timeout end a session for good, whatever a browser kept.

Every request but sign-in, the language switch, static files and the health endpoints
needs a signed-in operator; every state-changing request carries the session's CSRF
token (form field ``csrf_token`` or header ``X-CSRF-Token``), sign-in included.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from edge.pins import hash_pin, verify_pin
from edge.store import StoreError
from edge.store.web import SignInAttempt
from web import catalog
from web.context import PageError, bad, config, now, store, t

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)

PUBLIC_ENDPOINTS = {"auth.sign_in", "auth.language", "static", "health.healthz",
                    "health.metrics_text", "health.livez"}  # fmt: skip
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
SEEN_EVERY = timedelta(minutes=1)
PIN_CHECK_WAIT_S = 10.0

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


def _session_hash() -> str | None:
    sid = session.get("sid")
    return hashlib.sha256(str(sid).encode()).hexdigest() if sid else None


def before_request() -> Response | None:
    if request.method not in SAFE_METHODS:
        _check_csrf()
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    sid_hash = _session_hash()
    web = config().web
    current = now()
    row = None
    if sid_hash:
        idle_after = (current - timedelta(hours=web.session_hours)).isoformat(timespec="seconds")
        row = store().web_session(sid_hash, idle_after)
    if row is None:
        if "sid" in session:
            _forget_session()
        if wants_json():
            raise PageError(401, "err.signed_out")
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    if sid_hash and datetime.fromisoformat(row["session_seen_at"]) < current - SEEN_EVERY:
        # At most one write a minute per page, for the idle timeout. A page must answer
        # while another process writes: a busy database only postpones this.
        try:
            store().web_session_seen(sid_hash, current.isoformat(timespec="seconds"))
        except StoreError as exc:
            log.debug("session not marked as seen: %s", exc)
    g.operator = row
    return None


def _forget_session() -> None:
    """Clear the cookie's session but keep the chosen language."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


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


def _pin_checks() -> threading.BoundedSemaphore:
    ext = current_app.extensions
    if "station_pin_checks" not in ext:
        ext["station_pin_checks"] = threading.BoundedSemaphore(config().web.pin_checks)
    sem: threading.BoundedSemaphore = ext["station_pin_checks"]
    return sem


def _check_pin(pin: str, stored: str | None) -> bool:
    """scrypt, a few at a time (16 MB each): a flood of sign-ins waits, memory stays flat.

    An unknown operator is checked against a throw-away hash, so the answer takes
    the same time whether the id exists or not.
    """
    if not _pin_checks().acquire(timeout=PIN_CHECK_WAIT_S):
        raise PageError(503, "err.signin_busy")
    try:
        return verify_pin(pin, stored or _decoy_hash())
    finally:
        _pin_checks().release()


_DECOY: list[str] = []


def _decoy_hash() -> str:
    if not _DECOY:
        _DECOY.append(hash_pin(secrets.token_hex(8)))
    return _DECOY[0]


@bp.route("/signin", methods=["GET", "POST"])
def sign_in() -> Any:
    if request.method == "GET":
        return render_template("signin.html", next=request.args.get("next", ""))
    op_id = request.form.get("operator", "").strip()[:40]
    pin = request.form.get("pin", "").strip()[:40]
    if not op_id or not pin:
        raise bad("err.signin_missing")
    web = config().web
    row = store().operator(op_id)
    pin_ok = _check_pin(pin, row["pin_hash"] if row is not None else None)
    current = now()
    sid = secrets.token_urlsafe(32)
    verdict = store().web_sign_in(
        SignInAttempt(
            operator_id=op_id,
            pin_ok=pin_ok,
            client=request.remote_addr or "?",
            session_hash=hashlib.sha256(sid.encode()).hexdigest(),
            now=current.isoformat(timespec="seconds"),
            lock_until=_later(current, web.lockout_minutes),
            attempts=web.pin_attempts,
            client_lock_until=_later(current, web.client_lockout_minutes),
            client_attempts=web.client_attempts,
        )
    )
    if verdict == "client_locked":
        raise PageError(429, "err.client_locked", minutes=web.client_lockout_minutes)
    if verdict != "ok":
        # The same answer for an unknown id, a wrong PIN and a locked operator.
        raise PageError(
            401, "err.signin_wrong", attempts=web.pin_attempts, minutes=web.lockout_minutes
        )
    _forget_session()
    session.permanent = True
    session["sid"] = sid
    csrf_token()
    return redirect(_safe_next(request.form.get("next")))


def _later(start: datetime, minutes: int) -> str:
    return (start + timedelta(minutes=minutes)).isoformat(timespec="seconds")


@bp.post("/signout")
def sign_out() -> Response:
    sid_hash = _session_hash()
    if sid_hash:
        store().web_session_end(sid_hash, g.operator["id"])
    _forget_session()
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
