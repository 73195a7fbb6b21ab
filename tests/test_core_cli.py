"""The core's commands as a clerk types them, against a real data folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edge.barcode import command_cards
from edge.cli import main


def run(data: Path, *words: str) -> int:
    return main(["--data", str(data), *words])


@pytest.fixture
def data(tmp_path: Path) -> Path:
    assert run(tmp_path / "st", "init", "--station", "SZ-NS-0042") == 0
    return tmp_path / "st"


def out_json(capsys: pytest.CaptureFixture[str]) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]


def test_init_writes_a_commented_config_that_checks(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (data / "station.toml").read_text()
    assert 'code = "SZ-NS-0042"' in text and "# Pickup code format" in text
    assert (data / "station.db").exists() and (data / "photos").is_dir()
    assert run(data, "config", "check") == 0
    assert "ok (station SZ-NS-0042" in capsys.readouterr().out


def test_config_check_names_the_bad_key(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (data / "station.toml").write_text("[scanning]\ndouble_read_windw_s = 2\n")
    assert run(data, "config", "check") == 2
    err = capsys.readouterr().err
    assert "station.toml" in err and "scanning.double_read_windw_s: unknown key" in err


def test_scan_json_and_exit_status(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(data, "scan", "--type", "receive", "--json", "--weight-g", "900",
               "--phone-last4", "5678", "SF1234567890123", "75123456789012")  # fmt: skip
    assert code == 0
    first, second = out_json(capsys)
    assert first["status"] == "accepted" and first["event_id"] and first["pickup_code"]
    assert first["shelf"] and first["message"] and first["waybill"] == "SF1234567890123"
    assert second["pickup_code"] != first["pickup_code"]
    # One refusal makes the exit status 1, and the other codes are still processed in order.
    code = run(data, "scan", "--type", "sign", "--json", "RB123456784GB", "SF1234567890123")
    assert code == 1
    bad, good = out_json(capsys)
    assert (bad["status"], bad["event_id"]) == ("refused", None)
    assert good["status"] == "accepted"


def test_parcel_history_report_export_and_overdue(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(data, "scan", "--type", "receive", "75123456789012")
    run(data, "scan", "--type", "problem", "--reason", "damaged", "75123456789012")
    capsys.readouterr()
    assert run(data, "parcel", "75123456789012") == 0
    out = capsys.readouterr().out
    assert "on_shelf" in out and "receive" in out and "damaged" in out
    assert run(data, "parcel", "NOPE1234") == 1
    assert run(data, "report", "daily", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["carriers"]["zto"]["received"] == 1
    assert report["carriers"]["zto"]["problems"] == 1
    assert report["carriers"]["zto"]["on_shelf"] == 1
    assert run(data, "export", "--format", "jsonl") == 0
    rows = out_json(capsys)
    assert [r["type"] for r in rows] == ["receive", "problem"]
    assert run(data, "parcels", "--older-than", "0d", "--json") == 0
    assert [p["waybill"] for p in out_json(capsys)] == ["75123456789012"]
    assert run(data, "parcels", "--older-than", "3d", "--json") == 0
    assert out_json(capsys) == []


def test_operator_add_and_cards(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(data, "operator", "add", "li", "--name", "Li Na", "--pin", "12") == 2
    assert "4 to 12 digits" in capsys.readouterr().err
    assert run(data, "operator", "add", "li", "--name", "Li Na", "--pin", "2468") == 0
    from edge.store import Store

    with Store(data / "station.db", create=True) as store:
        row = store.operator("li")
        assert row is not None and "2468" not in row["pin_hash"]
    out = tmp_path / "cards.html"
    assert run(data, "cards", "--out", str(out)) == 0
    page = out.read_text()
    for code in ("MODE:RECEIVE", "MODE:SIGN", "UNDO", "OP:OUT", "OP:li", "PROBLEM:DAMAGED"):
        assert f"<code>{code}</code>" in page
    assert page.count("<svg") == len(command_cards()) + 1 and "<rect" in page


def test_waybill_command(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(data, "waybill", "--json", "RB123456785GB") == 0
    assert out_json(capsys)[0]["check_digit"] == "ok"
    assert run(data, "waybill", "--json", "1Z999AA10123456785") == 0
    result = out_json(capsys)[0]
    assert result["carriers"] == [] and result["check_digit"] == "bad"


def test_data_option_after_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "late"
    assert main(["init", "--data", str(data)]) == 0
    capsys.readouterr()
    assert main(["scan", "--type", "receive", "--data", str(data), "--json", "75123456789012"]) == 0
    assert out_json(capsys)[-1]["status"] == "accepted"
    assert (data / "station.db").exists()


def test_operator_pin_asked_when_not_given(
    data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # No terminal here: the prompt's answers stand in for the typed PIN.
    answers = iter(["2468", "2469"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert run(data, "operator", "add", "wang", "--name", "Wang") == 2
    assert "differ" in capsys.readouterr().err
    answers = iter(["2468", "2468"])
    assert run(data, "operator", "add", "wang", "--name", "Wang") == 0


def test_each_area_registers_the_commands_the_table_names() -> None:
    import argparse
    import importlib

    from edge.cli import AREAS

    sub = argparse.ArgumentParser().add_subparsers()
    for name, commands in AREAS.items():
        before = set(sub.choices)
        importlib.import_module(name).register(sub)
        added = tuple(c for c in sub.choices if c not in before)
        # An area that extends another's command lists it too (desk adds `report monthly`).
        assert set(added) <= set(commands) and set(commands) <= set(sub.choices), name


def test_a_scan_loads_only_what_it_uses(data: Path) -> None:
    import subprocess
    import sys

    probe = (
        "import sys; from edge.cli import main;"
        f" code = main(['--data', {str(data)!r}, 'scan', '--type', 'receive', '75000000000001']);"
        " heavy = ('flask', 'werkzeug', 'requests', 'biip', 'sqlite_utils', 'barcode', 'web.app',"
        " 'cryptography',"
        " 'sync.station', 'sync.headoffice', 'edge.demo', 'edge.devices.cli');"
        " print(code, sorted(m for m in sys.modules if m.startswith(heavy)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.splitlines()[-1] == "0 []"


def test_the_uploader_loads_no_web_framework() -> None:
    """`station sync run` and `station printer run` are long-running: Flask and the head
    office's page would cost them memory they never use."""
    import subprocess
    import sys

    for command in ("sync run", "printer run"):
        probe = (
            "import sys; from edge.cli import areas_for, build_parser;"
            f" build_parser(areas_for({command.split()!r}));"
            " print(sorted(m for m in sys.modules"
            " if m.startswith(('flask', 'werkzeug', 'jinja2', 'sync.headoffice', 'web.app'))))"
        )
        done = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
        )
        assert done.stdout.splitlines()[-1] == "[]", command


def test_a_scan_at_a_station_with_a_gun_loads_no_evdev(data: Path) -> None:
    """Checking a [[scanners]] table needs key names, not evdev (and the asyncio it loads)."""
    import subprocess
    import sys

    with open(data / "station.toml", "a", encoding="utf-8") as config:
        config.write('\n[[scanners]]\nname = "desk-1"\nmatch = "usb:1a86:7523"\n')
    probe = (
        "import sys; from edge.cli import main;"
        f" code = main(['--data', {str(data)!r}, 'scan', '--type', 'receive', '75000000000001']);"
        " print(code, sorted(m for m in sys.modules if m.startswith(('evdev', 'asyncio'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.splitlines()[-1] == "0 []"
