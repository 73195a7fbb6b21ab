"""Tencent Cloud SMS against a loopback server that checks TC3-HMAC-SHA256 as documented."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from edge.config_base import ConfigError
from sync.headoffice.notify.config import NotifySection, parse
from sync.headoffice.notify.gateways import GatewayError, Message, make_gateway
from sync.headoffice.notify.templates import render
from sync.headoffice.notify.tencent import TencentGateway, e164
from tests.gateway_fixtures import Loopback
from tests.sync_fixtures import STATION
from tests.test_notify_loop import ARRIVED, World

SECRET_ID, SECRET_KEY = "AKIDtestid", "tencent-test-key"
PARAMS = {"station": "南山驿站", "address": "科技园12栋", "hours": "08:00-21:00",
          "pickup_code": "3-2-1045", "waybill_last4": "0001", "days": "0"}  # fmt: skip
MESSAGE = Message("13812345678", "arrival", PARAMS, render("arrival", PARAMS))


def _error(code: str) -> dict[str, Any]:
    return {"Response": {"Error": {"Code": code, "Message": "m"}, "RequestId": "r"}}


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


class TencentServer(Loopback):
    """Recomputes Signature v3 from the request as Tencent's documentation describes:
    CanonicalRequest = method, URI, query, the signed headers (lower-case names, trimmed
    lower-case values, one "name:value\\n" each), SignedHeaders, hex SHA-256 of the body;
    StringToSign = algorithm, X-TC-Timestamp, "<date>/sms/tc3_request", hex SHA-256 of
    the canonical request; the key is HMAC-SHA256 chained from "TC3" + SecretKey over the
    date, the service and "tc3_request"."""

    def __init__(self, number_code: str = "Ok") -> None:
        self.number_code = number_code
        super().__init__(self.check)

    def check(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        lower = {k.lower(): v for k, v in headers.items()}
        algorithm, _, rest = lower.get("authorization", "").partition(" ")
        fields = dict(p.strip().split("=", 1) for p in rest.split(",") if "=" in p)
        secret_id, _, scope = fields.get("Credential", "").partition("/")
        date, service, term = [*scope.split("/"), "", "", ""][:3]
        timestamp = int(lower.get("x-tc-timestamp", "0"))
        if algorithm != "TC3-HMAC-SHA256" or secret_id != SECRET_ID:
            return 200, _error("AuthFailure.SecretIdNotFound")
        if abs(time.time() - timestamp) > 300:
            return 200, _error("AuthFailure.SignatureExpire")
        today = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
        if (date, service, term) != (today, "sms", "tc3_request"):
            return 200, _error("AuthFailure.InvalidAuthorization")
        signed = fields.get("SignedHeaders", "").split(";")
        if not {"content-type", "host"} <= set(signed):
            return 200, _error("AuthFailure.InvalidAuthorization")
        canonical_headers = "".join(f"{h}:{lower.get(h, '').strip().lower()}\n" for h in signed)
        canonical = "\n".join([method, "/", "", canonical_headers, ";".join(signed),
                               hashlib.sha256(body).hexdigest()])  # fmt: skip
        to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])  # fmt: skip
        key = _hmac(_hmac(_hmac(("TC3" + SECRET_KEY).encode(), date), service), "tc3_request")
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, fields.get("Signature", "")):
            return 200, _error("AuthFailure.SignatureFailure")
        if (lower.get("x-tc-action"), lower.get("x-tc-version")) != ("SendSms", "2021-01-11"):
            return 200, _error("InvalidAction")
        if not lower.get("x-tc-region"):
            return 200, _error("MissingParameter")
        request = json.loads(body)
        statuses = [
            {"SerialNo": "s", "PhoneNumber": n, "Fee": 1, "Code": self.number_code,
             "Message": f"status of {n}", "IsoCode": "CN"}
            for n in request["PhoneNumberSet"]
        ]  # fmt: skip
        return 200, {"Response": {"SendStatusSet": statuses, "RequestId": "r"}}


@pytest.fixture
def server() -> Iterator[TencentServer]:
    s = TencentServer()
    yield s
    s.close()


def _settings(url: str, key: str = SECRET_KEY) -> NotifySection:
    return NotifySection(
        gateway="tencent",
        tencent_endpoint=url,
        tencent_secret_id=SECRET_ID,
        tencent_secret_key=key,
        tencent_sms_sdk_app_id="1400006666",
        tencent_sign_name="驿站通知",
        tencent_template_arrival="449739",
        tencent_template_reminder="449740",
    )


def test_tencent_sendsms_signature_is_accepted(server: TencentServer) -> None:
    TencentGateway(_settings(server.url)).send(MESSAGE)
    (seen,) = server.seen
    body = json.loads(seen["body"])
    assert body["PhoneNumberSet"] == ["+8613812345678"]
    assert (body["SmsSdkAppId"], body["SignName"], body["TemplateId"]) == (
        "1400006666", "驿站通知", "449739"
    )  # fmt: skip
    assert body["TemplateParamSet"] == ["南山驿站", "3-2-1045", "科技园12栋", "08:00-21:00"]


def test_tencent_reminder_fills_its_own_positional_params(server: TencentServer) -> None:
    reminder = Message("13812345678", "reminder", PARAMS | {"days": "3"}, "x")
    TencentGateway(_settings(server.url)).send(reminder)
    body = json.loads(server.seen[0]["body"])
    assert body["TemplateId"] == "449740"
    assert body["TemplateParamSet"] == ["南山驿站", "3-2-1045", "3", "科技园12栋", "08:00-21:00"]


def test_tencent_wrong_key_fails_with_the_providers_code_and_no_secret(
    server: TencentServer,
) -> None:
    with pytest.raises(GatewayError, match=r"^tencent: AuthFailure\.SignatureFailure$") as info:
        TencentGateway(_settings(server.url, "other-key")).send(MESSAGE)
    assert "other-key" not in str(info.value) and "13812345678" not in str(info.value)


def test_the_check_refuses_a_body_changed_after_signing(server: TencentServer) -> None:
    """The loopback's check is not vacuous: the signature covers the body."""
    gateway = TencentGateway(_settings(server.url))
    body = gateway.body(MESSAGE)
    headers = gateway.headers(body, int(time.time()))
    other = body.replace(b"+8613812345678", b"+8613900000000")
    answer = requests.post(server.url, data=other, headers=headers, timeout=5).json()
    assert answer["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"
    answer = requests.post(server.url, data=body, headers=headers, timeout=5).json()
    assert answer["Response"]["SendStatusSet"][0]["Code"] == "Ok"


def test_an_old_signature_is_refused(server: TencentServer) -> None:
    gateway = TencentGateway(_settings(server.url))
    body = gateway.body(MESSAGE)
    headers = gateway.headers(body, int(time.time()) - 3600)
    answer = requests.post(server.url, data=body, headers=headers, timeout=5).json()
    assert answer["Response"]["Error"]["Code"] == "AuthFailure.SignatureExpire"


def test_a_number_the_provider_refuses_fails_with_its_code() -> None:
    server = TencentServer(number_code="LimitExceeded.PhoneNumberDailyLimit")
    try:
        with pytest.raises(GatewayError, match=r"^tencent: LimitExceeded\.PhoneNumberDailyLimit$"):
            TencentGateway(_settings(server.url)).send(MESSAGE)
    finally:
        server.close()


def test_no_template_id_fails_plainly_and_sends_nothing(server: TencentServer) -> None:
    returning = Message("13812345678", "return", PARAMS, "x")
    with pytest.raises(GatewayError, match="tencent: no template code for return"):
        TencentGateway(_settings(server.url)).send(returning)
    assert server.seen == []


@pytest.mark.parametrize(
    ("answer", "reason"),
    [(b"<html>Bad Gateway</html>", "tencent answered 502 without JSON"),
     ({"Response": {"RequestId": "r"}}, "tencent: no send status"),
     ({"Response": {"SendStatusSet": [{}]}}, "tencent: status without a code"),
     ([1, 2], "tencent: unexpected answer")],
)  # fmt: skip
def test_odd_answers_are_reasons_not_crashes(answer: Any, reason: str) -> None:
    server = Loopback(lambda *_: (502 if isinstance(answer, bytes) else 200, answer))
    try:
        with pytest.raises(GatewayError, match=f"^{reason}$"):
            TencentGateway(_settings(server.url)).send(MESSAGE)
    finally:
        server.close()


def test_unreachable_provider_is_a_reason() -> None:
    with pytest.raises(GatewayError, match=r"^tencent unreachable: ConnectionError$"):
        TencentGateway(_settings("http://127.0.0.1:9/")).send(MESSAGE)


def test_a_refused_number_shows_as_failed_with_the_reason_at_head_office(tmp_path: Path) -> None:
    server = TencentServer(number_code="FailedOperation.PhoneNumberInBlacklist")
    world = World(tmp_path)
    try:
        world.notifier.gateway = TencentGateway(_settings(server.url))
        world.phones.put([(STATION, "SF0001", "13812345678", True)], ARRIVED)
        world.scan("receive", "SF0001", ARRIVED)
        result = world.notifier.run_pass(ARRIVED + timedelta(minutes=1))
        assert (result.sent, result.failed) == (0, 1)
        status = world.queue.status(STATION, "SF0001")
        assert status is not None and status["status"] == "failed"
        assert status["reason"] == "tencent: FailedOperation.PhoneNumberInBlacklist"
    finally:
        world.close()
        server.close()


def test_e164_numbers() -> None:
    assert e164("13812345678") == "+8613812345678"
    assert e164("138 1234 5678") == "+8613812345678"
    assert e164("8613812345678") == "+8613812345678"
    assert e164("+852 6123 4567") == "+85261234567"


def test_config_needs_the_credentials_and_known_param_names(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="tencent_secret_id/_key/tencent_sms_sdk_app_id"):
        parse('[notify]\ngateway = "tencent"\n')
    with pytest.raises(ConfigError, match=r"tencent_params_arrival: unknown phone"):
        parse('[notify]\ntencent_params_arrival = ["station", "phone"]\n')
    config = parse(
        '[notify]\ngateway = "tencent"\ntencent_secret_id = "AKIDx"\ntencent_secret_key = "k"\n'
        'tencent_sms_sdk_app_id = "1400006666"\ntencent_sign_name = "驿站通知"\n'
    )
    assert isinstance(make_gateway(config.notify, tmp_path), TencentGateway)


def test_settings_printed_anywhere_hide_the_secrets() -> None:
    shown = repr(_settings("https://sms.tencentcloudapi.com/"))
    assert SECRET_KEY not in shown and SECRET_ID not in shown
    assert "tencent_secret_key='***'" in shown and "tencent_sign_name='驿站通知'" in shown


def test_the_credential_scope_is_the_utc_date() -> None:
    # 07:30 in Shanghai on the 29th is still the 28th in UTC, which Tencent signs with.
    at = int(datetime(2026, 11, 28, 23, 30, tzinfo=UTC).timestamp())
    gateway = TencentGateway(_settings("https://sms.tencentcloudapi.com/"))
    headers = gateway.headers(gateway.body(MESSAGE), at)
    assert f"Credential={SECRET_ID}/2026-11-28/sms/tc3_request," in headers["Authorization"]
    assert headers["Host"] == "sms.tencentcloudapi.com" and headers["X-TC-Timestamp"] == str(at)
    assert headers["X-TC-Region"] == "ap-guangzhou"
