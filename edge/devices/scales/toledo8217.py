"""Mettler Toledo 8217 (polled), as spoken by many POS scales.

Host sends ``W``; the scale answers ``STX`` + weight (digits with a decimal point, no unit)
(an ``N`` after it on a net weight) + ``CR`` when the weight is valid, or
``STX ? status CR`` when it is not (motion, over, under zero). Status bits: 0 motion,
1 over capacity, 2 under zero, 3 outside zero capture range, 4 centre of zero, 5 net (or
always 1), 6 always 1, 7 parity. ``Z`` zeroes and ``T`` tares; the scale answers with a
status frame or nothing. 9600 7E1.
"""

from __future__ import annotations

import re
from typing import ClassVar

from edge.devices.scales.frames import FrameParser, Reading, Reply, SerialDefaults, grams

STX, CR = 0x02, 0x0D
MAX_FRAME = 16
_WEIGHT = re.compile(rb"\s*(-?)\s*(\d*\.?\d+)\s*(N?)")


class Toledo8217Parser(FrameParser):
    name = "toledo8217"
    defaults = SerialDefaults(9600, 7, "E")
    poll = b"W"
    seven_bit = True
    commands: ClassVar[dict[str, bytes]] = {"zero": b"Z", "tare": b"T"}

    def _next(self) -> Reading | Reply | str | None:
        dropped = self._to_start(STX)
        if dropped or not self.buffer:
            return dropped
        end = self.buffer.find(CR)
        if end < 0:
            if len(self.buffer) > MAX_FRAME:
                self._bad(1)
                return "8217 frame without CR"
            return None
        body = bytes(self.buffer[1:end])
        if STX in body:  # a frame cut short by another: resync on the later STX
            self._bad(1 + body.index(STX))
            return "8217 frame cut short"
        del self.buffer[: end + 1]
        if body[:1] == b"?":
            if len(body) != 2 or not body[1] & 0x40:
                return f"8217 bad status frame: {body!r}"
            status = body[1]
            return Reading(
                None,
                stable=not status & 0x01,
                overload=bool(status & 0x02),
                underload=bool(status & 0x04),
            )
        match = _WEIGHT.fullmatch(body)
        if not match or len(body) > 8:
            return f"8217 frame is neither weight nor status: {body!r}"
        weight = grams(match.group(2).decode(), self.unit)
        if weight is None:
            return "8217 weight unreadable"
        negative = bool(match.group(1)) and weight != 0
        return Reading(
            -weight if negative else weight,
            stable=True,
            negative=negative,
            net=bool(match.group(3)),
        )


def weight_frame(weight_g: int) -> bytes:
    """The answer to W for a valid weight, in kg with 3 decimals: ``STX 01.234 CR``."""
    return b"\x02" + f"{weight_g / 1000:06.3f}".encode() + b"\x0d"


def status_frame(*, motion: bool = False, over: bool = False, under: bool = False) -> bytes:
    status = 0x40 | 0x20 | (motion and 0x01) | (over and 0x02) | (under and 0x04)
    return bytes([STX, ord("?"), status, CR])
