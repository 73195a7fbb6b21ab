"""`station install --root DIR` into a throwaway root: result, idempotence, uninstall, purge."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from edge.appliance import install
from edge.cli import main

CONFIG = """
[station]
code = "SZ-NS-0042"

[appliance]
backup_dir = "/srv/station-backups"

[[scanners]]
name = "desk-1"
match = "0c2e:0b61"

[[scales]]
name = "scale-1"
port = "/dev/station/scale-platform-usb-0_1_2_1_0"
"""

STATION_UNITS = (
    "station-scanner.service",
    "station-web.service",
    "station-sync.service",
    "station-printer.service",
)


def entries(path: Path) -> dict[str, list[str]]:
    return {line.split(":")[0]: line.split(":") for line in path.read_text().splitlines()}


def run(root: Path, config: Path, *extra: str) -> int:
    return main(
        [
            "--data",
            str(root.parent / "cwd-data"),
            "--config",
            str(config),
            "install",
            "--root",
            str(root),
            *extra,
        ]
    )


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    # An existing system: its users and groups must survive untouched.
    (root / "etc/passwd").write_text(
        "root:x:0:0:root:/root:/bin/bash\npi:x:1000:1000::/home/pi:/bin/bash\n"
        "_apt:x:999:65534::/nonexistent:/usr/sbin/nologin\n"
    )
    (root / "etc/group").write_text("root:x:0:\ndialout:x:20:pi\npi:x:1000:\n")
    return root


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "station.toml"
    path.write_text(CONFIG)
    return path


def test_install_into_a_root(root: Path, config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(root, config) == 0
    out = capsys.readouterr().out
    assert "created user station" in out

    users, groups = entries(root / "etc/passwd"), entries(root / "etc/group")
    assert users["root"][2] == "0" and users["pi"][2] == "1000"
    station = users["station"]
    assert station[5] == "/var/lib/station-edge"
    assert station[6] == "/usr/sbin/nologin"
    assert int(station[2]) < 1000 and station[2] != "999"  # a free system id
    assert groups["station"][2] == station[3]
    assert groups["dialout"][3].split(",") == ["pi", "station"]

    units = root / "etc/systemd/system"
    source = install.project_dir()
    assert source is not None
    for name in install.ALL_UNITS:
        assert (units / name).read_text() == (source / "systemd" / name).read_text()
    for name in STATION_UNITS:
        link = units / "multi-user.target.wants" / name
        assert link.is_symlink() and str(link.readlink()) == f"/etc/systemd/system/{name}"
    assert (units / "timers.target.wants/station-nightly.timer").is_symlink()
    assert not (units / "multi-user.target.wants/station-head-office.service").exists()
    assert (
        "ReadWritePaths=/srv/station-backups"
        in (units / "station-nightly.service.d/backup-dir.conf").read_text()
    )

    rules = (root / "etc/udev/rules.d/70-station-edge.rules").read_text()
    assert 'ATTRS{idVendor}=="0c2e", ATTRS{idProduct}=="0b61"' in rules
    assert 'SYMLINK+="station/scanner-desk-1", GROUP="station"' in rules
    assert (root / "etc/station-edge/station.toml").read_text() == CONFIG
    assert (root / "etc/station-edge/station.toml").stat().st_mode & 0o777 == 0o640
    wrapper = root / "usr/local/bin/station"
    assert wrapper.stat().st_mode & 0o111
    assert "/opt/station-edge/venv/bin/station" in wrapper.read_text()
    assert subprocess.run(["sh", "-n", str(wrapper)]).returncode == 0

    plan = (root / install.PLAN_LOG).read_text().splitlines()
    assert any(line.endswith("-m venv /opt/station-edge/venv") for line in plan)
    assert any(
        line.startswith("/opt/station-edge/venv/bin/pip install --upgrade ") for line in plan
    )
    assert "systemctl enable " + " ".join((*STATION_UNITS, "station-nightly.timer")) in plan
    assert "udevadm control --reload" in plan
    # The first install makes the database, as the station user; later ones never do.
    assert (
        "runuser -u station -- /opt/station-edge/venv/bin/station --data /var/lib/station-edge"
        " --config /etc/station-edge/station.toml init" in plan
    )
    assert "chown root:station /etc/station-edge/station.toml" in plan
    assert not (root / "opt/station-edge/venv").exists()  # recorded, not built


def test_second_run_changes_nothing(
    root: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(root, config) == 0
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    capsys.readouterr()
    assert run(root, config) == 0
    assert "nothing to change" in capsys.readouterr().out
    after = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    log = root / install.PLAN_LOG
    assert {p: b for p, b in after.items() if p != log} == {
        p: b for p, b in before.items() if p != log
    }
    assert entries(root / "etc/group")["dialout"][3] == "pi,station"


def test_an_owners_config_is_never_overwritten(root: Path, config: Path) -> None:
    mine = root / "etc/station-edge/station.toml"
    mine.parent.mkdir(parents=True)
    mine.write_text('[station]\ncode = "MINE-0001"\n')
    assert run(root, config) == 0
    assert mine.read_text() == '[station]\ncode = "MINE-0001"\n'


def test_uninstall_keeps_data_purge_removes_it(root: Path, config: Path) -> None:
    assert run(root, config) == 0
    data = root / "var/lib/station-edge"
    data.mkdir(parents=True)
    (data / "station.db").write_bytes(b"scans")
    (root / "opt/station-edge/venv/bin").mkdir(parents=True)

    assert run(root, config, "--uninstall") == 0
    units = root / "etc/systemd/system"
    assert not any(units.rglob("station-*"))
    assert not (root / "etc/udev/rules.d/70-station-edge.rules").exists()
    assert not (root / "usr/local/bin/station").exists()
    assert not (root / "opt/station-edge").exists()
    assert (data / "station.db").read_bytes() == b"scans"
    assert (root / "etc/station-edge/station.toml").exists()
    assert "station" in entries(root / "etc/passwd")
    assert "systemctl disable --now" in (root / install.PLAN_LOG).read_text()

    assert run(root, config, "--uninstall", "--purge") == 0
    assert not data.exists()
    assert not (root / "etc/station-edge").exists()
    users, groups = entries(root / "etc/passwd"), entries(root / "etc/group")
    assert "station" not in users and "station" not in groups
    assert groups["dialout"][3] == "pi"
    assert set(users) == {"root", "pi", "_apt"}


def test_head_office_enables_only_the_receiver(root: Path, config: Path) -> None:
    assert run(root, config, "--head-office") == 0
    wants = root / "etc/systemd/system/multi-user.target.wants"
    assert sorted(p.name for p in wants.iterdir()) == ["station-head-office.service"]


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed (Debian package: systemd)",
)
def test_installed_root_verifies(root: Path, config: Path) -> None:
    assert run(root, config) == 0
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    station = root / "opt/station-edge/venv/bin/station"
    station.parent.mkdir(parents=True)
    station.write_text("#!/bin/sh\n")
    station.chmod(0o755)
    done = subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}", *STATION_UNITS, "station-nightly.timer"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr


def test_a_gun_no_rule_can_match_stops_the_install(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[station]\ncode = "SZ-NS-0042"\n\n'
        '[[scanners]]\nname = "desk-1"\nmatch = "/dev/station/scanner-desk-1"\n'
    )
    assert run(root, bad) == 1
    err = capsys.readouterr().err
    assert "[[scanners]]" in err and "/dev/input/by-id" in err
    assert not (root / "etc/udev/rules.d/70-station-edge.rules").exists()
