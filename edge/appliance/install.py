"""`station install`: the user, the venv, the config, the units and rules, enabled.

Idempotent: a second run changes nothing that is already right, so running it again is
also how a station is updated. With a root other than ``/`` (an SD card mounted
elsewhere, or a test folder) every file is written under that root, the account goes
into the root's own passwd/group files, and the commands a live system would run
(venv, pip, systemctl, udevadm) are only written to ``<root>/station-edge-install.log``.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from edge import config as config_mod
from edge.appliance import udev
from edge.store.base import DB_NAME

log = logging.getLogger(__name__)

USER = "station"
# Scales are group dialout. Guns are not reached through group "input" (that would hand
# every keyboard to the station user): udev gives the configured ones group "station".
GROUPS = ("dialout",)
HOME = "/var/lib/station-edge"
DATA_DIRS = ("/var/lib/station-edge", "/var/lib/station-head-office")
OPT = "/opt/station-edge"
VENV = OPT + "/venv"
ETC = "/etc/station-edge"
CONFIG = ETC + "/station.toml"
UNIT_DIR = "/etc/systemd/system"
RULES = "/etc/udev/rules.d/" + udev.RULES_NAME
WRAPPER = "/usr/local/bin/station"
PLAN_LOG = "station-edge-install.log"
STATION_UNITS = (
    "station-scanner.service",
    "station-web.service",
    "station-sync.service",
    "station-printer.service",
    "station-nightly.timer",
)
HEAD_OFFICE_UNITS = ("station-head-office.service",)
ALL_UNITS = (
    "station-scanner.service",
    "station-web.service",
    "station-sync.service",
    "station-printer.service",
    "station-nightly.service",
    "station-nightly.timer",
    "station-head-office.service",
    "station-notify.service",
)
NIGHTLY_DROPIN = "station-nightly.service.d/backup-dir.conf"
# Debian's fixed ids (base-passwd), used when an offline root has no such group yet.
STATIC_GIDS = {"dialout": 20}

# Root keeps only `install` and `devices` (listing every input device needs root);
# everything else runs as the station user, so that files in the data folder (the
# database's -wal and -shm among them) never end up owned by root.
WRAPPER_TEXT = f"""#!/bin/sh
# Station Edge: run `station` against the installed station's data and config.
export STATION_DATA="${{STATION_DATA:-{HOME}}}"
export STATION_CONFIG="${{STATION_CONFIG:-{CONFIG}}}"
case "$(id -u) $1" in
  "0 install" | "0 devices") ;;
  "0 "*) exec runuser -u {USER} -- {VENV}/bin/station "$@" ;;
esac
exec {VENV}/bin/station "$@"
"""


class InstallError(RuntimeError):
    """Installation cannot go on; the message says what to do."""


@dataclass
class Host:
    """The system being installed: live (root ``/``) runs commands, any other root records them."""

    root: Path
    actions: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)

    @property
    def live(self) -> bool:
        return self.root.resolve() == Path("/")

    def path(self, absolute: str) -> Path:
        return self.root / absolute.lstrip("/")

    def run(self, *cmd: str) -> None:
        line = shlex.join(cmd)
        self.commands.append(line)
        if not self.live:
            return
        log.info("running: %s", line)
        done = subprocess.run(cmd, check=False)
        if done.returncode != 0:
            raise InstallError(f"`{line}` failed (exit status {done.returncode}); see above")
        self.actions.append(f"ran {line}")

    def write(self, absolute: str, text: str, mode: int = 0o644) -> None:
        target = self.path(absolute)
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            if target.stat().st_mode & 0o7777 != mode:
                target.chmod(mode)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.chmod(mode)
        tmp.replace(target)
        self.actions.append(f"wrote {absolute}")

    def remove(self, absolute: str) -> None:
        target = self.path(absolute)
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.is_dir():
            shutil.rmtree(target)
        else:
            return
        self.actions.append(f"removed {absolute}")

    def save_log(self) -> None:
        """Outside a live system, keep what would have been run, for review."""
        if self.live or not self.commands:
            return
        with self.path(PLAN_LOG).open("a", encoding="utf-8") as f:
            f.writelines(c + "\n" for c in self.commands)


def project_dir() -> Path | None:
    """The source checkout this code runs from, if it is one."""
    top = Path(__file__).resolve().parents[2]
    return top if (top / "pyproject.toml").is_file() and (top / "systemd").is_dir() else None


@dataclass
class Options:
    root: Path = Path("/")
    source: Path | None = None
    config_from: Path | None = None
    head_office: bool = False
    display: bool = False


# Without a CJK font Debian's Chromium draws every Chinese character as a box.
CJK_FONT_PACKAGE = "fonts-noto-cjk"


def display_attached(host: Host) -> bool:
    """A screen on the Pi's HDMI or DSI connector (the kiosk), as the kernel reports it."""
    drm = host.path("/sys/class/drm")
    return any(
        status.read_text(encoding="ascii", errors="replace").strip() == "connected"
        for status in drm.glob("card*-*/status")
    )


def install(opts: Options) -> Host:
    host = Host(opts.root)
    source = opts.source or project_dir()
    if source is None or not (source / "systemd").is_dir():
        raise InstallError(
            "cannot find the unit files: run from a source checkout or pass --source CHECKOUT"
        )
    if host.live and os.geteuid() != 0:
        raise InstallError("installing needs root: run it with sudo")
    ensure_user(host)
    ensure_venv(host, source)
    config = ensure_config(host, opts.config_from)
    units = sorted(p for p in (source / "systemd").iterdir() if p.name in ALL_UNITS)
    for unit in units:
        host.write(f"{UNIT_DIR}/{unit.name}", unit.read_text(encoding="utf-8"))
    backup_dropin(host, config.appliance.backup_dir)
    template = (source / "systemd" / (udev.RULES_NAME + ".in")).read_text(encoding="utf-8")
    try:
        rules = udev.render(template, config.scanners)
    except udev.RuleError as exc:
        raise InstallError(f"{CONFIG}: [[scanners]] {exc}") from None
    host.write(RULES, rules)
    host.write(WRAPPER, WRAPPER_TEXT, 0o755)
    host.run("udevadm", "control", "--reload")
    host.run(
        "udevadm", "trigger", "--action=change", "--subsystem-match=input", "--subsystem-match=tty"
    )
    if not opts.head_office:
        first_database(host)
    if not opts.head_office and (opts.display or display_attached(host)):
        host.run("apt-get", "install", "-y", "--no-install-recommends", CJK_FONT_PACKAGE)
    enable(host, HEAD_OFFICE_UNITS if opts.head_office else STATION_UNITS)
    host.save_log()
    return host


def first_database(host: Host) -> None:
    """Make the station's database on the first install only: afterwards the services
    refuse to start without it (each runs `station migrate` first), so a lost database
    is an alarm rather than a quiet fresh start."""
    if host.path(f"{HOME}/{DB_NAME}").exists():
        return
    host.run("install", "-d", "-o", USER, "-g", USER, "-m", "0750", HOME)
    host.run("runuser", "-u", USER, "--", f"{VENV}/bin/station", "--data", HOME,
             "--config", CONFIG, "init")  # fmt: skip


def uninstall(root: Path, purge: bool) -> Host:
    """Stop and remove the services; the data and config stay unless ``purge``."""
    host = Host(root)
    if host.live and os.geteuid() != 0:
        raise InstallError("uninstalling needs root: run it with sudo")
    installed = [u for u in ALL_UNITS if host.path(f"{UNIT_DIR}/{u}").exists()]
    if installed:
        host.run("systemctl", "disable", "--now", *installed)
    for unit in ALL_UNITS:
        for wants in ("multi-user.target.wants", "timers.target.wants"):
            host.remove(f"{UNIT_DIR}/{wants}/{unit}")
        host.remove(f"{UNIT_DIR}/{unit}")
    host.remove(f"{UNIT_DIR}/station-nightly.service.d")
    host.remove(RULES)
    host.remove(WRAPPER)
    host.remove(OPT)
    host.run("systemctl", "daemon-reload")
    host.run("udevadm", "control", "--reload")
    if purge:
        for path in (ETC, *DATA_DIRS):
            host.remove(path)
        remove_user(host)
    host.save_log()
    return host


def ensure_user(host: Host) -> None:
    if host.live:
        if _live_user_exists():
            host.run("usermod", "--append", "--groups", ",".join(GROUPS), USER)
        else:
            host.run(
                "useradd",
                "--system",
                "--user-group",
                "--home-dir",
                HOME,
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                "--comment",
                "Station Edge",
                "--groups",
                ",".join(GROUPS),
                USER,
            )
            host.actions.append(f"created user {USER}")
        return
    passwd, group = host.path("/etc/passwd"), host.path("/etc/group")
    users, groups = _read_db(passwd), _read_db(group)
    if USER not in users:
        taken = {int(f[2]) for f in users.values()} | {int(f[2]) for f in groups.values()}
        # useradd --system counts down from 999.
        uid = next(n for n in range(999, 99, -1) if n not in taken)
        groups.setdefault(USER, [USER, "x", str(uid), ""])
        users[USER] = [
            USER,
            "x",
            str(uid),
            groups[USER][2],
            "Station Edge",
            HOME,
            "/usr/sbin/nologin",
        ]
        host.actions.append(f"created user {USER}")
    for name in GROUPS:
        gid = STATIC_GIDS.get(name) or _free_gid(groups)
        entry = groups.setdefault(name, [name, "x", str(gid), ""])
        members = [m for m in entry[3].split(",") if m]
        if USER not in members:
            entry[3] = ",".join([*members, USER])
            host.actions.append(f"added {USER} to group {name}")
    _write_db(host, "/etc/passwd", users)
    _write_db(host, "/etc/group", groups)


def remove_user(host: Host) -> None:
    if host.live:
        if _live_user_exists():
            host.run("userdel", USER)
        return
    users, groups = _read_db(host.path("/etc/passwd")), _read_db(host.path("/etc/group"))
    if users.pop(USER, None) is not None:
        host.actions.append(f"removed user {USER}")
    groups.pop(USER, None)
    for entry in groups.values():
        entry[3] = ",".join(m for m in entry[3].split(",") if m and m != USER)
    _write_db(host, "/etc/passwd", users)
    _write_db(host, "/etc/group", groups)


def ensure_venv(host: Host, source: Path) -> None:
    venv = host.path(VENV)
    if host.live and Path(sys.prefix).resolve() == venv.resolve():
        log.info("running from %s: updating it in place", VENV)
    elif not (venv / "bin" / "python").exists():
        host.run(sys.executable, "-m", "venv", VENV)
    host.run(f"{VENV}/bin/pip", "install", "--upgrade", str(source))


def ensure_config(host: Host, config_from: Path | None) -> config_mod.Config:
    """Keep an existing config; otherwise copy the one given, or write the commented default."""
    target = host.path(CONFIG)
    if not target.exists():
        if config_from is not None and config_from.exists():
            text = config_from.read_text(encoding="utf-8")
            config_mod.parse(text, str(config_from))
        else:
            text = config_mod.commented_template()
        host.write(CONFIG, text, 0o640)
        host.run("chown", f"root:{USER}", CONFIG)
        host.run("chmod", "0750", ETC)
        host.run("chown", f"root:{USER}", ETC)
    return config_mod.load(target)


def backup_dropin(host: Host, backup_dir: str) -> None:
    """A backup folder outside the data folder must be writable under ProtectSystem=strict."""
    if backup_dir and not Path(backup_dir).is_relative_to(HOME):
        host.write(f"{UNIT_DIR}/{NIGHTLY_DROPIN}", f"[Service]\nReadWritePaths={backup_dir}\n")
        host.path(backup_dir).mkdir(parents=True, exist_ok=True)
        host.run("chown", f"{USER}:{USER}", backup_dir)
    else:
        host.remove(f"{UNIT_DIR}/{NIGHTLY_DROPIN}")


def enable(host: Host, units: Iterable[str]) -> None:
    """Enable at boot and (re)start now; offline, make the links `systemctl enable` makes."""
    units = list(units)
    host.run("systemctl", "daemon-reload")
    host.run("systemctl", "enable", *units)
    host.run("systemctl", "restart", *units)
    if host.live:
        return
    for unit in units:
        for target in _wanted_by(host.path(f"{UNIT_DIR}/{unit}")):
            link = host.path(f"{UNIT_DIR}/{target}.wants/{unit}")
            if not link.is_symlink():
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to(f"{UNIT_DIR}/{unit}")
                host.actions.append(f"enabled {unit}")


def _wanted_by(unit_file: Path) -> list[str]:
    targets: list[str] = []
    for line in unit_file.read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "WantedBy":
            targets += value.split()
    return targets


def _live_user_exists() -> bool:
    import pwd

    try:
        pwd.getpwnam(USER)
    except KeyError:
        return False
    return True


def _read_db(path: Path) -> dict[str, list[str]]:
    """An /etc/passwd or /etc/group file as name -> fields, in file order."""
    if not path.exists():
        return {}
    rows = (line.split(":") for line in path.read_text(encoding="utf-8").splitlines() if line)
    return {fields[0]: fields for fields in rows}


def _write_db(host: Host, absolute: str, entries: dict[str, list[str]]) -> None:
    host.write(absolute, "".join(":".join(f) + "\n" for f in entries.values()))


def _free_gid(groups: dict[str, list[str]]) -> int:
    taken = {int(f[2]) for f in groups.values()}
    return next(n for n in range(999, 99, -1) if n not in taken)
