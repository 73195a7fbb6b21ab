"""Keyboard-wedge decoding: evdev key events in, barcodes out. Pure: no I/O, no clock.

One ``WedgeDecoder`` per input node keeps that node's buffer, modifiers, CapsLock and
Alt+numpad digits, so two guns typing at once never mix. Time is passed in by the caller
(the monotonic clock when live, the recorded time when replaying), so the idle gap that
ends a code without a terminator behaves the same in both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from evdev import ecodes

from edge.devices.keymaps import TERMINATORS, Keys, WedgeSettings, keymap, keypad

AIM_PREFIX = re.compile(r"\][A-Za-z][0-9A-Za-z]")
TERMINATOR_KEYS = {name: ecodes.ecodes[key] for name, key in TERMINATORS.items()}
_SHIFT = {ecodes.KEY_LEFTSHIFT, ecodes.KEY_RIGHTSHIFT}
_CTRL = {ecodes.KEY_LEFTCTRL, ecodes.KEY_RIGHTCTRL}
_KEY_DOWN, _KEY_UP = 1, 0
# Ctrl with these keys types a control character; Ctrl+] is how many guns send GS.
_CTRL_KEYS = {
    ecodes.KEY_RIGHTBRACE: "\x1d",
    ecodes.KEY_BACKSLASH: "\x1c",
    **{ecodes.ecodes[f"KEY_{c}"]: chr(i + 1) for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")},
}


class KeyEvent(Protocol):
    """What the decoder reads from an event: evdev.InputEvent has these."""

    type: int
    code: int
    value: int


@dataclass(frozen=True)
class Barcode:
    """A decoded code exactly as typed (AIM prefix and GS kept), and how it ended."""

    text: str
    ended_by: str  # "enter", "kpenter", "tab" or "idle"

    @property
    def aim(self) -> str | None:
        match = AIM_PREFIX.match(self.text)
        return match.group(0) if match else None

    @property
    def data(self) -> str:
        """The code without its AIM prefix."""
        aim = self.aim
        return self.text[len(aim) :] if aim else self.text


@dataclass(frozen=True)
class Rejected:
    """A code thrown away; ``reason`` says why (too short, too long, SYN_DROPPED, unplug)."""

    text: str
    reason: str


Result = Barcode | Rejected


@dataclass
class WedgeDecoder:
    settings: WedgeSettings = field(default_factory=WedgeSettings)

    def __post_init__(self) -> None:
        self._keys: Mapping[int, Keys] = keymap(self.settings.layout)
        self._keypad = keypad()
        self._terminators = {TERMINATOR_KEYS[t]: t for t in self.settings.terminators}
        self._buffer: list[str] = []
        self._shift: set[int] = set()
        self._ctrl: set[int] = set()
        self._alt: set[int] = set()
        self._altgr = False
        self.capslock = False
        self._alt_digits = ""
        self._last_key: float | None = None
        self._dropping = False
        self._discarding = False
        self._uses_altgr = any(k.altgr for k in self._keys.values())

    @property
    def pending(self) -> bool:
        return bool(self._buffer or self._alt_digits)

    def deadline(self) -> float | None:
        """When the idle gap ends the code being typed, or None when nothing is pending."""
        busy = self._buffer or self._discarding
        if not busy or self._last_key is None or self.settings.idle_gap_s <= 0:
            return None
        return self._last_key + self.settings.idle_gap_s

    def poll(self, now: float) -> list[Result]:
        """End the pending code if the idle gap has passed by ``now``."""
        deadline = self.deadline()
        if deadline is None or now < deadline:
            return []
        if self._discarding:
            self._discarding = False
            return []
        return [self._finish("idle")]

    def feed(self, event: KeyEvent, now: float) -> list[Result]:
        """Decode one event received at ``now`` (seconds, any monotonic origin)."""
        if event.type == ecodes.EV_SYN:
            if event.code == ecodes.SYN_DROPPED:
                # The kernel lost events: the partial code and the modifier state are wrong,
                # and so is the rest of that code still to come: it is swallowed up to its
                # terminator or idle gap, so no tail of a waybill is ever recorded.
                recent = self._last_key is not None and now - self._last_key < max(
                    self.settings.idle_gap_s, 0.1
                )
                in_code = bool(self._buffer) or recent
                out = self.reset("SYN_DROPPED")
                self._dropping = True
                if in_code:
                    self._discarding, self._last_key = True, now
                    # One rejection per lost code, even when its start was lost too: the
                    # clerk is told to scan again.
                    out = out or [Rejected("", "SYN_DROPPED")]
                return out
            if event.code == ecodes.SYN_REPORT:
                self._dropping = False
            return []
        if event.type != ecodes.EV_KEY or self._dropping:
            return []
        code, value = event.code, event.value
        if self._tracks_modifier(code, value):
            alt_key = code in (ecodes.KEY_LEFTALT, ecodes.KEY_RIGHTALT)
            return self._alt_released() if alt_key and value == _KEY_UP and not self._alt else []
        if value != _KEY_DOWN:  # key-up and auto-repeat (2) type nothing
            return []
        out = self.poll(now)
        self._last_key = now
        if code == ecodes.KEY_CAPSLOCK:
            self.capslock = not self.capslock
            return out
        if code in self._terminators:
            if self._buffer:
                out.append(self._finish(self._terminators[code]))
            self._discarding = False
            return out
        if self._alt and code in self._keypad and self._keypad[code].isdigit():
            self._alt_digits += self._keypad[code]
            return out
        char = self._char(code)
        if char is not None:
            out += self._append(char)
        return out

    def sync_modifiers(self, held: Iterable[int]) -> None:
        """Set Shift/Ctrl/Alt from the keys the device reports held (after SYN_DROPPED)."""
        held = set(held)
        self._shift = held & _SHIFT
        self._ctrl = held & _CTRL
        self._alt = held & {ecodes.KEY_LEFTALT, ecodes.KEY_RIGHTALT}

    def reset(self, reason: str) -> list[Result]:
        """Forget the partial code and held modifiers (unplug, SYN_DROPPED)."""
        out: list[Result] = []
        if self._buffer:
            out.append(self._discard(reason))
        self._buffer.clear()
        self._discarding = False
        self._alt_digits = ""
        self._shift.clear()
        self._ctrl.clear()
        self._alt.clear()
        self._altgr = False
        return out

    def _tracks_modifier(self, code: int, value: int) -> bool:
        if code in _SHIFT:
            target = self._shift
        elif code in _CTRL:
            target = self._ctrl
        elif code == ecodes.KEY_LEFTALT or (code == ecodes.KEY_RIGHTALT and not self._uses_altgr):
            target = self._alt
        elif code == ecodes.KEY_RIGHTALT:
            if value != 2:
                self._altgr = value == _KEY_DOWN
            return True
        else:
            return False
        if value == _KEY_DOWN:
            target.add(code)
        elif value == _KEY_UP:
            target.discard(code)
        return True

    def _alt_released(self) -> list[Result]:
        digits, self._alt_digits = self._alt_digits, ""
        return self._append(alt_code_char(digits)) if digits else []

    def _append(self, char: str) -> list[Result]:
        if self._discarding:
            return []
        self._buffer.append(char)
        if len(self._buffer) <= self.settings.max_length + 3:  # room for an AIM prefix
            return []
        # Swallow the rest of an over-long code up to its end, so no tail becomes a code.
        self._discarding = True
        return [self._discard("longer than max_length")]

    def _char(self, code: int) -> str | None:
        if code in self._keypad:
            return self._keypad[code]
        keys = self._keys.get(code)
        if keys is None:
            return None
        if self._ctrl:
            return _CTRL_KEYS.get(code)
        if self._altgr:
            return keys.altgr or None
        shifted = bool(self._shift)
        if self.capslock and keys.plain.isalpha():
            shifted = not shifted
        return keys.shift if shifted else keys.plain

    def _finish(self, ended_by: str) -> Result:
        text = "".join(self._buffer)
        self._buffer.clear()
        length = len(Barcode(text, ended_by).data)
        if length < self.settings.min_length:
            return Rejected(text, "shorter than min_length")
        if length > self.settings.max_length:
            return Rejected(text, "longer than max_length")
        return Barcode(text, ended_by)

    def _discard(self, reason: str) -> Rejected:
        text = "".join(self._buffer)
        self._buffer.clear()
        return Rejected(text, reason)


def alt_code_char(digits: str) -> str:
    """The character Alt+numpad digits type, as Windows does: with a leading 0 the number is
    a code page 1252 byte, else (0-255) a code page 437 byte; above 255 it wraps."""
    number = int(digits) % 256
    if number < 128:
        return chr(number)
    codepage = "cp1252" if digits.startswith("0") else "cp437"
    return bytes([number]).decode(codepage, errors="replace")
