"""Key maps of keyboard-wedge guns, as data.

A layout maps an evdev key name to the characters it types: unshifted, shifted and
(optionally) with AltGr. Layouts other than ``us`` are written as differences from
``us``, so adding one is adding a dict here. A gun set to the same layout as its key map
here types exactly what the barcode holds; a wrong layout shows up as swapped letters
(QWERTZ: y/z) or symbols, which `station devices replay --layout` lets you check.

The decoder's settings live here too: checking a config must not load evdev.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    plain: str
    shift: str
    altgr: str = ""


def _row(names: str, plain: str, shift: str) -> dict[str, Keys]:
    keys = names.split()
    assert len(keys) == len(plain) == len(shift), names
    return {k: Keys(p, s) for k, p, s in zip(keys, plain, shift, strict=True)}


_LETTERS = {f"KEY_{c.upper()}": Keys(c, c.upper()) for c in "abcdefghijklmnopqrstuvwxyz"}

US: dict[str, Keys] = {
    **_LETTERS,
    "KEY_TAB": Keys("\t", "\t"),  # a character when Tab is not a terminator
    **_row(
        "KEY_1 KEY_2 KEY_3 KEY_4 KEY_5 KEY_6 KEY_7 KEY_8 KEY_9 KEY_0", "1234567890", "!@#$%^&*()"
    ),
    **_row(
        "KEY_MINUS KEY_EQUAL KEY_LEFTBRACE KEY_RIGHTBRACE KEY_SEMICOLON KEY_APOSTROPHE "
        "KEY_GRAVE KEY_BACKSLASH KEY_COMMA KEY_DOT KEY_SLASH KEY_SPACE",
        "-=[];'`\\,./ ",
        '_+{}:"~|<>? ',
    ),
}

# Keypad keys type the same whatever Shift does (guns send them with NumLock on).
# The keys that may end a code, by the name the config uses; evdev key names, so the
# config check needs no evdev.
TERMINATORS: dict[str, str] = {"enter": "KEY_ENTER", "kpenter": "KEY_KPENTER", "tab": "KEY_TAB"}

KEYPAD: dict[str, str] = {
    **{f"KEY_KP{d}": str(d) for d in range(10)},
    "KEY_KPDOT": ".",
    "KEY_KPMINUS": "-",
    "KEY_KPPLUS": "+",
    "KEY_KPASTERISK": "*",
    "KEY_KPSLASH": "/",
    "KEY_KPCOMMA": ",",
    "KEY_KPEQUAL": "=",
}

# Differences from US, per layout.
_OVERRIDES: dict[str, dict[str, Keys]] = {
    "uk": {
        **_row("KEY_2 KEY_3 KEY_APOSTROPHE KEY_BACKSLASH KEY_102ND", "23'#\\", '"£@~|'),
        "KEY_GRAVE": Keys("`", "¬"),
    },
    "de": {
        "KEY_Y": Keys("z", "Z"),
        "KEY_Z": Keys("y", "Y"),
        "KEY_Q": Keys("q", "Q", "@"),
        "KEY_E": Keys("e", "E", "€"),
        **_row("KEY_2 KEY_3 KEY_6 KEY_7 KEY_0", "23670", '"§&/='),
        "KEY_8": Keys("8", "(", "["),
        "KEY_9": Keys("9", ")", "]"),
        "KEY_MINUS": Keys("ß", "?", "\\"),
        "KEY_RIGHTBRACE": Keys("+", "*", "~"),
        "KEY_102ND": Keys("<", ">", "|"),
        **_row(
            "KEY_EQUAL KEY_LEFTBRACE KEY_SEMICOLON KEY_APOSTROPHE KEY_GRAVE KEY_BACKSLASH "
            "KEY_COMMA KEY_DOT KEY_SLASH",
            "´üöä^#,.-",
            "`ÜÖÄ°';:_",
        ),
    },
    "fr": {
        "KEY_Q": Keys("a", "A"),
        "KEY_A": Keys("q", "Q"),
        "KEY_W": Keys("z", "Z"),
        "KEY_Z": Keys("w", "W"),
        "KEY_SEMICOLON": Keys("m", "M"),
        "KEY_M": Keys(",", "?"),
        "KEY_0": Keys("à", "0", "@"),
        "KEY_3": Keys('"', "3", "#"),
        **_row("KEY_1 KEY_2 KEY_4 KEY_5 KEY_6 KEY_7 KEY_8 KEY_9", "&é'(-è_ç", "12456789"),
        **_row(
            "KEY_MINUS KEY_EQUAL KEY_LEFTBRACE KEY_RIGHTBRACE KEY_APOSTROPHE KEY_GRAVE "
            "KEY_BACKSLASH KEY_COMMA KEY_DOT KEY_SLASH KEY_102ND",
            ")=^$ù²*;:!<",
            "°+¨£%~µ./§>",
        ),
    },
}

LAYOUTS: dict[str, dict[str, Keys]] = {"us": US} | {
    name: {**US, **diff} for name, diff in _OVERRIDES.items()
}


class UnknownLayout(ValueError):
    pass


def keymap(layout: str) -> Mapping[int, Keys]:
    """The layout as {evdev key code: Keys}; raises UnknownLayout naming the known ones."""
    try:
        table = LAYOUTS[layout]
    except KeyError:
        raise UnknownLayout(
            f"unknown key map {layout!r} (known: {', '.join(sorted(LAYOUTS))})"
        ) from None
    # evdev (and the asyncio it imports) loads only where keys are decoded, not with
    # the config every process reads.
    from evdev import ecodes

    return {ecodes.ecodes[name]: keys for name, keys in table.items()}


def keypad() -> Mapping[int, str]:
    from evdev import ecodes

    return {ecodes.ecodes[name]: char for name, char in KEYPAD.items()}


def strokes(layout: str) -> dict[str, tuple[int, bool]]:
    """Character -> (key code, needs Shift): how a gun set to this layout types it."""
    out: dict[str, tuple[int, bool]] = {}
    for code, keys in keymap(layout).items():
        out.setdefault(keys.shift, (code, True))
        out[keys.plain] = (code, False)
    return out


@dataclass(frozen=True)
class WedgeSettings:
    layout: str = "us"
    terminators: tuple[str, ...] = ("enter", "kpenter", "tab")
    idle_gap_s: float = 0.1
    min_length: int = 1
    max_length: int = 512

    def check(self) -> list[str]:
        errors = []
        unknown = [t for t in self.terminators if t not in TERMINATORS]
        if unknown:
            errors.append(
                f"terminators: unknown {', '.join(unknown)} (expected {', '.join(TERMINATORS)})"
            )
        if self.idle_gap_s < 0:
            errors.append("idle_gap_ms: must be 0 (no idle end) or more")
        if not 1 <= self.min_length <= self.max_length:
            errors.append("min_length/max_length: expected 1 <= min_length <= max_length")
        return errors
