"""Sign-in, sign-out, the language switch, CSRF and the security headers of the page.

No Flask secret key is needed: the cookie holds a random session id only, and the CSRF
token lives beside the session in the database, so every worker process agrees without
sharing a key. The sign-in form, before any session, uses a double-submit cookie."""

from __future__ import annotations

import hmac
import logging
import secrets
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, g, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from sync.headoffice.dashboard import operators
from sync.headoffice.dashboard.db import Db
from sync.headoffice.dashboard.params import BadParam
from sync.headoffice.dashboard.strings import LANGS

log = logging.getLogger(__name__)

SID = "ho_sid"
LANG = "ho_lang"
FORM_CSRF = "ho_signin_csrf"
OPEN = ("dashboard.signin", "dashboard.switch_lang", "dashboard.static")
CSP = (
    "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def now() -> datetime:
    return datetime.now(UTC)


def lang() -> str:
    chosen = request.cookies.get(LANG, "")
    return chosen if chosen in LANGS else LANGS[0]


def _cookie(resp: BaseResponse, name: str, value: str, **extra: Any) -> None:
    resp.set_cookie(
        name,
        value,
        path="/ho/",
        httponly=True,
        samesite="Strict",
        secure=request.is_secure,
        **extra,
    )


def install(bp: Blueprint, db: Db) -> None:
    """The hooks and routes of sign-in on the page's blueprint."""

    @bp.before_request
    def need_operator() -> BaseResponse | None:
        g.lang = lang()
        sid = request.cookies.get(SID, "")
        g.operator = operators.session_operator(db, sid, now()) if sid else None
        if request.endpoint in OPEN:
            return None
        if g.operator is None:
            return redirect("/ho/signin")
        if request.method == "POST":
            sent = request.form.get("csrf_token", "")
            if not hmac.compare_digest(sent.encode(), g.operator.csrf.encode()):
                log.info("page: a form without the session's CSRF token was refused")
                raise BadParam("err.csrf")
        return None

    @bp.after_request
    def headers(resp: Response) -> Response:
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint != "dashboard.static":
            resp.headers.setdefault("Cache-Control", "no-store")
        return resp

    @bp.route("/signin", methods=["GET", "POST"])
    def signin() -> Any:
        problem: tuple[str, dict[str, Any]] | None = None
        status = 200
        if request.method == "POST":
            sent = request.form.get("csrf_token", "")
            kept = request.cookies.get(FORM_CSRF, "")
            if not kept or not hmac.compare_digest(sent.encode(), kept.encode()):
                problem, status = ("err.csrf", {}), 400
            else:
                op_id = request.form.get("operator", "").strip()[:64]
                result = operators.sign_in(db, op_id, request.form.get("pin", "")[:64], now())
                if result.sid:
                    resp = redirect("/ho/fleet")
                    _cookie(resp, SID, result.sid)
                    resp.delete_cookie(FORM_CSRF, path="/ho/")
                    return resp
                if result.locked_minutes:
                    problem = ("signin.locked", {"minutes": result.locked_minutes})
                else:
                    problem = ("signin.wrong", {})
                status = 403
        token = secrets.token_urlsafe(24)
        resp = Response(
            render_template("ho/signin.html", csrf=token, problem=problem), status=status
        )
        _cookie(resp, FORM_CSRF, token)
        return resp

    @bp.post("/signout")
    def signout() -> Any:
        operators.sign_out(db, request.cookies.get(SID, ""))
        resp = redirect("/ho/signin")
        resp.delete_cookie(SID, path="/ho/")
        return resp

    @bp.get("/lang/<code>")
    def switch_lang(code: str) -> Any:
        back = request.args.get("next", "")
        # Only a path of this page: never an open redirect.
        if not back.startswith("/ho/") or back.startswith("//") or "\\" in back:
            back = "/ho/fleet"
        resp = redirect(back)
        if code in LANGS:
            _cookie(resp, LANG, code, max_age=365 * 24 * 3600)
        return resp
