"""udev rules for the configured guns: pure text from the config, no I/O."""

from __future__ import annotations

import re

from edge.devices.settings import ScannerSection

RULES_NAME = "70-station-edge.rules"
PLACEHOLDER = "@SCANNER_RULES@"
# The service's primary group: configured guns get it, other keyboards stay group input.
GUN_GROUP = "station"

_HEX4 = re.compile(r"^[0-9a-fA-F]{4}$")
_UNSAFE = re.compile(r'["\\\n\r]')


class RuleError(ValueError):
    """A [[scanners]] entry that cannot become a udev rule; the message says which and why."""


def link_name(name: str) -> str:
    """The /dev/station/scanner-<name> link's last part: letters, digits, - _ . only."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.")
    return cleaned or "gun"


def match_keys(match: str) -> str:
    """udev match keys for a [[scanners]].match value.

    Accepts a /dev/input/by-id or by-path link, ``name:GLOB``, ``serial:GLOB`` or a USB
    ``vid:pid`` (optionally written ``vid:pid:VVVV:PPPP`` or ``usb:VVVV:PPPP``).
    """
    value = match.strip()
    if _UNSAFE.search(value):
        raise RuleError(f"match {match!r}: quotes, backslashes and newlines cannot go in a rule")
    for prefix in ("/dev/input/by-id/", "/dev/input/by-path/"):
        if value.startswith(prefix):
            # 60-persistent-input.rules made this link before our rules run.
            return f'SYMLINK=="{value.removeprefix("/dev/")}"'
    kind, _, rest = value.partition(":")
    if kind == "name" and rest:
        return f'ATTRS{{name}}=="{rest}"'
    if kind == "serial" and rest:
        return f'ATTRS{{serial}}=="{rest}"'
    parts = value.split(":")
    if parts[:2] == ["vid", "pid"] or parts[:1] == ["usb"]:
        parts = parts[2:] if parts[0] == "vid" else parts[1:]
    if len(parts) == 2 and all(_HEX4.match(p) for p in parts):
        vid, pid = (p.lower() for p in parts)
        return f'ATTRS{{idVendor}}=="{vid}", ATTRS{{idProduct}}=="{pid}"'
    raise RuleError(
        f"match {match!r}: expected /dev/input/by-id/…, /dev/input/by-path/…, name:…, "
        "serial:… or a USB vid:pid such as 0c2e:0b61"
    )


def scanner_rules(scanners: list[ScannerSection]) -> str:
    """One rule line per configured gun (a comment when there are none)."""
    if not scanners:
        return "# No [[scanners]] configured: no keyboard is given to the station user."
    lines = []
    for scanner in scanners:
        lines.append(f"# [[scanners]] {scanner.name}")
        lines.append(
            f'{match_keys(scanner.match)}, SYMLINK+="station/scanner-{link_name(scanner.name)}", '
            f'GROUP="{GUN_GROUP}", MODE="0660"'
        )
    return "\n".join(lines)


def render(template: str, scanners: list[ScannerSection]) -> str:
    """The rules file: the template with the configured guns filled in."""
    if PLACEHOLDER not in template:
        raise RuleError(f"rules template has no {PLACEHOLDER} line")
    return template.replace(PLACEHOLDER, scanner_rules(scanners))
