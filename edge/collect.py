"""Scan-to-collect (扫码取件) pickup tokens: pure encoding and offline verification.

Head office signs a token with Ed25519; the recipient shows it as a QR on their phone; the
clerk scans it with the gun and the station checks it with head office's public key,
which it keeps, so no network is needed at the counter.

A token is ``YZQ1:`` + base64url (no padding) of payload + 64-byte signature, where the
payload is binary to keep the QR small enough for a gun: a version byte, the expiry as
4-byte big-endian Unix seconds, then the station code and each waybill as one length
byte followed by UTF-8 text.
"""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # cryptography costs every process that records scans ~7 MB: see verify()
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

PREFIX = "YZQ1:"
VERSION = 1
SIGNATURE_BYTES = 64
MAX_WAYBILLS = 20


@dataclass(frozen=True)
class Pickup:
    station: str
    waybills: tuple[str, ...]
    expires: datetime


class TokenRefused(ValueError):
    """Why a token is refused: ``key`` is a message key (forged, expired, other station)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def looks_like(code: str) -> bool:
    return code.startswith(PREFIX)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _field(text: str) -> bytes:
    data = text.encode()
    if not 1 <= len(data) <= 255:
        raise ValueError(f"{text!r}: expected 1 to 255 bytes")
    return bytes([len(data)]) + data


def payload(pickup: Pickup) -> bytes:
    if not 1 <= len(pickup.waybills) <= MAX_WAYBILLS:
        raise ValueError(f"expected 1 to {MAX_WAYBILLS} waybills")
    head = struct.pack(">BI", VERSION, int(pickup.expires.timestamp()))
    return head + _field(pickup.station) + b"".join(_field(w) for w in pickup.waybills)


def sign(pickup: Pickup, key: Ed25519PrivateKey) -> str:
    data = payload(pickup)
    return PREFIX + _b64(data + key.sign(data))


def _parse(data: bytes) -> Pickup:
    version, expires = struct.unpack_from(">BI", data)
    if version != VERSION:
        raise ValueError("version")
    fields, at = [], 5
    while at < len(data):
        n = data[at]
        text = data[at + 1 : at + 1 + n]
        if n == 0 or len(text) != n:
            raise ValueError("length")
        fields.append(text.decode())
        at += 1 + n
    if len(fields) < 2:
        raise ValueError("fields")
    return Pickup(fields[0], tuple(fields[1:]), datetime.fromtimestamp(expires, UTC))


def verify(code: str, public_key: bytes, station: str | None, now: datetime) -> Pickup:
    """The pickup a genuine, unexpired token for this station (None: any) names; else
    TokenRefused with key collect_forged, collect_expired or collect_other_station."""
    # Imported on the first pickup QR, not with the scan path.
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        raw = _unb64(code.removeprefix(PREFIX))
        data, signature = raw[:-SIGNATURE_BYTES], raw[-SIGNATURE_BYTES:]
        if len(data) < 5:
            raise ValueError("short")
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, data)
        pickup = _parse(data)
    except (InvalidSignature, ValueError, struct.error, UnicodeDecodeError):
        raise TokenRefused("collect_forged") from None
    if station is not None and pickup.station != station:
        raise TokenRefused("collect_other_station")
    if pickup.expires <= now:
        raise TokenRefused("collect_expired")
    return pickup
