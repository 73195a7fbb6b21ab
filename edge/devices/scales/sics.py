"""MT-SICS (Mettler Toledo Standard Interface Command Set), polled with ``SI``.

Commands end with CR LF, and so do answers:
``S S     1.234 kg`` stable, ``S D     1.234 kg`` dynamic (moving), ``S I`` busy,
``S +`` overload, ``S -`` underload; ``T S ... kg`` tare done, ``Z A`` zero done, with
``I``/``+``/``-`` for refused; ``ES``/``ET``/``EL`` syntax, transmission, logical errors.
"""

from __future__ import annotations

import re
from typing import ClassVar

from edge.devices.scales.frames import GRAMS, FrameParser, Reading, Reply, grams

_WEIGHT = re.compile(r"S ([SD])\s+(-?\d*\.?\d+)\s+(\S+)")
_REPLY = {"T": "tare", "Z": "zero"}
_REFUSED = {"I": "busy or not stable", "+": "above range", "-": "below range"}
MAX_LINE = 64


class SicsParser(FrameParser):
    name = "sics"
    poll = b"SI\r\n"
    commands: ClassVar[dict[str, bytes]] = {"tare": b"T\r\n", "zero": b"Z\r\n"}

    def _next(self) -> Reading | Reply | str | None:
        raw = self._line()
        if raw is None:
            if len(self.buffer) > MAX_LINE:
                self.buffer.clear()
                return "SICS line too long"
            return None
        line = raw.decode("latin-1")
        if len(line) > MAX_LINE:
            return "SICS line too long"
        if line in ("S +", "S -"):
            return Reading(None, stable=False, overload=line == "S +", underload=line == "S -")
        if line == "S I":
            return "SICS: scale busy (S I)"
        match = _WEIGHT.fullmatch(line)
        if match:
            state, number, unit = match.groups()
            if unit not in GRAMS:
                return f"SICS unit not supported: {unit}"
            weight = grams(number, unit)
            if weight is None:
                return "SICS weight unreadable"
            return Reading(weight, stable=state == "S", negative=weight < 0)
        parts = line.split()
        if len(parts) >= 2 and parts[0] in _REPLY:
            command = _REPLY[parts[0]]
            if parts[1] in ("S", "A"):
                return Reply(command, True, line)
            return Reply(command, False, _REFUSED.get(parts[1], line))
        if line in ("ES", "ET", "EL"):
            return f"SICS error {line}"
        return f"not a SICS answer: {line[:40]!r}"


def weight_line(weight_g: int, *, stable: bool = True) -> bytes:
    return f"S {'S' if stable else 'D'} {weight_g / 1000:10.3f} kg\r\n".encode()
