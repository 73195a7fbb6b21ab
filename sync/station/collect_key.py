"""The station's one pull of head office's public key for pickup QRs (扫码取件):
``GET /v1/collect/key`` answers ``{"alg": "Ed25519", "public_key": base64 of 32 bytes}``.
Kept in the store; the counter then checks tokens without the network."""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any

log = logging.getLogger(__name__)

PATH = "/v1/collect/key"


def pull_once(http: Any, store: Any) -> None:
    """Fetch and keep the key unless the store has one; a head office without the
    endpoint (404) or a bad answer leaves it for the next pull."""
    if store.collect_key() is not None:
        return
    reply = http.request("GET", PATH)
    if reply.status != 200:
        if reply.status != 404:
            log.warning("pickup QR key not pulled: head office answered %d", reply.status)
        return
    try:
        data = reply.json()
        raw = base64.b64decode(data["public_key"], validate=True)
        ok = data.get("alg") == "Ed25519" and len(raw) == 32
    except (ValueError, KeyError, TypeError, binascii.Error):
        ok = False
    if not ok:
        log.warning("pickup QR key not pulled: head office's answer is not an Ed25519 key")
        return
    store.collect_set_key(raw)
    log.info("pickup QR key from head office kept")
