"""Mettler Toledo continuous output:

``STX SWA SWB SWC`` + 6 digits displayed weight + 6 digits tare + ``CR`` [+ checksum].

SWA bits 0-2: decimal point (0: x100, 1: x10, 2: none, 3..7: 1..5 decimals), bits 3-4
increment size, bit 5 always 1 (not relied on: clones differ). SWB bit 0 net, 1 negative,
2 out of range, 3 motion, 4 kg (else lb), 6 power-up not zeroed. SWC bits 0-2 the unit
where the terminal sends one (1 g, 2 t, 3 oz; 0: as SWB says). The checksum is
the 2's complement of the 7-bit sum of every byte from STX to CR; bit 7 of every byte
is parity and is ignored, so 7E1 links read as 8N1 still work. Whether the checksum is
sent is learned: once a frame carried a valid one, every frame must.

Terminals in continuous mode take single-letter commands: T tare, Z zero.
"""

from __future__ import annotations

from typing import ClassVar

from edge.devices.scales.frames import FrameParser, Reading, Reply, SerialDefaults, grams

STX, CR = 0x02, 0x0D
LENGTH = 17  # STX .. CR
# SWC bits 0-2: 0 = kg/lb as SWB bit 4 says, 1 g, 2 metric ton, 3 oz; others unsupported.
_SWC_UNITS = {0: "", 1: "g", 2: "t", 3: "oz", 4: "?", 5: "?", 6: "?", 7: "?"}
_EXPONENT = {0: 2, 1: 1, 2: 0, 3: -1, 4: -2, 5: -3, 6: -4, 7: -5}


def checksum(frame: bytes) -> int:
    return -sum(b & 0x7F for b in frame) & 0x7F


class ToledoContinuousParser(FrameParser):
    name = "toledo_continuous"
    defaults = SerialDefaults(9600, 7, "E")
    commands: ClassVar[dict[str, bytes]] = {"tare": b"T", "zero": b"Z"}
    seven_bit = True

    def __init__(self, unit: str = "kg") -> None:
        super().__init__(unit)
        self.with_checksum: bool | None = None

    def _next(self) -> Reading | Reply | str | None:
        dropped = self._to_start(STX)
        if dropped or not self.buffer:
            return dropped
        if self.with_checksum is False and len(self.buffer) >= LENGTH:
            raw = bytes(self.buffer[:LENGTH])
            if raw[-1] == CR:  # no checksum expected: no need to wait for the next byte
                del self.buffer[:LENGTH]
                return self._decode(raw)
        if len(self.buffer) < LENGTH + 1:
            return None
        raw = bytes(self.buffer[: LENGTH + 1])
        if raw[LENGTH - 1] != CR:
            self._bad(1)
            return f"Toledo frame without CR: {raw.hex()}"
        after = raw[LENGTH]
        if after == checksum(raw[:LENGTH]):
            self.with_checksum = True
            del self.buffer[: LENGTH + 1]
        elif self.with_checksum:
            self._bad(1)
            return f"Toledo bad checksum: {raw.hex()}"
        elif after == STX:
            self.with_checksum = False
            del self.buffer[:LENGTH]
        else:
            self._bad(1)
            return f"Toledo frame followed by neither checksum nor STX: {raw.hex()}"
        return self._decode(raw[:LENGTH])

    def _decode(self, raw: bytes) -> Reading | str:
        swa, swb, swc = raw[1], raw[2], raw[3]
        digits = raw[4:10]
        if not raw[4:16].replace(b" ", b"0").isdigit():
            return f"Toledo frame with bad fields: {raw.hex()}"
        net, negative = bool(swb & 0x01), bool(swb & 0x02)
        out_of_range, motion = bool(swb & 0x04), bool(swb & 0x08)
        not_zeroed = bool(swb & 0x40)
        unit = _SWC_UNITS.get(swc & 0x07) or ("kg" if swb & 0x10 else "lb")
        if unit == "?":
            return f"Toledo unit code {swc & 0x07} not supported"
        if out_of_range or not_zeroed:
            return Reading(
                None,
                stable=False,
                overload=out_of_range and not negative,
                underload=out_of_range and negative,
                negative=negative,
                net=net,
            )
        exponent = _EXPONENT[swa & 0x07]
        number = int(digits.replace(b" ", b"0"))
        text = f"{number}E{exponent}"
        weight = grams(text, unit)
        if weight is None:
            return "Toledo weight unreadable"
        negative = negative and weight != 0
        return Reading(
            -weight if negative else weight, stable=not motion, negative=negative, net=net
        )


def frame(
    weight_g: int,
    *,
    stable: bool = True,
    net: bool = False,
    out_of_range: bool = False,
    tare_g: int = 0,
    with_checksum: bool = True,
) -> bytes:
    """A continuous-output frame in kg with 3 decimals (SWA code 5, increment x1)."""
    swa = 0x20 | 0x08 | 5
    swb = 0x20 | 0x10 | (net and 0x01) | (weight_g < 0 and 0x02) | (out_of_range and 0x04)
    swb |= 0 if stable else 0x08
    swc = 0x20
    body = bytes([STX, swa, swb, swc]) + f"{abs(weight_g):06d}{abs(tare_g):06d}".encode()
    body += bytes([CR])
    return body + (bytes([checksum(body)]) if with_checksum else b"")
