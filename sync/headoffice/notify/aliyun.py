"""Aliyun SMS: dysmsapi SendSms (API 2017-05-25), signed with signature version 1.0."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime
from urllib.parse import quote

from sync.headoffice.notify.config import NotifySection
from sync.headoffice.notify.gateways import GatewayError, Message, call_provider, template_code


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
    def __init__(self, settings: NotifySection) -> None:
        self.s = settings

    def params(self, message: Message, now: datetime, nonce: str) -> dict[str, str]:
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
            "TemplateCode": template_code(self.s, "aliyun", message.template),
            "TemplateParam": json.dumps(message.params, ensure_ascii=False),
        }
        params["Signature"] = aliyun_signature(params, self.s.aliyun_access_key_secret)
        return params

    def send(self, message: Message) -> None:
        params = self.params(message, datetime.now(UTC), uuid.uuid4().hex)
        answer = call_provider("aliyun", "GET", self.s.aliyun_endpoint, params=params)
        if not isinstance(answer, dict) or answer.get("Code") != "OK":
            code = answer.get("Code") if isinstance(answer, dict) else None
            raise GatewayError(f"aliyun: {code or 'unexpected answer'}")
