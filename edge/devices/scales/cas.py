"""CAS and the generic Chinese indicator stream: ``ST,GS,+  1.234kg\\r\\n``.

Header ``ST`` stable, ``US`` unstable, ``OL`` overload; then ``GS`` gross or ``NT`` net;
then the signed weight with its unit. CR, LF or both end a frame. Variants seen in the
field are accepted: a space instead of the comma after GS, a space or comma before the
unit, ID/lamp fields between header and weight, a leading STX. The scale streams; it
takes no commands.
"""

from __future__ import annotations

import re

from edge.devices.scales.frames import FrameParser, Reading, Reply, grams

_HEADER = re.compile(rb"(ST|US|OL),(GS|NT|GR|TR)")
# The weight at the end of the frame; anything (ID, lamp bytes, commas) may come before it.
_WEIGHT = re.compile(r"([+-])?\s*(\d+(?:\.\d+)?)[\s,]*(kg|g|lb|oz|t)\s*$", re.IGNORECASE)


class CasParser(FrameParser):
    name = "cas"

    def _next(self) -> Reading | Reply | str | None:
        line = self._line()
        if line is None:
            return None
        headers = list(_HEADER.finditer(line))
        if not headers:
            return f"not a CAS frame: {line[:40]!r}"
        head = headers[-1]  # resync: a frame glued to garbage starts at its last header
        state, kind = head.group(1), head.group(2)
        net = kind == b"NT"
        if state == b"OL":
            return Reading(None, stable=False, overload=True, net=net)
        rest = line[head.end() :].decode("latin-1")
        match = _WEIGHT.search(rest)
        if not match:
            return f"CAS frame without a weight: {line[:40]!r}"
        sign, number, unit = match.groups()
        weight = grams(number, unit.lower())
        if weight is None:
            return f"CAS weight unreadable: {line[:40]!r}"
        negative = sign == "-" and weight != 0
        return Reading(
            -weight if negative else weight, stable=state == b"ST", negative=negative, net=net
        )


def frame(
    weight_g: int, *, stable: bool = True, net: bool = False, overload: bool = False
) -> bytes:
    """The line a CAS indicator sends for this weight, in kg with 3 decimals."""
    state = "OL" if overload else "ST" if stable else "US"
    sign = "-" if weight_g < 0 else "+"
    return f"{state},{'NT' if net else 'GS'},{sign}{abs(weight_g) / 1000:8.3f}kg\r\n".encode()
