"""Search by waybill (whole, its last digits or any part), pickup code or phone last 4;
a parcel's page with its whole timeline and photos; the photo files themselves."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for
from werkzeug.wrappers import Response

from web import context, photos
from web.context import bad

bp = Blueprint("parcels", __name__)

MAX_QUERY = 64


@bp.get("/search")
def search() -> str | Response:
    query = (request.args.get("q") or "").strip()
    if len(query) > MAX_QUERY:
        raise bad("err.query_long", max=MAX_QUERY)
    rows = context.store().web_search(query) if query else []
    if len(rows) == 1 and rows[0]["waybill"] == query:
        return redirect(url_for("parcels.parcel", waybill=query))
    return render_template("search.html", query=query, rows=rows)


@bp.get("/parcel/<waybill>")
def parcel(waybill: str) -> str:
    store = context.store()
    row = store.parcel(waybill)
    history = store.history(waybill)
    if row is None and not history:
        abort(404)
    photo_rows = store.web_scan_photos(waybill)
    by_seq: dict[int, list[str]] = {}
    for p in photo_rows:
        by_seq.setdefault(p["seq"], []).append(p["sha256"])
    return render_template(
        "parcel.html", parcel=row, history=history, photos=by_seq, waybill=waybill,
        notify=store.notify_status(waybill), resend_asked="resent" in request.args,
    )  # fmt: skip


@bp.post("/parcel/<waybill>/notify-resend")
def notify_resend(waybill: str) -> Response:
    """Ask head office to message the recipient again (a notify_resend record)."""
    store = context.store()
    if store.parcel(waybill) is None:
        abort(404)
    store.notify_ask_resend(waybill, context.operator_id() or "web", context.now_iso())
    return redirect(url_for("parcels.parcel", waybill=waybill, resent=1))


def _photo_file(sha256: str, thumb: bool) -> Response:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        abort(404)
    if context.store().web_photo(sha256) is None:
        abort(404)
    path = context.state().data_dir / photos.relative_path(sha256, thumb=thumb)
    if not path.exists():
        abort(404)
    return send_file(path, mimetype="image/jpeg", max_age=86400)


@bp.get("/photos/<sha256>.jpg")
def photo(sha256: str) -> Response:
    return _photo_file(sha256, thumb=False)


@bp.get("/photos/<sha256>/thumb.jpg")
def thumb(sha256: str) -> Response:
    return _photo_file(sha256, thumb=True)
