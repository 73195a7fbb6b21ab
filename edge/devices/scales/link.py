"""The serial side of a scale: open by stable path (or any pyserial URL), read without
blocking, poll the polled protocols, reconnect with backoff after an unplug.

The link never blocks and never raises to its caller: failures become ``state`` and
``detail``, and the first failure of a run of retries is logged in full, the rest not.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

import serial

from edge.devices.scales import parser_for
from edge.devices.scales.frames import FrameParser, Reading, Reply
from edge.devices.settings import ScaleSection

log = logging.getLogger(__name__)

BACKOFF_S = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
SILENT_AFTER_S = 2.0
ANSWER_TIMEOUT_S = 1.0
_PARITY = {"N": serial.PARITY_NONE, "E": serial.PARITY_EVEN, "O": serial.PARITY_ODD}

Tap = Callable[[str, bytes], None]  # ("rx" | "tx", bytes), for recording


class Unsupported(ValueError):
    """The protocol has no such command (e.g. tare on a streaming indicator)."""


@dataclass(frozen=True)
class LineSettings:
    baud: int
    bytesize: int
    parity: str
    stopbits: int

    @classmethod
    def of(cls, section: ScaleSection, parser: FrameParser) -> LineSettings:
        d = parser.defaults
        return cls(
            baud=section.baud or d.baud,
            bytesize=section.bytesize or d.bytesize,
            parity=section.parity or d.parity,
            stopbits=section.stopbits,
        )


class ScaleLink:
    def __init__(self, section: ScaleSection, *, tap: Tap | None = None) -> None:
        self.section = section
        self.parser = parser_for(section.protocol, section.unit)
        self.line = LineSettings.of(section, self.parser)
        self.tap = tap
        self.port: serial.SerialBase | None = None
        self.state = "disconnected"
        self.detail = "not opened yet"
        self._failures = 0
        self._retry_at = 0.0
        self._last_rx: float | None = None
        self._next_poll = 0.0
        self._asked_at: float | None = None

    # --- connection ---

    def fileno(self) -> int | None:
        if self.port is None:
            return None
        try:
            return int(self.port.fileno())
        except (AttributeError, OSError, serial.SerialException):
            return None

    def open(self, now: float) -> bool:
        """Try to open the port (when the backoff allows); True when open."""
        if self.port is not None:
            return True
        if now < self._retry_at:
            return False
        try:
            self.port = serial.serial_for_url(
                self.section.port,
                baudrate=self.line.baud,
                bytesize=self.line.bytesize,
                parity=_PARITY[self.line.parity],
                stopbits=self.line.stopbits,
                timeout=0,
                write_timeout=0.5,
                exclusive=True,
            )
            self.port.reset_input_buffer()  # stale bytes from before we opened
        except (OSError, ValueError, serial.SerialException) as exc:
            self._fail(now, f"cannot open {self.section.port}: {exc}")
            return False
        if self._failures:
            log.info("scale %s: %s open again", self.section.name, self.section.port)
        self._failures = 0
        self.state, self.detail = "connected", ""
        self._last_rx, self._asked_at, self._next_poll = now, None, now
        self.parser.buffer.clear()
        return True

    def retry_soon(self, now: float) -> None:
        """Something was plugged in: try again now rather than at the end of the backoff."""
        if self.port is None:
            self._retry_at = min(self._retry_at, now)

    def close(self) -> None:
        if self.port is not None:
            with contextlib.suppress(OSError, serial.SerialException):
                self.port.close()
            self.port = None

    def _fail(self, now: float, detail: str) -> None:
        self.close()
        delay = BACKOFF_S[min(self._failures, len(BACKOFF_S) - 1)]
        if self._failures == 0:
            log.warning(
                "scale %s: %s (retrying with backoff up to %ss)",
                self.section.name,
                detail,
                BACKOFF_S[-1],
            )
        else:
            log.debug("scale %s: still failing: %s", self.section.name, detail)
        self._failures += 1
        self._retry_at = now + delay
        self.state, self.detail = "disconnected", detail

    # --- traffic ---

    def read(self, now: float) -> list[Reading | Reply]:
        """Read what is waiting (call when the fd is readable, or each turn without an fd)."""
        if self.port is None:
            return []
        try:
            data = self.port.read(self.port.in_waiting or 1)
        except (OSError, serial.SerialException) as exc:
            self._fail(now, f"read failed on {self.section.port}: {exc}")
            return []
        if not data:
            return []
        if self.tap:
            self.tap("rx", data)
        self._last_rx = now
        if self.state == "silent":
            log.info("scale %s: data again", self.section.name)
        self.state, self.detail = "connected", ""
        items = self.parser.feed(data)
        if items:
            self._asked_at = None
        return items

    def tick(self, now: float) -> None:
        """Reconnect, poll and notice silence; call every loop turn."""
        if self.port is None:
            self.open(now)
            return
        poll = self.parser.poll
        if (
            poll is not None
            and now >= self._next_poll
            and (self._asked_at is None or now - self._asked_at >= ANSWER_TIMEOUT_S)
        ):
            self._next_poll = now + self.section.poll_interval_ms / 1000
            self._asked_at = now
            self.send(poll, now)
        if (
            self.port is not None
            and self._last_rx is not None
            and (now - self._last_rx >= SILENT_AFTER_S and self.state == "connected")
        ):
            self.state = "silent"
            self.detail = (
                f"no data for {SILENT_AFTER_S:.0f} s: check the cable, protocol "
                f"({self.section.protocol}) and baud rate ({self.line.baud})"
            )
            log.warning("scale %s: %s", self.section.name, self.detail)

    def deadline(self, now: float) -> float:
        """When tick() next has something to do."""
        if self.port is None:
            return max(now, self._retry_at)
        times = [now + 0.5]
        if self.parser.poll is not None:
            times.append(self._next_poll)
        return min(times)

    def send(self, data: bytes, now: float) -> None:
        if self.port is None:
            return
        try:
            self.port.write(data)
        except (OSError, serial.SerialException) as exc:
            self._fail(now, f"write failed on {self.section.port}: {exc}")
            return
        if self.tap:
            self.tap("tx", data)

    def command(self, name: str, now: float) -> None:
        """Send tare or zero; raises Unsupported when the protocol has no such command."""
        data = self.parser.commands.get(name)
        if data is None:
            raise Unsupported(f"{self.section.protocol} scales take no {name} command")
        if self.port is None:
            raise ConnectionError(f"scale {self.section.name} is {self.state}: {self.detail}")
        self.send(data, now)
