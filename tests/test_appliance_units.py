"""The systemd units verify, are hardened as documented, and the udev rules render."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from edge.appliance import udev
from edge.devices.settings import ScannerSection

TOP = Path(__file__).resolve().parents[1]
UNITS = sorted(p for p in (TOP / "systemd").iterdir() if p.suffix in (".service", ".timer"))
SERVICES = [p for p in UNITS if p.suffix == ".service"]
LONG_RUNNING = [p for p in SERVICES if p.name != "station-nightly.service"]
SYSTEM_UNITS = Path("/usr/lib/systemd/system")

needs_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None or not SYSTEM_UNITS.is_dir(),
    reason="systemd-analyze is not installed (Debian package: systemd)",
)


def unit(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path)
    return parser


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root with systemd's own units, ours, and an executable where ExecStart points."""
    root = tmp_path_factory.mktemp("root")
    shutil.copytree(SYSTEM_UNITS, root / "usr/lib/systemd/system", symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    for path in UNITS:
        shutil.copy(path, root / "etc/systemd/system" / path.name)
    station = root / "opt/station-edge/venv/bin/station"
    station.parent.mkdir(parents=True)
    station.write_text("#!/bin/sh\n")
    station.chmod(0o755)
    return root


def test_the_units_are_there() -> None:
    names = {p.name for p in UNITS}
    assert {
        "station-scanner.service",
        "station-web.service",
        "station-sync.service",
        "station-head-office.service",
        "station-nightly.service",
        "station-nightly.timer",
    } <= names


@needs_analyze
@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_unit_verifies_without_a_warning(root: Path, path: Path) -> None:
    done = subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}", path.name],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    # verify reports unknown keys and bad values as warnings with exit status 0.
    assert done.stderr.strip() == "", done.stderr


@pytest.mark.parametrize("path", LONG_RUNNING, ids=lambda p: p.name)
def test_long_running_units_are_watched_and_restarted(path: Path) -> None:
    s = unit(path)["Service"]
    assert s["Type"] == "notify"
    assert int(s["WatchdogSec"]) > 0
    assert s["Restart"] == "always"
    assert int(s["RestartSec"]) > 0
    assert s["ExecStart"].startswith("/opt/station-edge/venv/bin/station ")
    assert unit(path)["Unit"]["StartLimitIntervalSec"] == "0"


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_services_run_hardened_as_station(path: Path) -> None:
    s = unit(path)["Service"]
    assert s["User"] == "station"
    assert s["StateDirectory"].startswith("station-")
    assert s["ConfigurationDirectory"] == "station-edge"
    assert "STATION_CONFIG=/etc/station-edge/station.toml" in s["Environment"]
    for key in (
        "NoNewPrivileges",
        "ProtectHome",
        "PrivateTmp",
        "ProtectKernelTunables",
        "ProtectControlGroups",
        "LockPersonality",
        "RestrictSUIDSGID",
    ):
        assert s[key] == "yes", key
    assert s["ProtectSystem"] == "strict"
    assert "\nSystemCallFilter=@system-service\n" in path.read_text()
    assert "ReadWritePaths" not in s  # StateDirectory= is the only writable place
    assert s["StandardError"] == "journal"


def test_scanner_reaches_devices_and_udev_but_no_network() -> None:
    s = unit(TOP / "systemd/station-scanner.service")["Service"]
    assert set(s["RestrictAddressFamilies"].split()) == {"AF_UNIX", "AF_NETLINK"}
    text = (TOP / "systemd/station-scanner.service").read_text()
    assert "DeviceAllow=char-input rw" in text
    assert "DeviceAllow=char-ttyUSB rw" in text
    assert "PrivateDevices" not in text
    assert s["SupplementaryGroups"] == "dialout"


@pytest.mark.parametrize("name", ["station-web.service", "station-sync.service"])
def test_web_and_sync_see_no_devices(name: str) -> None:
    s = unit(TOP / "systemd" / name)["Service"]
    assert s["PrivateDevices"] == "yes"
    assert s["MemoryDenyWriteExecute"] == "yes"


def test_sync_waits_for_the_network() -> None:
    u = unit(TOP / "systemd/station-sync.service")["Unit"]
    assert "network-online.target" in u["After"]
    assert "network-online.target" in u["Wants"]


@needs_analyze
@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_security_exposure_is_low_and_in_the_readme(root: Path, path: Path) -> None:
    done = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", f"--root={root}", path.name],
        capture_output=True,
        text=True,
        timeout=60,
    )
    found = re.search(r"Overall exposure level for \S+: ([0-9.]+)", done.stdout)
    assert found, done.stdout + done.stderr
    exposure = float(found.group(1))
    assert exposure <= 2.0, done.stdout
    readme = (TOP / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"\| `{re.escape(path.name)}` \| {exposure} ", readme), (
        f"README's exposure table should say {exposure} for {path.name}"
    )


def test_rules_for_each_kind_of_match() -> None:
    template = (TOP / "systemd" / (udev.RULES_NAME + ".in")).read_text()
    scanners = [
        ScannerSection(name="desk 1", match="0C2E:0b61"),
        ScannerSection(name="desk-2", match="name:Honeywell*"),
        ScannerSection(name="desk-3", match="/dev/input/by-id/usb-Zebra_Scanner-event-kbd"),
        ScannerSection(name="desk-4", match="serial:S12345"),
        ScannerSection(name="desk-5", match="usb:05E0:1200"),
        ScannerSection(name="desk-6", match="/dev/input/event7"),
    ]
    text = udev.render(template, scanners)
    assert udev.PLACEHOLDER not in text
    assert (
        'ATTRS{idVendor}=="0c2e", ATTRS{idProduct}=="0b61", SYMLINK+="station/scanner-desk-1"'
        in text
    )
    assert 'ATTRS{name}=="Honeywell*"' in text
    assert 'SYMLINK=="input/by-id/usb-Zebra_Scanner-event-kbd"' in text
    assert 'ATTRS{uniq}=="S12345"' in text
    assert 'ATTRS{idVendor}=="05e0", ATTRS{idProduct}=="1200"' in text
    assert 'KERNEL=="event7"' in text
    assert text.count('GROUP="station", MODE="0660"') == 6
    for vid, pid in (("1a86", "7523"), ("10c4", "ea60"), ("0403", "6001"), ("0403", "6015")):
        assert f'ATTRS{{idVendor}}=="{vid}", ATTRS{{idProduct}}=="{pid}"' in text
    assert 'ENV{ID_MM_DEVICE_IGNORE}="1"' in text
    assert 'GROUP="dialout"' in text
    assert 'SYMLINK+="station/scale-' in text
    # Every GOTO has its LABEL.
    assert set(re.findall(r'GOTO="(\w+)"', text)) <= set(re.findall(r'LABEL="(\w+)"', text))


def test_no_gun_configured_gives_no_keyboard_away() -> None:
    template = (TOP / "systemd" / (udev.RULES_NAME + ".in")).read_text()
    text = udev.render(template, [])
    assert 'GROUP="station"' not in text


@pytest.mark.parametrize(
    "match", ['name:"evil"', "1234", "vid:pid:zzzz:0001", "by-id/x", "/dev/station/scanner-a"]
)
def test_bad_matches_are_refused(match: str) -> None:
    with pytest.raises(udev.RuleError, match="match"):
        udev.match_keys(match)


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_services_fit_a_512_mb_board(path: Path) -> None:
    s = unit(path)["Service"]
    assert "MALLOC_ARENA_MAX=2" in s["Environment"].split()
    high, most = (int(s[key].removesuffix("M")) for key in ("MemoryHigh", "MemoryMax"))
    assert 0 < high < most <= 256


@pytest.mark.parametrize(
    "name", ["station-scanner", "station-web", "station-sync", "station-nightly"]
)
def test_station_services_migrate_before_they_start(name: str) -> None:
    s = unit(TOP / "systemd" / f"{name}.service")["Service"]
    assert s["ExecStartPre"] == "/opt/station-edge/venv/bin/station migrate"
