"""udev rules for the configured guns: pure text from the config, no I/O."""

from __future__ import annotations

import re

from edge.devices.settings import ScannerSection

RULES_NAME = "70-station-edge.rules"
PLACEHOLDER = "@SCANNER_RULES@"
# The service's primary group: configured guns get it, other keyboards stay group input.
GUN_GROUP = "station"

_USB = re.compile(r"(?:usb:|vid:pid:)?([0-9a-fA-F]{4}):([0-9a-fA-F]{4})")
_UNSAFE = re.compile(r'["\\\n\r]')


class RuleError(ValueError):
    """A [[scanners]] entry that cannot become a udev rule; the message says which and why."""


def link_name(name: str) -> str:
    """The /dev/station/scanner-<name> link's last part: letters, digits, - _ . only."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.")
    return cleaned or "gun"


def match_keys(match: str) -> str:
    """udev match keys selecting what the scanner's ``match`` selects (edge.devices.guns).

    Accepts a /dev/input/by-id or by-path link, /dev/input/eventN, ``name:GLOB``,
    ``serial:GLOB`` (the input device's uniq) or a USB ``vid:pid`` (also written
    ``usb:VVVV:PPPP`` or ``vid:pid:VVVV:PPPP``).
    """
    value = match.strip()
    if _UNSAFE.search(value):
        raise RuleError(f"match {match!r}: quotes, backslashes and newlines cannot go in a rule")
    if value.startswith(("/dev/input/by-id/", "/dev/input/by-path/")):
        # 60-persistent-input.rules made this link before our rules run.
        return f'SYMLINK=="{value.removeprefix("/dev/")}"'
    if re.fullmatch(r"/dev/input/event[0-9]+", value):
        return f'KERNEL=="{value.removeprefix("/dev/input/")}"'
    kind, _, rest = value.partition(":")
    if kind == "name" and rest:
        return f'ATTRS{{name}}=="{rest}"'
    if kind == "serial" and rest:
        return f'ATTRS{{uniq}}=="{rest}"'
    usb = _USB.fullmatch(value)
    if usb:
        vid, pid = (g.lower() for g in usb.groups())
        return f'ATTRS{{idVendor}}=="{vid}", ATTRS{{idProduct}}=="{pid}"'
    raise RuleError(
        f"match {match!r}: a udev rule needs /dev/input/by-id/…, /dev/input/by-path/…, "
        "name:…, serial:… or a USB vid:pid such as 0c2e:0b61"
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
