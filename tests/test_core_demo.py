"""The README's demo command end to end: codes typed into the simulated gun are recorded,
answered, and reach the local head office."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_demo_station_records_and_syncs(tmp_path: Path) -> None:
    codes = (
        "SF1234567890123\n#weight 1250\n75123456789012\nRB123456784GB\nYT7512345678901\n"
        "MODE:SIGN\nSF1234567890123\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "edge.cli", "--data", str(tmp_path / "demo"), "demo",
         "--web-port", str(free_port()), "--head-office-port", str(free_port()), "--wait", "40"],
        input=codes,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )  # fmt: skip
    out = result.stdout
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [line for line in out.splitlines() if line.startswith(("ACCEPTED", "REFUSED"))]
    assert len(lines) == 7, out
    assert re.search(r"入库 \d+-\d+-\d+", lines[0]), lines[0]
    assert "scans of made-up history (device demo-history)" in out
    assert "1.250 kg" in lines[1], "the scale's stable weight joins the receive scan"
    assert lines[2].startswith("REFUSED") and "校验位" in lines[2]
    # The manifest says this recipient did not agree to the station: received, amber.
    assert lines[3].startswith("ACCEPTED") and "收件人未同意放驿站" in lines[3], lines[3]
    assert "签收成功" in lines[5]
    assert "head office holds 2 scan(s) of SF1234567890123" in out
    assert "head office holds 1 scan(s) of 75123456789012" in out
    # Notifications: arrival messages, a day-3 reminder only for the parcel still on the
    # shelf, and the recipient's QR read by the gun.
    assert "arrival  【演示驿站】您的包裹已到站，取件码" in out
    reminders = re.findall(r"^  reminder .*取件码 ([\d-]+)）已到站 3 天", out, re.MULTILINE)
    still_on_shelf = [re.findall(r"入库 ([\d-]+)", lines[i])[0] for i in (1, 3)]
    assert sorted(reminders) == sorted(still_on_shelf), out
    assert "取件码有效：1 件" in lines[6]
    logs = "".join(p.read_text() for p in (tmp_path / "demo" / "logs").glob("*.log"))
    assert "13900139000" not in logs + out  # whole numbers only in the gateway's own file
    assert "13900139000" in (tmp_path / "demo" / "head-office" / "messages.log").read_text()


def test_demo_history_fills_every_page_once(tmp_path: Path) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from edge import config as config_mod
    from edge import demo_history
    from edge.store import Store

    config = config_mod.parse('[station]\ncode = "DEMO-0001"\n', "demo.toml")
    now = datetime(2026, 11, 28, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with Store(tmp_path / "station.db", create=True) as store:
        added = demo_history.seed(store, config, now)
        assert added > 30 and demo_history.seed(store, config, now) == 0
        states = {r[0] for r in store.all("SELECT DISTINCT state FROM parcels")}
        assert {"on_shelf", "signed", "dispatched"} <= states
        kinds = {r[0] for r in store.all("SELECT DISTINCT type FROM scans")}
        assert {"receive", "sign", "problem", "dispatch"} <= kinds
        marks = store.all("SELECT DISTINCT device, note FROM scans")
        assert [tuple(m) for m in marks] == [(demo_history.DEVICE, demo_history.NOTE)]
        # Some are left too long: received a week or more before now.
        old = store.one(
            "SELECT COUNT(*) FROM parcels WHERE state = 'on_shelf' AND received_at < ?",
            ("2026-11-21",),
        )
        assert old is not None and old[0] > 0
