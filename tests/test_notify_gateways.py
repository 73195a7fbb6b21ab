"""Each gateway against a real loopback server that checks the signature as documented."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest

from sync.headoffice.notify.aliyun import AliyunGateway
from sync.headoffice.notify.config import NotifySection
from sync.headoffice.notify.gateways import (
    SIGNATURE_HEADER,
    GatewayError,
    LogGateway,
    Message,
    WebhookGateway,
    verify_webhook,
)
from sync.headoffice.notify.templates import render
from tests.gateway_fixtures import Loopback

SECRET = "whsec-test"
AK_SECRET = "testsecret"
PARAMS = {"station": "南山驿站", "address": "科技园12栋", "hours": "08:00-21:00",
          "pickup_code": "3-2-1045"}  # fmt: skip
MESSAGE = Message("13812345678", "arrival", PARAMS, render("arrival", PARAMS))


@pytest.fixture
def webhook_server() -> Iterator[Loopback]:
    def check(method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        ok = method == "POST" and verify_webhook(
            SECRET, headers[SIGNATURE_HEADER], body, time.time()
        )
        return (200, {"ok": True}) if ok else (401, {"error": "bad signature"})

    server = Loopback(check)
    yield server
    server.close()


def test_webhook_posts_signed_json(webhook_server: Loopback) -> None:
    WebhookGateway(webhook_server.url, SECRET).send(MESSAGE)
    (seen,) = webhook_server.seen
    assert seen["status"] == 200
    body = json.loads(seen["body"])
    assert body["to"] == "13812345678" and body["template"] == "arrival"
    assert body["params"]["pickup_code"] == "3-2-1045" and "3-2-1045" in body["text"]


def test_webhook_with_a_wrong_secret_fails_with_a_reason(webhook_server: Loopback) -> None:
    with pytest.raises(GatewayError, match="webhook answered 401"):
        WebhookGateway(webhook_server.url, "wrong").send(MESSAGE)


def test_webhook_signature_refuses_tampering_and_old_timestamps() -> None:
    body = b'{"to":"1"}'
    header = f"t=1000,v1={hmac.new(SECRET.encode(), b'1000.' + body, hashlib.sha256).hexdigest()}"
    assert verify_webhook(SECRET, header, body, now=1010)
    assert not verify_webhook(SECRET, header, body + b" ", now=1010)
    assert not verify_webhook(SECRET, header, body, now=1000 + 301)


def test_unreachable_webhook_is_a_reason_not_a_crash() -> None:
    with pytest.raises(GatewayError, match="unreachable"):
        WebhookGateway("http://127.0.0.1:9/", SECRET).send(MESSAGE)


def _aliyun_check(method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
    """Recompute signature v1 as Aliyun documents it: sort, percent-encode (RFC 3986, %20
    for space, ~ bare), "GET&%2F&" + encoded query, HMAC-SHA1 keyed with secret + "&"."""
    params = dict(parse_qsl(urlsplit(path).query, keep_blank_values=True))
    given = params.pop("Signature")

    def enc(s: str) -> str:
        return quote(s, safe="~").replace("+", "%20").replace("*", "%2A")

    query = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(params.items()))
    to_sign = "GET&%2F&" + enc(query)
    mac = hmac.new((AK_SECRET + "&").encode(), to_sign.encode(), hashlib.sha1)
    if base64.b64encode(mac.digest()).decode() != given:
        return 200, {"Code": "SignatureDoesNotMatch", "Message": "bad"}
    if params["Action"] != "SendSms" or params["Version"] != "2017-05-25":
        return 200, {"Code": "InvalidAction"}
    return 200, {"Code": "OK", "Message": "OK", "BizId": "1", "RequestId": "r"}


@pytest.fixture
def aliyun_server() -> Iterator[Loopback]:
    server = Loopback(_aliyun_check)
    yield server
    server.close()


def _aliyun(url: str, secret: str = AK_SECRET) -> AliyunGateway:
    return AliyunGateway(
        NotifySection(
            gateway="aliyun",
            aliyun_endpoint=url,
            aliyun_access_key_id="testid",
            aliyun_access_key_secret=secret,
            aliyun_sign_name="驿站通知",
            aliyun_template_arrival="SMS_0001",
        )
    )


def test_aliyun_sendsms_signature_is_accepted(aliyun_server: Loopback) -> None:
    _aliyun(aliyun_server.url).send(MESSAGE)
    (seen,) = aliyun_server.seen
    params = dict(parse_qsl(urlsplit(seen["path"]).query))
    assert params["PhoneNumbers"] == "13812345678" and params["TemplateCode"] == "SMS_0001"
    assert json.loads(params["TemplateParam"])["pickup_code"] == "3-2-1045"


def test_aliyun_wrong_secret_reports_the_providers_code(aliyun_server: Loopback) -> None:
    with pytest.raises(GatewayError, match="SignatureDoesNotMatch"):
        _aliyun(aliyun_server.url, "other").send(MESSAGE)


def test_aliyun_without_a_template_code_fails_plainly(aliyun_server: Loopback) -> None:
    reminder = Message("13812345678", "reminder", PARAMS, "x")
    with pytest.raises(GatewayError, match="no template code for reminder"):
        _aliyun(aliyun_server.url).send(reminder)
    assert aliyun_server.seen == []


def test_aliyun_answer_without_json_is_a_reason_not_a_crash() -> None:
    server = Loopback(lambda *_: (502, b"<html>Bad Gateway</html>"))
    try:
        with pytest.raises(GatewayError, match="aliyun answered 502 without JSON"):
            _aliyun(server.url).send(MESSAGE)
    finally:
        server.close()


def test_log_gateway_writes_its_own_private_file(tmp_path: Path) -> None:
    path = tmp_path / "messages.log"
    LogGateway(path).send(MESSAGE)
    line = json.loads(path.read_text(encoding="utf-8"))
    assert line["to"] == "13812345678" and "取件码 3-2-1045" in line["text"]
    assert path.stat().st_mode & 0o077 == 0


def test_templates_name_station_address_hours_and_code() -> None:
    for kind in ("arrival", "reminder", "return"):
        text = render(kind, PARAMS | {"days": "3", "link": "https://ho/c/x"})
        for word in ("南山驿站", "科技园12栋", "08:00-21:00", "3-2-1045"):
            assert word in text, (kind, word)
