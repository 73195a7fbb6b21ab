"""What every scale protocol parser shares: readings, command replies, units, the buffer."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import ClassVar

# Grams per unit; Decimal so 1.234 kg is exactly 1234 g.
GRAMS = {
    "g": Decimal(1),
    "kg": Decimal(1000),
    "t": Decimal(1000000),
    "lb": Decimal("453.59237"),
    "oz": Decimal("28.349523125"),
}
MAX_BUFFER = 512
_SEVEN_BIT = bytes(i & 0x7F for i in range(256))


@dataclass(frozen=True)
class Reading:
    """One weight frame. ``weight_g`` is None when the frame carries no usable weight
    (a status-only frame, overload, underload)."""

    weight_g: int | None
    stable: bool  # what the scale says; the tracker decides whether we agree
    overload: bool = False
    underload: bool = False
    negative: bool = False
    net: bool = False

    @property
    def motion(self) -> bool:
        return not self.stable

    def flags(self) -> list[str]:
        names = ("overload", "underload", "negative", "net", "motion")
        return [n for n in names if getattr(self, n)]


@dataclass(frozen=True)
class Reply:
    """The scale's answer to tare or zero."""

    command: str  # "tare" | "zero"
    ok: bool
    detail: str


@dataclass(frozen=True)
class SerialDefaults:
    baud: int = 9600
    bytesize: int = 8
    parity: str = "N"


def grams(number: str, unit: str) -> int | None:
    """``number`` (digits with an optional sign and point) in ``unit`` as whole grams."""
    try:
        value = Decimal(number.replace(" ", ""))
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    return int((value * GRAMS[unit]).to_integral_value(ROUND_HALF_UP))


class FrameParser:
    """Bytes in, readings out. ``feed`` never raises on bad input: bad frames are counted
    in ``errors`` with the last reason in ``last_error``, and the parser resyncs."""

    name: ClassVar[str]
    defaults: ClassVar[SerialDefaults] = SerialDefaults()
    poll: ClassVar[bytes | None] = None  # polled protocols: the request for a weight
    commands: ClassVar[dict[str, bytes]] = {}  # "tare"/"zero" -> bytes, where supported
    # 7-bit protocols: bit 7 is parity (a 7E1 line read as 8N1) and is dropped on arrival.
    seven_bit: ClassVar[bool] = False

    def __init__(self, unit: str = "kg") -> None:
        self.unit = unit
        self.buffer = bytearray()
        self.frames = 0
        self.errors = 0
        self.last_error = ""

    def feed(self, data: bytes) -> list[Reading | Reply]:
        self.buffer += data.translate(_SEVEN_BIT) if self.seven_bit else data
        out: list[Reading | Reply] = []
        while True:
            item = self._next()
            if item is None:
                break
            if isinstance(item, str):
                self.errors += 1
                self.last_error = item
                continue
            self.frames += 1
            out.append(item)
        if len(self.buffer) > MAX_BUFFER:
            self._bad(len(self.buffer) - MAX_BUFFER)
            self.errors += 1
            self.last_error = "no frame in the last 512 bytes (wrong protocol or baud rate?)"
        return out

    def _next(self) -> Reading | Reply | str | None:
        """Take one frame from the buffer: a result, an error text, or None for 'need more'."""
        raise NotImplementedError

    def _bad(self, n: int) -> None:
        del self.buffer[:n]

    def _to_start(self, start_byte: int) -> str | None:
        """Drop what comes before ``start_byte``: an error text when bytes were dropped,
        None once the buffer starts with it (or is empty)."""
        start = self.buffer.find(start_byte)
        if start < 0:
            if self.buffer:
                self.buffer.clear()
                return "bytes outside a frame"
            return None
        if start:
            self._bad(start)
            return "bytes before STX"
        return None

    def _line(self) -> bytes | None:
        """The next non-empty line (CR, LF or CR LF ends one), or None for 'need more'."""
        while True:
            ends = [i for i in (self.buffer.find(b"\r"), self.buffer.find(b"\n")) if i >= 0]
            if not ends:
                return None
            end = min(ends)
            line = bytes(self.buffer[:end])
            del self.buffer[: end + 1]
            if line:
                return line
