"""What handover and return sheets share: the courier's signature drawn on the tablet,
stored like a photo (cleaned, content-addressed, uploaded with the photos), and the
sheet as a PDF."""

from __future__ import annotations

import base64
import binascii
import logging
import subprocess

from flask import request
from werkzeug.wrappers import Response

from edge.desk import pdf
from web import context, photos
from web.context import PageError, bad

log = logging.getLogger(__name__)

PNG_PREFIX = "data:image/png;base64,"
# A 4-inch canvas at device resolution is well under this.
MAX_SIGNATURE_BYTES = 2 * 10**6


def take_signature() -> str:
    """The signature from the form's canvas, stored; its SHA-256. A blank canvas is refused
    (the page sends nothing until something was drawn)."""
    text = request.form.get("signature") or ""
    if not text.startswith(PNG_PREFIX):
        raise bad("day.err_signature")
    try:
        data = base64.b64decode(text[len(PNG_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise bad("day.err_signature") from None
    web = context.config().web
    try:
        jpeg = photos.clean_jpeg(data, max_px=800, quality=web.photo_quality,
                                 max_bytes=MAX_SIGNATURE_BYTES)  # fmt: skip
    except photos.PhotoError as exc:
        log.info("signature refused: %s", exc.key)
        raise bad("day.err_signature") from None
    stored = photos.save(context.state().data_dir, jpeg)
    context.store().web_add_photo(
        stored.sha256, stored.path.as_posix(), stored.size, context.now_iso()
    )
    return stored.sha256


def pdf_response(sheet: pdf.Sheet, signature: str | None, name: str) -> Response:
    if signature:
        sheet.signature = context.state().data_dir / photos.relative_path(signature)
    try:
        body = pdf.render_isolated(sheet)
    except pdf.NoFont:
        log.error("no CJK font for the PDF sheet: install fonts-noto-cjk")
        raise PageError(503, "day.err_no_font") from None
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        # The printable page still works; only the PDF copy is missing.
        log.error("PDF sheet %s not made: %s", name, exc)
        raise PageError(503, "day.err_pdf") from None
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
    )
