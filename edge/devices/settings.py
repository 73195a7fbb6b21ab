"""The [[scanners]] and [[scales]] config tables."""

import re
from dataclasses import dataclass

from edge.config_base import Section, doc

# keymaps, not wedge: wedge loads evdev, which only the scanner needs.
from edge.devices.keymaps import LAYOUTS, TERMINATORS, WedgeSettings

MODES = ("receive", "dispatch", "sign", "problem", "stocktake")
USB_MATCH = re.compile(r"(?:usb:|vid:pid:)?([0-9a-fA-F]{4}):([0-9a-fA-F]{4})")
PROTOCOLS = ("cas", "toledo8217", "sics", "toledo_continuous", "xk3190a9")


@dataclass
class ScannerSection(Section):
    name: str = doc("Desk name shown on the page and recorded as the scan's device, e.g. desk-1.")
    match: str = doc(
        "Which input device: a /dev/input/by-id or by-path link, or name:/vid:pid:/serial: pattern."
    )
    mode: str = doc("Default scan type: receive, dispatch, sign, problem or stocktake.", "receive")
    layout: str = doc(
        "Key map of the gun: us (default) or another layout from the key map table.", "us"
    )
    scale: str = doc(
        "Name of the scale paired with this gun; its stable weight joins receive scans.", ""
    )
    terminators: list[str] = doc(
        "Keys that end a code: enter, kpenter, tab.", ["enter", "kpenter", "tab"]
    )
    idle_gap_ms: int = doc(
        "A code also ends after this many ms without a key (guns type every ~3 ms); 0 = never.",
        100,
    )
    min_length: int = doc("Codes shorter than this (without AIM prefix) are dropped as noise.", 4)
    max_length: int = doc("Codes longer than this (without AIM prefix) are dropped.", 512)
    grab: bool = doc(
        "Grab the gun so its keystrokes never reach a console or another program.", True
    )
    weight_max_age_s: float = doc(
        "A stable weight older than this many seconds is not attached to a receive scan.", 3.0
    )
    sound_accepted: str = doc("Command run after an accepted scan, e.g. aplay -q ok.wav.", "")
    sound_duplicate: str = doc("Command run after a duplicate scan.", "")
    sound_refused: str = doc("Command run after a refused scan or a failed write.", "")

    def wedge(self) -> WedgeSettings:
        return WedgeSettings(
            layout=self.layout,
            terminators=tuple(self.terminators),
            idle_gap_s=self.idle_gap_ms / 1000,
            min_length=self.min_length,
            max_length=self.max_length,
        )

    def check(self) -> list[str]:
        errors = []
        if not self.name:
            errors.append("name: a desk name such as desk-1")
        if not (
            self.match.startswith(("/", "name:", "serial:")) or USB_MATCH.fullmatch(self.match)
        ):
            errors.append(
                f"match: expected a /dev/input/by-id/… path, name:<glob>, usb:<vid>:<pid> or "
                f"serial:<glob>, got {self.match!r}"
            )
        if self.mode not in MODES:
            errors.append(f"mode: expected one of {', '.join(MODES)}, got {self.mode!r}")
        if self.layout not in LAYOUTS:
            errors.append(f"layout: expected one of {', '.join(sorted(LAYOUTS))}")
        if any(t not in TERMINATORS for t in self.terminators):
            errors.append(f"terminators: expected some of {', '.join(TERMINATORS)}")
        if self.weight_max_age_s <= 0:
            errors.append("weight_max_age_s: expected more than 0")
        return errors + self.wedge().check()


@dataclass
class ScaleSection(Section):
    name: str = doc("Scale name, referred to by scanners.scale.")
    port: str = doc("Serial port: a stable /dev/serial/by-id link or /dev/station/scale-* path.")
    protocol: str = doc("cas, toledo8217, sics, toledo_continuous or xk3190a9.", "cas")
    baud: int = doc("Baud rate; 0 = the protocol's usual (9600).", 0)
    bytesize: int = doc("Data bits, 7 or 8; 0 = the protocol's usual.", 0)
    parity: str = doc("Parity N, E or O; empty = the protocol's usual.", "")
    stopbits: int = doc("Stop bits, 1 or 2.", 1)
    unit: str = doc(
        "Unit of protocols whose frames carry none (toledo8217, xk3190a9): kg, g or lb.", "kg"
    )
    poll_interval_ms: int = doc("How often polled scales (toledo8217, sics) are asked.", 200)
    stable_readings: int = doc("Equal readings (flagged stable) needed to call a weight stable.", 3)
    stable_window_ms: int = doc("Those readings must all fall within this many ms.", 1000)
    max_weight_g: int = doc("Heaviest weight accepted as in range; 0 = no limit.", 0)

    def check(self) -> list[str]:
        errors = []
        if self.protocol not in PROTOCOLS:
            errors.append(f"protocol: expected one of {', '.join(PROTOCOLS)}")
        if self.bytesize not in (0, 7, 8):
            errors.append("bytesize: expected 7 or 8")
        if self.parity not in ("", "N", "E", "O"):
            errors.append("parity: expected N, E or O")
        if self.stopbits not in (1, 2):
            errors.append("stopbits: expected 1 or 2")
        if self.unit not in ("kg", "g", "lb"):
            errors.append("unit: expected kg, g or lb")
        if self.stable_readings < 1 or self.stable_window_ms < 0 or self.poll_interval_ms < 10:
            errors.append("stable_readings >= 1, stable_window_ms >= 0, poll_interval_ms >= 10")
        return errors
