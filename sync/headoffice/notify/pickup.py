"""Head office's side of scan-to-collect: the Ed25519 signing key (a file in the data
folder, mode 600) and the link an arrival message carries."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from edge.collect import Pickup, sign
from sync.headoffice.keyfile import made_once
from sync.headoffice.notify.config import NotifySection

KEY_NAME = "collect.key"


def signing_key(folder: Path) -> Ed25519PrivateKey:
    """The data folder's key, made on first use; stations keep its public half."""
    path = folder / KEY_NAME
    pem = made_once(
        path,
        lambda: Ed25519PrivateKey.generate().private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        ),
    )
    key = load_pem_private_key(pem, None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 key")
    return key


def public_key(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


class Links:
    """Makes the 扫码取件 link: ``{collect_url}/collect/{token}``."""

    def __init__(self, settings: NotifySection, folder: Path) -> None:
        self.base = settings.collect_url.rstrip("/")
        self.valid = timedelta(days=settings.token_valid_days)
        self.key = signing_key(folder)

    def __call__(self, station: str, waybills: list[str], now: datetime) -> str:
        token = sign(Pickup(station, tuple(waybills), now + self.valid), self.key)
        return f"{self.base}/collect/{token}"
