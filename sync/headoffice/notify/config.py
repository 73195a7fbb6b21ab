"""`head-office.toml` in head office's data folder: typed, documented, unknown keys named."""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from edge.config import _load_section
from edge.config_base import ConfigError, Section, doc

FILE_NAME = "head-office.toml"
HHMM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
# What every message carries in Message.params (loop.Notifier.message), for providers
# whose templates take positional values.
PARAM_NAMES = ("station", "address", "hours", "pickup_code", "waybill_last4", "days", "link")
SECRET_KEYS = (
    "webhook_secret",
    "aliyun_access_key_secret",
    "tencent_secret_id",
    "tencent_secret_key",
)


@dataclass
class StationInfo(Section):
    code: str = doc("Station code these lines are for, e.g. SZ-NS-0042.", "")
    name: str = doc("Station name as the recipient reads it, e.g. 南山科技园驿站.", "")
    address: str = doc("Where the station is, e.g. 科技园南区12栋1楼.", "")
    hours: str = doc("Opening hours, e.g. 08:00-21:00.", "")


@dataclass
class NotifySection(Section):
    gateway: Literal["log", "webhook", "aliyun", "tencent"] = doc(
        "How messages go out: log (a file, for demos), webhook (signed POST), aliyun "
        "(Aliyun SMS SendSms) or tencent (Tencent Cloud SMS SendSms).",
        "log",
    )
    log_file: str = doc("The log gateway's file, relative to the data folder.", "messages.log")
    webhook_url: str = doc("URL the webhook gateway POSTs each message to.", "")
    webhook_secret: str = doc("Secret for the webhook's HMAC-SHA256 signature header.", "")
    aliyun_endpoint: str = doc("Aliyun SMS endpoint.", "https://dysmsapi.aliyuncs.com/")
    aliyun_access_key_id: str = doc("Aliyun AccessKey ID.", "")
    aliyun_access_key_secret: str = doc("Aliyun AccessKey secret.", "")
    aliyun_sign_name: str = doc("Approved SMS signature (签名), e.g. 驿站通知.", "")
    aliyun_template_arrival: str = doc("Approved template code for arrival, e.g. SMS_1.", "")
    aliyun_template_reminder: str = doc("Approved template code for reminders.", "")
    aliyun_template_return: str = doc("Approved template code for the return notice.", "")
    tencent_endpoint: str = doc("Tencent Cloud SMS endpoint.", "https://sms.tencentcloudapi.com/")
    tencent_region: str = doc(
        "Tencent Cloud region of the SMS app, e.g. ap-guangzhou.", "ap-guangzhou"
    )
    tencent_secret_id: str = doc("Tencent Cloud API SecretId.", "")
    tencent_secret_key: str = doc("Tencent Cloud API SecretKey.", "")
    tencent_sms_sdk_app_id: str = doc("SMS application's SdkAppId, e.g. 1400006666.", "")
    tencent_sign_name: str = doc("Approved SMS signature (签名), e.g. 驿站通知.", "")
    tencent_template_arrival: str = doc("Approved template ID for arrival, e.g. 449739.", "")
    tencent_template_reminder: str = doc("Approved template ID for reminders.", "")
    tencent_template_return: str = doc("Approved template ID for the return notice.", "")
    tencent_params_arrival: list[str] = doc(
        "Message params filling the arrival template's {1}, {2}, … in order; names: "
        + ", ".join(PARAM_NAMES)
        + ".",
        ["station", "pickup_code", "address", "hours"],
    )
    tencent_params_reminder: list[str] = doc(
        "Params filling the reminder template's {1}, {2}, … in order.",
        ["station", "pickup_code", "days", "address", "hours"],
    )
    tencent_params_return: list[str] = doc(
        "Params filling the return template's {1}, {2}, … in order.",
        ["station", "pickup_code", "days", "address", "hours"],
    )
    timezone: str = doc("Stations' time zone, for quiet hours.", "Asia/Shanghai")
    quiet_start: str = doc(
        "Start of quiet hours (HH:MM station time): nothing is sent; equal to quiet_end: none.",
        "21:00",
    )
    quiet_end: str = doc("End of quiet hours (HH:MM station time).", "08:00")
    ladder_days: list[int] = doc(
        "Days after arrival on which a parcel still on the shelf gets a reminder.", [1, 3, 5]
    )
    return_after_days: int = doc(
        "Days after arrival on which a parcel still on the shelf gets the return notice; 0: never.",
        7,
    )
    keep_phone_days: int = doc("Days after pickup before a full number is deleted.", 30)
    collect_url: str = doc(
        "Public base URL of head office's pickup page (扫码取件), e.g. https://ho.example.com; "
        "empty: messages carry no link.",
        "",
    )
    token_valid_days: int = doc("Days a pickup QR stays valid.", 7)
    poll_s: float = doc("Seconds between two passes of the notify loop.", 30.0)
    default_station: StationInfo = field(
        default_factory=StationInfo,
        metadata={
            "doc": "Name, address and hours for stations without their own [[notify.stations]]."
        },
    )
    stations: list[StationInfo] = doc("Per-station name, address and hours.", [])

    def check(self) -> list[str]:
        errors = []
        for key in ("quiet_start", "quiet_end"):
            if not HHMM.fullmatch(getattr(self, key)):
                errors.append(f"{key}: expected HH:MM, e.g. 21:00")
        if self.gateway == "webhook" and not (self.webhook_url and self.webhook_secret):
            errors.append("webhook_url/webhook_secret: needed when gateway = 'webhook'")
        if self.gateway == "aliyun" and not (
            self.aliyun_access_key_id and self.aliyun_access_key_secret and self.aliyun_sign_name
        ):
            errors.append("aliyun_access_key_id/_secret/aliyun_sign_name: needed for aliyun")
        if self.gateway == "tencent" and not (
            self.tencent_secret_id
            and self.tencent_secret_key
            and self.tencent_sms_sdk_app_id
            and self.tencent_sign_name
        ):
            errors.append(
                "tencent_secret_id/_key/tencent_sms_sdk_app_id/tencent_sign_name: "
                "needed for tencent"
            )
        for kind in ("arrival", "reminder", "return"):
            unknown = set(getattr(self, f"tencent_params_{kind}")) - set(PARAM_NAMES)
            if unknown:
                errors.append(
                    f"tencent_params_{kind}: unknown {', '.join(sorted(unknown))} "
                    f"(expected some of {', '.join(PARAM_NAMES)})"
                )
        if any(d < 1 for d in self.ladder_days) or self.ladder_days != sorted(
            set(self.ladder_days)
        ):
            errors.append("ladder_days: expected rising whole days from 1, e.g. [1, 3, 5]")
        if self.keep_phone_days < 0 or self.token_valid_days < 1 or self.return_after_days < 0:
            errors.append("keep_phone_days/token_valid_days/return_after_days: out of range")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            errors.append(f"timezone: unknown zone {self.timezone!r}")
        return errors

    def __repr__(self) -> str:
        # A settings object printed into a log or traceback must not carry the secrets.
        shown = {
            f.name: (
                "***" if f.name in SECRET_KEYS and getattr(self, f.name) else getattr(self, f.name)
            )
            for f in fields(self)
        }
        return f"NotifySection({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

    def station(self, code: str) -> StationInfo:
        for s in self.stations:
            if s.code == code:
                return s
        return self.default_station

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass
class HeadOfficeConfig(Section):
    notify: NotifySection = field(
        default_factory=NotifySection, metadata={"doc": "Recipient notifications."}
    )


def parse(text: str, source: str = FILE_NAME) -> HeadOfficeConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    try:
        config: HeadOfficeConfig = _load_section(HeadOfficeConfig, data, "")
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    return config


def load(folder: Path) -> HeadOfficeConfig:
    """The data folder's head-office.toml; a missing file means all defaults."""
    path = folder / FILE_NAME
    if not path.exists():
        return HeadOfficeConfig()
    return parse(path.read_text(encoding="utf-8"), str(path))


START, END = "<!-- area:head-office-toml -->", "<!-- /area:head-office-toml -->"


def reference_markdown() -> str:
    """The README's table of head-office.toml keys, made from the dataclasses above."""
    from edge.config import reference

    lines = [START, "| key | type | default | meaning |", "|---|---|---|---|"]
    for key in reference(HeadOfficeConfig):
        default = f"`{key.default}`" if key.default else ""
        kind = key.type.replace("|", "\\|")  # a pipe would end the table cell
        lines.append(f"| `{key.key}` | {kind} | {default} | {key.doc} |")
    return "\n".join([*lines, END])


if __name__ == "__main__":  # rewrite the README's table: python -m sync.headoffice.notify.config
    readme = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    text = readme.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    readme.write_text(head + reference_markdown() + tail, encoding="utf-8")
