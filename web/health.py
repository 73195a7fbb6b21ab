"""Endpoints for machines, no session needed: /livez (the page's own liveness, used by
its systemd watchdog), /healthz and /metrics (the appliance's checks, mounted here)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from edge.appliance import health, metrics
from web import context

bp = Blueprint("health", __name__)


@bp.get("/livez")
def livez() -> Any:
    """Answers only if a server thread is free, the app runs and the database reads."""
    return jsonify(ok=True, last_read=context.store().web_last_read_id())


@bp.get("/healthz")
def healthz() -> Any:
    # Opens its own store, so a missing or unreadable database is a failing check that
    # names the file rather than an error page.
    result = health.check_at(context.state().db_path, context.config())
    return jsonify(result.to_json()), 200 if result.ok else 503


@bp.get("/metrics")
def metrics_text() -> Response:
    body, content_type = metrics.render(context.store(), context.config())
    return Response(body, content_type=content_type)
