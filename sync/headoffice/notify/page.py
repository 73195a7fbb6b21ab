"""Head office's small public pages for scan-to-collect: the public key stations pull
once (``GET /v1/collect/key``) and the page a recipient opens from the message
(``GET /collect/<token>``), showing the token as a QR for the station's gun."""

from __future__ import annotations

import base64
import html
import io
import logging
from datetime import UTC, datetime
from pathlib import Path

import qrcode
from flask import Blueprint, Response, jsonify

from edge.collect import TokenRefused, looks_like, verify
from edge.config_base import ConfigError
from sync.headoffice.config import load
from sync.headoffice.notify.config import NotifySection
from sync.headoffice.notify.pickup import public_key, signing_key

log = logging.getLogger(__name__)

PAGE = """<!doctype html><html lang="zh"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>扫码取件</title>
<style>body{{font-family:sans-serif;text-align:center;margin:1em}}img{{width:80vw;max-width:360px;
image-rendering:pixelated}}</style></head><body>
<h1>{station}</h1><p>{address}<br>{hours}</p>
<img alt="取件码二维码 / pickup QR" src="data:image/png;base64,{png}">
<p>请在柜台出示此二维码 · Show this QR at the counter</p>
<p>运单尾号 · Waybills: {waybills}</p><p>有效期至 · Valid until: {expires}</p>
</body></html>"""

REFUSED = """<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>扫码取件</title>
</head><body><p>{zh}</p><p>{en}</p></body></html>"""
WORDS = {
    "collect_expired": (
        "链接已过期，请到驿站报取件码。",
        "This link has expired: give the pickup code at the station.",
    ),
    "collect_forged": ("链接无效。", "This link is not valid."),
}


def blueprint(folder: Path) -> Blueprint:
    bp = Blueprint("collect", __name__)
    raw = public_key(signing_key(folder))
    try:
        settings = load(folder).notify
    except ConfigError as exc:  # the receiver still serves; the page shows station codes
        log.error("%s; the pickup page uses defaults", exc)
        settings = NotifySection()

    @bp.get("/v1/collect/key")
    def collect_key() -> Response:
        return jsonify({"alg": "Ed25519", "public_key": base64.b64encode(raw).decode()})

    @bp.get("/collect/<token>")
    def collect_page(token: str) -> tuple[str, int, dict[str, str]]:
        headers = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}
        try:
            if not looks_like(token):
                raise TokenRefused("collect_forged")
            pickup = verify(token, raw, None, datetime.now(UTC))
        except TokenRefused as refused:
            zh, en = WORDS.get(refused.key, WORDS["collect_forged"])
            status = 404 if refused.key == "collect_forged" else 410
            return REFUSED.format(zh=zh, en=en), status, headers
        info = settings.station(pickup.station)
        png = io.BytesIO()
        qrcode.make(token, border=2).save(png)
        page = PAGE.format(
            station=html.escape(info.name or pickup.station),
            address=html.escape(info.address),
            hours=html.escape(info.hours),
            png=base64.b64encode(png.getvalue()).decode(),
            waybills=" ".join(html.escape(w[-4:]) for w in pickup.waybills),
            expires=pickup.expires.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M"),
        )
        return page, 200, headers

    return bp
