"""The sorting screen: every read from every gun, live, and a scan field for the page.

The feed is server-sent events. Each stream polls ``reads`` by primary key
(``id > ?``: one index seek) every feed_poll_ms with its own connection, sends each
new read as an event whose id is the read id, and resumes from Last-Event-ID (or
?after=) when the browser reconnects, so nothing is missed after a Wi-Fi drop. A
stream ends after feed_max_s and the browser reconnects where it left off; waitress
keeps one thread per open stream, so the number of streams is capped below the
thread count and pages always have threads left.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from edge import barcode
from edge.barcode import DISPATCH_REASONS, PROBLEM_CODES, SCAN_TYPES
from edge.messages import Message
from edge.store import Store
from web import context
from web.context import PageError, bad
from web.present import gun_desks, hms, outcome_card, read_card

bp = Blueprint("sorting", __name__)

BACKLOG = 8  # reads shown when the screen opens
HEARTBEAT_S = 15.0
BATCH = 200
DESKS_EVERY_S = 0.5  # how often a stream looks for a gun's new mode
RESERVED_THREADS = 4

SCREEN_STRINGS = (
    "sort.connected", "sort.reconnecting", "sort.sound_on", "sort.sound_off",
    "sort.speak_on", "sort.speak_off", "sort.waiting", "sort.weight", "err.network",
    "sort.no_guns",
)  # fmt: skip


def _streams() -> threading.BoundedSemaphore:
    ext = current_app.extensions
    if "station_streams" not in ext:
        ext["station_streams"] = threading.BoundedSemaphore(
            max(1, context.config().web.threads - RESERVED_THREADS)
        )
    sem: threading.BoundedSemaphore = ext["station_streams"]
    return sem


def default_modes() -> dict[str, str]:
    return {s.name: s.mode for s in context.config().scanners}


@bp.get("/")
def screen() -> str:
    last = context.store().web_last_read_id()
    desk = context.page_desk()
    return render_template(
        "sort.html",
        after=max(0, last - BACKLOG),
        last=last,
        desk=desk,
        modes=SCAN_TYPES,
        guns=gun_desks(context.store().web_gun_desks(), context.lang(), default_modes()),
        dispatch_reasons=DISPATCH_REASONS,
        problem_codes=PROBLEM_CODES,
        speak_default=context.config().web.speak_pickup_code,
        strings=SCREEN_STRINGS,
    )


def _after_id() -> int:
    raw = request.headers.get("Last-Event-ID") or request.args.get("after") or "0"
    return context.bounded_int(raw, "after")


def desks_event(guns: list[dict[str, Any]]) -> str:
    return f"event: desks\ndata: {json.dumps(guns, ensure_ascii=False)}\n\n"


def events(rows: list[Any], lang: str) -> str:
    parts = []
    for row in rows:
        data = read_card(row, lang, hms(row["at"]))
        parts.append(
            f"id: {row['id']}\nevent: read\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
        )
    return "".join(parts)


@bp.get("/feed")
def feed() -> Response:
    after = _after_id()
    sem = _streams()
    if not sem.acquire(blocking=False):
        raise PageError(503, "err.too_many_screens")
    web = context.config().web
    db_path = context.state().db_path
    lang = context.lang()
    modes = default_modes()
    poll = web.feed_poll_ms / 1000
    deadline = time.monotonic() + web.feed_max_s
    gone = request.environ.get("waitress.client_disconnected") or (lambda: False)

    def stream() -> Iterator[str]:
        last = after
        store = None
        try:
            store = Store(db_path)
            yield "retry: 1000\n\n"
            beat = time.monotonic()
            guns: list[dict[str, Any]] | None = None
            guns_at = 0.0
            while time.monotonic() < deadline and not gone():
                if time.monotonic() - guns_at > DESKS_EVERY_S:
                    guns_at = time.monotonic()
                    latest = gun_desks(store.web_gun_desks(), lang, modes)
                    if latest != guns:
                        guns = latest
                        yield desks_event(guns)
                rows = store.web_reads_after(last, BATCH)
                if rows:
                    last = rows[-1]["id"]
                    beat = time.monotonic()
                    yield events(rows, lang)
                    if len(rows) == BATCH:
                        continue
                elif time.monotonic() - beat > HEARTBEAT_S:
                    # Also how a dead client is noticed: the write fails.
                    beat = time.monotonic()
                    yield ": ping\n\n"
                time.sleep(poll)
        finally:
            if store is not None:
                store.close()

    response = Response(
        stream(),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
    # On close, not in the generator: a stream dropped before its first byte never runs
    # the generator's finally, and its slot must come back all the same.
    response.call_on_close(sem.release)
    return response


def is_operator_card(code: str) -> bool:
    norm = barcode.normalise(code, 1, len(code) + 1)
    if isinstance(norm, Message):
        return False
    command = barcode.parse_command(norm.text)
    return isinstance(command, barcode.Command) and command.name.startswith("operator_")


@bp.post("/api/read")
def api_read() -> Any:
    """A code from the page's scan field, read at this operator's page desk."""
    code = (request.form.get("code") or "").strip()
    if not code:
        raise bad("err.code_missing")
    if is_operator_card(code):
        # On the page the signed-in operator is the operator; OP: cards belong to guns.
        raise PageError(403, "err.operator_card")
    outcome = context.station().read(code, context.page_desk())
    return jsonify(outcome_card(outcome, context.lang(), hms(context.now_iso())))
