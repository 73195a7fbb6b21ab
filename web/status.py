"""Status: each gun and scale and sync to head office, read from the store, so it is
right while `station scanner` and `station sync run` run as separate processes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, jsonify, render_template

from web import context, live

bp = Blueprint("status", __name__)


# What a raw sync error means for staff: the first pattern that matches names the
# catalog sentence shown. The raw text stays in the sync process's log.
ERROR_KINDS = (
    ("status.err_network", re.compile(
        r"Connection|Errno (101|110|111|113)|[Tt]imed? ?out|Name or service|resolve|"
        r"Network is unreachable|SSL|certificate")),
    ("status.err_token", re.compile(r"\b(401|403)\b|[Tt]oken|[Uu]nauthori[sz]ed|[Ff]orbidden")),
    ("status.err_head_office", re.compile(r"\b5\d\d\b|[Ss]erver [Ee]rror")),
)  # fmt: skip


def sync_error_key(sync: dict[str, Any]) -> str | None:
    """The catalog key of the sync error staff should see, or None.

    An error older than the last success is over: it is not shown.
    """
    error, at = sync.get("last_error"), sync.get("last_error_at")
    if not error:
        return None
    done = sync.get("last_success_at")
    if done and at and _instant(done) >= _instant(at):
        return None
    for key, pattern in ERROR_KINDS:
        if pattern.search(str(error)):
            return key
    return "status.err_other"


def _instant(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def snapshot() -> dict[str, Any]:
    store = context.store()
    sync = store.sync_status(context.now())
    sync["error_key"] = sync_error_key(sync)
    return {
        "devices": [dict(r) for r in store.devices()],
        "reads": [dict(r) for r in store.web_last_read_per_device()],
        "scale": live.desk_scale(),
        "sync": sync,
    }


def ago(seconds: float) -> str:
    """An age as staff say it: 40 s, 12 min, 3 h, 8 days."""
    for key, size in (("status.ago_d", 86400), ("status.ago_h", 3600), ("status.ago_min", 60)):
        if seconds >= size:
            return context.t(key, n=int(seconds // size))
    return context.t("status.ago_s", n=int(seconds))


@bp.get("/status")
def index() -> str:
    return render_template("status.html", ago=ago, **snapshot())


@bp.get("/api/status")
def api() -> Any:
    return jsonify(snapshot())
