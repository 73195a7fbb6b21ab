"""The tablet page: ``create_app(data_dir, config_path=None)`` builds the Flask app."""

from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from edge import config as config_mod
from edge.clock import Clock, SystemClock
from edge.config import Config
from edge.store import DB_NAME, Store, StoreError
from web import auth, catalog, context, labels, nav, service_screens
from web.context import PageError, WebState

log = logging.getLogger(__name__)

SECRET_NAME = "web-secret.key"


def _secret_key(data_dir: Path) -> bytes:
    """A per-station key that signs session cookies; made once, readable by us only."""
    path = data_dir / SECRET_NAME
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
        handle.flush()
        os.fsync(handle.fileno())
    return key


def create_app(
    data_dir: Path | str,
    config_path: Path | str | None = None,
    *,
    config: Config | None = None,
    clock: Clock | None = None,
) -> Flask:
    """The page for the station whose data folder is ``data_dir``.

    ``config`` overrides the file (tests); ``clock`` replaces the system clock.
    """
    # Absolute once, here: Flask resolves relative file paths against web/, not the cwd.
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    if config is None:
        config = config_mod.load(
            config_mod.config_path(data_dir, str(config_path) if config_path else None)
        )
    web = config.web
    app = Flask(__name__)
    app.url_map.converters["int"] = context.BoundedIntConverter
    app.extensions["station"] = WebState(data_dir, config, clock or SystemClock())
    app.config.update(
        SECRET_KEY=_secret_key(data_dir),
        SESSION_COOKIE_NAME="station_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=web.session_hours),
        # Up to three photos per request; each is checked against photo_max_mb itself.
        MAX_CONTENT_LENGTH=(3 * web.photo_max_mb + 1) * 1024 * 1024,
        MAX_FORM_PARTS=200,
        JSON_AS_ASCII=False,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    # The schema is migrated before the page starts (`station migrate`); refuse a missing
    # or outdated database here rather than on every request.
    with Store(data_dir / DB_NAME) as store:
        store.check_schema()

    from web import desk, health, overdue, parcels, reports, sorting, status, stocktake, supervisor
    from web.day import BLUEPRINTS as DAY_BLUEPRINTS

    auth.register(app)
    for module in (sorting, desk, stocktake, overdue, reports, status, parcels, supervisor,
                   health):  # fmt: skip
        app.register_blueprint(module.bp)
    for blueprint in DAY_BLUEPRINTS:
        app.register_blueprint(blueprint)
    service_screens.register(app)
    app.register_blueprint(labels.bp)
    app.teardown_appcontext(context.close_store)
    app.context_processor(_template_globals)
    app.register_error_handler(PageError, _page_error)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_error_handler(StoreError, _store_error)
    app.register_error_handler(HTTPException, _http_error)
    app.after_request(_security_headers)
    return app


def _template_globals() -> dict[str, Any]:
    # The language read once per page: a table of 50 rows called t() and label() hundreds
    # of times, each reading the session and the config again.
    lang = context.lang()
    return {
        "t": lambda key, **params: catalog.text(key, lang, **params),
        "lang": lang,
        "csrf_token": auth.csrf_token,
        "local": context.local,
        "label": lambda group, code: catalog.label(group, code, lang),
        "station_code": context.config().station.code,
        "nav_links": lambda role: nav.links(lang, role),
        # Strings the page's scripts show, for the template's |tojson.
        "js_strings": lambda *keys: {k: context.t(k) for k in keys},
    }


def _answer(status: int, message: str) -> Any:
    if auth.wants_json():
        return jsonify(error=message), status
    if request.endpoint == "auth.sign_in":
        return render_template(
            "signin.html", error=message, next=request.form.get("next", "")
        ), status
    return render_template("error.html", message=message, status=status), status


def _refused(status: int, key: str) -> None:
    # The screen and the reason only: the input itself may hold a phone, an ID or a PIN.
    log.info("refused %s %s (%s): %s", request.method, request.endpoint, status, key)


def _page_error(exc: PageError) -> Any:
    _refused(exc.status, exc.key)
    return _answer(exc.status, context.t(exc.key, **exc.params))


def _too_large(_exc: RequestEntityTooLarge) -> Any:
    _refused(413, "photo.too_large_request")
    return _answer(413, context.t("photo.too_large_request", max=context.config().web.photo_max_mb))


def _store_error(exc: StoreError) -> Any:
    log.error("database: %s", exc)
    key = {"StoreFull": "err.store_full", "StoreBusy": "err.store_busy",
           "StoreMissing": "err.store_missing"}.get(type(exc).__name__, "err.store")  # fmt: skip
    return _answer(503, context.t(key))


def _http_error(exc: HTTPException) -> Any:
    if isinstance(exc, context.NumberOutOfRange):
        _refused(400, "err.bad_range")
        return _answer(400, context.t("err.bad_range", field="id", low=0, high=context.MAX_ID))
    key = {404: "err.not_found", 405: "err.method", 400: "err.bad_request"}.get(
        exc.code or 500, "err.http"
    )
    _refused(exc.code or 500, key)
    return _answer(exc.code or 500, context.t(key, code=exc.code))


def _security_headers(response: Any) -> Any:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    # Nothing is ever fetched from elsewhere.
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    )
    return response
