"""The demo's notification path: head office's notify loop on the `log` gateway, a day-3
reminder on an injected clock, and collection by scanning the arrival message's QR."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

# Demo recipients (made-up numbers): only head office ever holds them whole. The third
# recipient has not agreed to collection at a station (consent no: an amber answer at
# receive); the second parcel's sender wants a signed receipt (回单) with an ID back.
MANIFEST = """station,waybill,carrier,phone_last4,recipient_masked,phone,consent,receipt,hops
{station},SF1234567890123,sf,8000,张*,13800138000,yes,,
{station},75123456789012,zto,9000,李*,13900139000,yes,signature+id,2
{station},YT7512345678901,yto,7000,王*,13700137000,no,,
"""
TOML = """[notify]
gateway = "log"
# The demo runs at any hour: no quiet hours (equal start and end).
quiet_start = "00:00"
quiet_end = "00:00"
poll_s = 1.0
collect_url = "{url}"

[notify.default_station]
name = "演示驿站"
address = "科技园南区12栋1楼"
hours = "08:00-21:00"
"""
WAYBILLS = [line.split(",")[1] for line in MANIFEST.splitlines()[1:]]


def prepare(ho_dir: Path, station: str, ho_url: str, station_cmd: Callable[..., list[str]]) -> None:
    """head-office.toml for the demo, and its manifest, imported as a chain would with
    `station head-office manifest import` (the full numbers stay at head office)."""
    ho_dir.mkdir(parents=True, exist_ok=True)
    toml = ho_dir / "head-office.toml"
    if not toml.exists():
        toml.write_text(TOML.format(url=ho_url), encoding="utf-8")
    manifest = ho_dir / "demo-manifest.csv"
    manifest.write_text(MANIFEST.format(station=station), encoding="utf-8")
    subprocess.run(
        [*station_cmd("head-office", "manifest", "import", str(manifest)), "--data", str(ho_dir)],
        check=True,
        capture_output=True,
    )


def messages(ho_dir: Path) -> list[dict[str, str]]:
    path = ho_dir / "messages.log"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def day_three(
    ho_dir: Path, station_cmd: Callable[..., list[str]], wait_s: float, received: int
) -> str | None:
    """Wait for the arrival messages of the ``received`` demo parcels, run one notify pass
    three days on, print what went out; returns the pickup token of a parcel still on
    the shelf."""
    deadline = time.monotonic() + wait_s
    while len(messages(ho_dir)) < received and time.monotonic() < deadline:
        time.sleep(0.3)
    later = (datetime.now(UTC) + timedelta(days=3, minutes=1)).isoformat(timespec="seconds")
    cmd = [*station_cmd("head-office", "notify", "run", "--once", "--now", later),
           "--data", str(ho_dir)]  # fmt: skip
    subprocess.run(cmd, check=False, capture_output=True)
    sent = messages(ho_dir)
    print(f"Messages head office sent ({ho_dir / 'messages.log'}, day 3 by an injected clock):")
    for m in sent:
        print(f"  {m['template']:8} {m['text']}")
    links = [m["text"].rsplit("扫码取件：", 1)[1] for m in sent if "扫码取件：" in m["text"]]
    tokens = [link.rsplit("/", 1)[1] for link in links]
    return tokens[-1] if tokens else None
