"""Where a message goes: a log file (demos), a signed webhook, or Aliyun SMS (SendSms).

A gateway raises GatewayError with a short reason the station may see; the reason never
holds the number. Secrets and numbers never reach a log line.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

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


def percent_encode(value: str) -> str:
    """Aliyun's POP encoding: RFC 3986, space as %20, only A-Z a-z 0-9 - _ . ~ left bare."""
    return quote(value, safe="-_.~")


def aliyun_signature(params: dict[str, str], secret: str, method: str = "GET") -> str:
    """Signature v1 of an Aliyun RPC request (HMAC-SHA1 over the canonical query)."""
    canonical = "&".join(
        f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items())
    )
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    mac = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


class AliyunGateway:
    """dysmsapi SendSms (API version 2017-05-25), signed with signature version 1.0."""

    def __init__(self, settings: NotifySection) -> None:
        self.s = settings

    def params(self, message: Message, now: datetime, nonce: str) -> dict[str, str]:
        template = getattr(self.s, f"aliyun_template_{message.template}")
        if not template:
            raise GatewayError(f"aliyun: no template code for {message.template}")
        params = {
            "AccessKeyId": self.s.aliyun_access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": "cn-hangzhou",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce,
            "SignatureVersion": "1.0",
            "Timestamp": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
            "PhoneNumbers": message.to,
            "SignName": self.s.aliyun_sign_name,
            "TemplateCode": template,
            "TemplateParam": json.dumps(message.params, ensure_ascii=False),
        }
        params["Signature"] = aliyun_signature(params, self.s.aliyun_access_key_secret)
        return params

    def send(self, message: Message) -> None:
        params = self.params(message, datetime.now(UTC), uuid.uuid4().hex)
        try:
            resp = requests.get(self.s.aliyun_endpoint, params=params, timeout=TIMEOUT_S)
            answer: Any = resp.json()
        except requests.RequestException as exc:
            raise GatewayError(f"aliyun unreachable: {type(exc).__name__}") from None
        except ValueError:
            raise GatewayError(f"aliyun answered {resp.status_code} without JSON") from None
        if not isinstance(answer, dict) or answer.get("Code") != "OK":
            code = answer.get("Code") if isinstance(answer, dict) else None
            raise GatewayError(f"aliyun: {code or resp.status_code}")


def make_gateway(settings: NotifySection, folder: Path) -> Gateway:
    if settings.gateway == "webhook":
        return WebhookGateway(settings.webhook_url, settings.webhook_secret)
    if settings.gateway == "aliyun":
        return AliyunGateway(settings)
    return LogGateway(folder / settings.log_file)
