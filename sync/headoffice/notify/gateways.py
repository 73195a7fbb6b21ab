"""Where a message goes: a log file (demos), a signed webhook, or an SMS provider.

Aliyun (`aliyun.py`) and Tencent Cloud (`tencent.py`) share the helpers here.

A gateway raises GatewayError with a short reason the station may see; the reason never
holds the number. Secrets and numbers never reach a log line.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import requests

from sync.headoffice.notify.config import NotifySection

TIMEOUT_S = (5.0, 15.0)
SIGNATURE_HEADER = "X-Station-Signature"


@dataclass(frozen=True)
class Message:
    to: str  # the full number: only gateways see it
    template: str  # arrival | reminder | return
    params: dict[str, str]
    text: str


class GatewayError(Exception):
    """Sending failed; str() is the reason kept and shown to the station."""


class Gateway(Protocol):
    def send(self, message: Message) -> None: ...


class LogGateway:
    """Appends one JSON line per message to its own file (mode 600), never the service log."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def send(self, message: Message) -> None:
        line = json.dumps(
            {"to": message.to, "template": message.template, "text": message.text},
            ensure_ascii=False,
        )
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as f:
            f.write(line + "\n")


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>``, as Stripe signs."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_webhook(
    secret: str, header: str, body: bytes, now: float, tolerance_s: float = 300
) -> bool:
    """What a webhook receiver runs: right signature, and not older than ``tolerance_s``."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    if not parts.get("t", "").isdigit() or abs(now - int(parts["t"])) > tolerance_s:
        return False
    expected = webhook_signature(secret, int(parts["t"]), body)
    return hmac.compare_digest(expected, header)


class WebhookGateway:
    def __init__(self, url: str, secret: str) -> None:
        self.url, self.secret = url, secret

    def send(self, message: Message) -> None:
        body = json.dumps(
            {
                "to": message.to,
                "template": message.template,
                "params": message.params,
                "text": message.text,
            },
            ensure_ascii=False,
        ).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: webhook_signature(self.secret, int(time.time()), body),
        }
        try:
            resp = requests.post(self.url, data=body, headers=headers, timeout=TIMEOUT_S)
        except requests.RequestException as exc:
            raise GatewayError(f"webhook unreachable: {type(exc).__name__}") from None
        if not 200 <= resp.status_code < 300:
            raise GatewayError(f"webhook answered {resp.status_code}")


def template_code(settings: NotifySection, provider: str, kind: str) -> str:
    """The provider's approved template for a message kind, from ``<provider>_template_<kind>``."""
    code: str = getattr(settings, f"{provider}_template_{kind}")
    if not code:
        raise GatewayError(f"{provider}: no template code for {kind}")
    return code


def call_provider(provider: str, method: str, url: str, **kwargs: Any) -> Any:
    """The provider's JSON answer; no answer or no JSON is a GatewayError naming neither
    the URL (it may hold the number) nor the credentials."""
    try:
        resp = requests.request(method, url, timeout=TIMEOUT_S, **kwargs)
    except requests.RequestException as exc:
        raise GatewayError(f"{provider} unreachable: {type(exc).__name__}") from None
    try:
        return resp.json()
    except ValueError:  # requests' JSONDecodeError is also a RequestException: caught here
        raise GatewayError(f"{provider} answered {resp.status_code} without JSON") from None


def make_gateway(settings: NotifySection, folder: Path) -> Gateway:
    if settings.gateway == "webhook":
        return WebhookGateway(settings.webhook_url, settings.webhook_secret)
    # Imported here so a head office on the log or webhook gateway loads no SMS provider.
    if settings.gateway == "aliyun":
        from sync.headoffice.notify.aliyun import AliyunGateway

        return AliyunGateway(settings)
    if settings.gateway == "tencent":
        from sync.headoffice.notify.tencent import TencentGateway

        return TencentGateway(settings)
    return LogGateway(folder / settings.log_file)
