"""Tencent Cloud SMS: SendSms (API 2021-01-11) by POST of JSON, signed with TC3-HMAC-SHA256.

The signature follows Tencent Cloud's "Signature v3": a canonical request (method, URI
"/", empty query, the content-type, host and x-tc-action headers, the body's SHA-256),
hashed into a string to sign under the scope ``<UTC date>/sms/tc3_request``, and an
HMAC-SHA256 key derived from "TC3" + SecretKey, the date, the service and "tc3_request".
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sync.headoffice.notify.config import NotifySection
from sync.headoffice.notify.gateways import GatewayError, Message, call_provider, template_code

ALGORITHM = "TC3-HMAC-SHA256"
SERVICE, ACTION, VERSION = "sms", "SendSms", "2021-01-11"
CONTENT_TYPE = "application/json; charset=utf-8"
SIGNED_HEADERS = "content-type;host;x-tc-action"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tc3_string_to_sign(host: str, action: str, body: bytes, timestamp: int, scope: str) -> str:
    """Steps 1 and 2 of Signature v3: the canonical request, then the string to sign."""
    canonical_headers = f"content-type:{CONTENT_TYPE}\nhost:{host}\nx-tc-action:{action.lower()}\n"
    canonical = "\n".join(["POST", "/", "", canonical_headers, SIGNED_HEADERS, _sha256_hex(body)])
    return "\n".join([ALGORITHM, str(timestamp), scope, _sha256_hex(canonical.encode())])


def tc3_signature(secret_key: str, date: str, service: str, string_to_sign: str) -> str:
    """Step 3: the hex signature, keyed by the derived signing key."""
    signing_key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    return hmac.new(signing_key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def tc3_authorization(
    secret_id: str, secret_key: str, host: str, action: str, body: bytes, timestamp: int
) -> str:
    """Step 4: the Authorization header of a POST of ``body`` to ``host``; the scope's
    date is the UTC date of ``timestamp``."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{SERVICE}/tc3_request"
    string_to_sign = tc3_string_to_sign(host, action, body, timestamp, scope)
    signature = tc3_signature(secret_key, date, SERVICE, string_to_sign)
    return (
        f"{ALGORITHM} Credential={secret_id}/{scope}, "
        f"SignedHeaders={SIGNED_HEADERS}, Signature={signature}"
    )


def e164(number: str) -> str:
    """+86 and the digits for a mainland number as manifests hold it; a +… number as is."""
    digits = re.sub(r"\D", "", number)
    if number.strip().startswith("+"):
        return f"+{digits}"
    if len(digits) == 13 and digits.startswith("86"):
        return f"+{digits}"
    return f"+86{digits}"


class TencentGateway:
    def __init__(self, settings: NotifySection) -> None:
        self.s = settings
        self.host = urlsplit(settings.tencent_endpoint).netloc.lower()

    def body(self, message: Message) -> bytes:
        names = getattr(self.s, f"tencent_params_{message.template}")
        request = {
            "PhoneNumberSet": [e164(message.to)],
            "SmsSdkAppId": self.s.tencent_sms_sdk_app_id,
            "SignName": self.s.tencent_sign_name,
            "TemplateId": template_code(self.s, "tencent", message.template),
            "TemplateParamSet": [message.params.get(name, "") for name in names],
        }
        return json.dumps(request, ensure_ascii=False).encode()

    def headers(self, body: bytes, timestamp: int) -> dict[str, str]:
        auth = tc3_authorization(
            self.s.tencent_secret_id, self.s.tencent_secret_key, self.host, ACTION, body, timestamp
        )
        return {
            "Authorization": auth,
            "Content-Type": CONTENT_TYPE,
            "Host": self.host,
            "X-TC-Action": ACTION,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": VERSION,
            "X-TC-Region": self.s.tencent_region,
        }

    def send(self, message: Message) -> None:
        body = self.body(message)
        headers = self.headers(body, int(time.time()))
        answer = call_provider(
            "tencent", "POST", self.s.tencent_endpoint, data=body, headers=headers
        )
        raise_for_answer(answer)


def raise_for_answer(answer: object) -> None:
    """A GatewayError with the provider's code unless the one number's status is "Ok".

    Only codes are kept: Tencent's messages may repeat the number."""
    response = answer.get("Response") if isinstance(answer, dict) else None
    if not isinstance(response, dict):
        raise GatewayError("tencent: unexpected answer")
    error = response.get("Error")
    if isinstance(error, dict):
        raise GatewayError(f"tencent: {error.get('Code') or 'error without a code'}")
    statuses = response.get("SendStatusSet")
    if not isinstance(statuses, list) or not statuses or not isinstance(statuses[0], dict):
        raise GatewayError("tencent: no send status")
    code = statuses[0].get("Code")
    if code != "Ok":
        raise GatewayError(f"tencent: {code or 'status without a code'}")
