"""The messages a recipient reads, in Chinese: arrival, reminder, return notice."""

from __future__ import annotations

from typing import Literal

Kind = Literal["arrival", "reminder", "return"]

TEMPLATES: dict[str, str] = {
    "arrival": (
        "【{station}】您的包裹已到站，取件码 {pickup_code}，地址：{address}，"
        "营业时间：{hours}。{link}"
    ),
    "reminder": (
        "【{station}】您的包裹（取件码 {pickup_code}）已到站 {days} 天，请尽快领取。"
        "地址：{address}，营业时间：{hours}。{link}"
    ),
    "return": (
        "【{station}】您的包裹（取件码 {pickup_code}）已滞留 {days} 天，将于近日退回，"
        "如需领取请尽快到{address}（营业时间：{hours}）。"
    ),
}


def render(kind: str, params: dict[str, str]) -> str:
    """The message text; ``link`` becomes 扫码取件 followed by the URL when present."""
    values = dict(params)
    values["link"] = f"扫码取件：{params['link']}" if params.get("link") else ""
    values.setdefault("days", "")
    return TEMPLATES[kind].format(**values).strip()
