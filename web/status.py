"""Status: each gun and scale and sync to head office, read from the store, so it is
right while `station scanner` and `station sync run` run as separate processes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template

from web import context, live

bp = Blueprint("status", __name__)


def snapshot() -> dict[str, Any]:
    store = context.store()
    sync = store.sync_status(context.now())
    return {
        "devices": [dict(r) for r in store.devices()],
        "reads": [dict(r) for r in store.web_last_read_per_device()],
        "scale": live.desk_scale(),
        "sync": sync,
    }


@bp.get("/status")
def index() -> str:
    return render_template("status.html", **snapshot())


@bp.get("/api/status")
def api() -> Any:
    return jsonify(snapshot())
