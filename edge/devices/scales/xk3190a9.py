"""Yaohua XK3190-A9, continuous output (tf=0), 12 bytes per frame:

``STX, sign '+'/'-', 6 weight digits (most significant first), decimal places '0'-'4',
XOR high nibble, XOR low nibble, ETX``. The XOR covers sign through decimal places; each
nibble is sent as a hex digit ('0'-'9', 'A'-'F'; 'a'-'f' and 0x30+n from other firmware
are accepted too). The frame has no unit (set ``unit``) and no stability flag, so stability comes
from equal readings alone. The indicator takes no commands in this mode.
"""

from __future__ import annotations

from functools import reduce

from edge.devices.scales.frames import FrameParser, Reading, Reply, grams

STX, ETX = 0x02, 0x03
LENGTH = 12


def _nibble(byte: int) -> int | None:
    if 0x30 <= byte <= 0x3F:
        return byte - 0x30
    if 0x41 <= byte <= 0x46:
        return byte - 0x37
    if 0x61 <= byte <= 0x66:
        return byte - 0x57
    return None


def xor(body: bytes) -> int:
    return reduce(lambda a, b: a ^ b, body, 0)


class Xk3190A9Parser(FrameParser):
    name = "xk3190a9"

    def _next(self) -> Reading | Reply | str | None:
        dropped = self._to_start(STX)
        if dropped or not self.buffer:
            return dropped
        if len(self.buffer) < LENGTH:
            return None
        raw = bytes(self.buffer[:LENGTH])
        if raw[-1] != ETX:
            self._bad(1)  # resync on the next STX
            return f"XK3190 frame without ETX: {raw.hex()}"
        body = raw[1:9]
        high, low = _nibble(raw[9]), _nibble(raw[10])
        if high is None or low is None or (high << 4 | low) != xor(body):
            self._bad(1)
            return f"XK3190 bad checksum: {raw.hex()}"
        del self.buffer[:LENGTH]
        sign, digits, places = chr(body[0]), body[1:7], body[7]
        if sign not in "+-" or not digits.isdigit() or not 0x30 <= places <= 0x34:
            return f"XK3190 frame with bad fields: {raw.hex()}"
        n = places - 0x30
        text = digits.decode()
        number = text[: 6 - n] + "." + text[6 - n :] if n else text
        weight = grams(number, self.unit)
        if weight is None:
            return "XK3190 weight unreadable"
        negative = sign == "-" and weight != 0
        return Reading(-weight if negative else weight, stable=True, negative=negative)


def frame(weight_g: int, *, places: int = 3, unit_grams: int = 1000) -> bytes:
    """The frame an A9 sends for this weight (kg with ``places`` decimals by default)."""
    value = round(abs(weight_g) * 10**places / unit_grams)
    body = f"{'-' if weight_g < 0 else '+'}{value:06d}{places}".encode()
    check = f"{xor(body):02X}".encode()
    return bytes([STX]) + body + check + bytes([ETX])
