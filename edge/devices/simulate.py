"""Simulated hardware at the real boundaries, for the demo, the tests and the benchmark.

- ``FakeInputDevice``: an evdev input device whose file descriptor is the read end of a
  pipe. It reads with evdev's own ``read()``, so the scanning loop selects on a real fd
  and gets real ``evdev.InputEvent`` objects. Closing the write end is an unplug.
- ``Typist``: types text into a fake device as a gun does (key down/up, Shift, Alt+numpad
  for control characters such as GS, SYN_REPORT), one character every few ms.
- ``SimulatedScale``: a pty pair whose master speaks a scale protocol. The scanning
  process opens the slave through a stable symlink, exactly as it opens
  /dev/serial/by-id/…; unplug closes the master, replug re-points the link.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import pty
import random
import struct
import threading
import time
import tty
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evdev import InputEvent, ecodes
from evdev.eventio import EventIO

from edge.devices.keymaps import strokes
from edge.devices.scales import cas, sics, toledo8217, toledo_continuous, xk3190a9
from edge.devices.wedge import TERMINATOR_KEYS

log = logging.getLogger(__name__)

_EVENT = struct.Struct("llHHi")
_KP_DIGITS = [getattr(ecodes, f"KEY_KP{d}") for d in range(10)]
SIM_GUN_NAME = "Station Simulated Barcode Gun"


@dataclass(frozen=True)
class _Info:
    bustype: int = 3
    vendor: int = 0x1209
    product: int = 0x5C4E
    version: int = 1


class FakeInputDevice(EventIO):
    """An evdev device over a pipe: same ``read()``, ``fileno()`` and identity fields."""

    def __init__(self, path: str, name: str = SIM_GUN_NAME, uniq: str = "SIM0001") -> None:
        read_fd, self.writer = os.pipe()
        os.set_blocking(read_fd, False)
        self.fd = read_fd
        self.path = path
        self.name = name
        self.phys = "sim/input0"
        self.uniq = uniq
        self.info = _Info()
        self.grabbed = False
        self.closed = False

    def read(self) -> Iterator[InputEvent]:
        events = list(super().read())
        if not events:  # write end closed: what a real unplug looks like to a reader
            raise OSError(errno.ENODEV, "No such device")
        return iter(events)

    def grab(self) -> None:
        self.grabbed = True

    def ungrab(self) -> None:
        self.grabbed = False

    def capabilities(self, verbose: bool = False, absinfo: bool = True) -> dict[int, list[int]]:
        keys = sorted(v for k, v in ecodes.ecodes.items() if k.startswith("KEY_") and v < 256)
        return {ecodes.EV_SYN: [0], ecodes.EV_KEY: keys}

    def active_keys(self, verbose: bool = False) -> list[int]:
        return []

    def write(self, events: list[tuple[int, int, int]], when: float | None = None) -> None:
        """Send (type, code, value) events stamped ``when`` (default: now)."""
        stamp = time.time() if when is None else when
        sec, usec = int(stamp), int((stamp % 1) * 1_000_000)
        data = b"".join(_EVENT.pack(sec, usec, t, c, v) for t, c, v in events)
        os.write(self.writer, data)

    def unplug(self) -> None:
        if self.writer >= 0:
            os.close(self.writer)
            self.writer = -1

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self.fd)
            self.unplug()


class FakeSource:
    """A DeviceSource holding simulated devices: plug() and unplug() them at will."""

    def __init__(self) -> None:
        self.devices: dict[str, FakeInputDevice] = {}
        self._count = 0

    def plug(self, name: str = SIM_GUN_NAME, uniq: str = "SIM0001") -> FakeInputDevice:
        self._count += 1
        device = FakeInputDevice(f"/sim/input/event{self._count}", name, uniq)
        self.devices[device.path] = device
        return device

    def unplug(self, device: FakeInputDevice) -> None:
        self.devices.pop(device.path, None)
        device.unplug()

    def paths(self) -> list[str]:
        return sorted(self.devices)

    def open(self, path: str) -> FakeInputDevice:
        try:
            return _Handle(self.devices[path])
        except KeyError:
            raise OSError(errno.ENOENT, f"no such device {path}") from None

    def links(self) -> dict[str, list[str]]:
        return {}


class _Handle(FakeInputDevice):
    """Another open of the same fake device: shares its pipe, closing it closes nothing."""

    def __init__(self, device: FakeInputDevice) -> None:  # no super().__init__: no new pipe
        self.__dict__.update(device.__dict__)
        self._device = device

    def grab(self) -> None:
        self._device.grabbed = True

    def close(self) -> None:
        pass


def key_events(text: str, layout: str = "us", enter: str | None = "enter") -> list[list[Any]]:
    """What a gun sends for ``text``: one list of (type, code, value) per character,
    ending with the terminator key (None: no terminator, the idle gap ends the code)."""
    table = strokes(layout)
    out: list[list[Any]] = []
    syn = (ecodes.EV_SYN, ecodes.SYN_REPORT, 0)
    key = ecodes.EV_KEY
    for char in text:
        if char in table:
            code, shift = table[char]
            seq = [(key, code, 1), syn, (key, code, 0), syn]
            if shift:
                seq = [
                    (key, ecodes.KEY_LEFTSHIFT, 1),
                    syn,
                    *seq,
                    (key, ecodes.KEY_LEFTSHIFT, 0),
                    syn,
                ]
        else:  # Alt + the code on the keypad, as guns send GS and other control characters
            seq = [(key, ecodes.KEY_LEFTALT, 1), syn]
            for digit in f"{ord(char):03d}":
                kp = _KP_DIGITS[int(digit)]
                seq += [(key, kp, 1), syn, (key, kp, 0), syn]
            seq += [(key, ecodes.KEY_LEFTALT, 0), syn]
        out.append(seq)
    if enter:
        end = TERMINATOR_KEYS[enter]
        out.append([(key, end, 1), syn, (key, end, 0), syn])
    return out


class Typist:
    """Types into a fake device from its own thread, like a gun: one character every
    ``interval`` seconds."""

    def __init__(self, device: FakeInputDevice, interval: float = 0.003) -> None:
        self.device = device
        self.interval = interval
        self._lock = threading.Lock()

    def type(self, text: str, enter: str | None = "enter") -> None:
        with self._lock:
            for chunk in key_events(text, enter=enter):
                try:
                    self.device.write(chunk)
                except OSError:
                    return  # unplugged mid-code, as a real gun can be
                time.sleep(self.interval)


# --- scales ---


class SimulatedScale:
    """A scale on a pty. Streaming protocols send ~10 frames/s; polled ones answer."""

    def __init__(self, protocol: str, link: Path, weight_g: int = 0) -> None:
        self.protocol = protocol
        self.link = link
        self.weight_g = weight_g
        self.swing_until = 0.0
        self.garbage = False  # send broken frames between good ones
        self.tared = 0
        self._master = -1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.plug()

    def plug(self) -> None:
        master, slave = pty.openpty()
        tty.setraw(slave)
        tty.setraw(master)
        os.set_blocking(master, False)
        name = os.ttyname(slave)
        os.close(slave)  # the reader opens it by name, as a real port
        self._master = master
        tmp = self.link.with_name(self.link.name + ".new")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(name)
        tmp.replace(self.link)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sim-scale", daemon=True)
        self._thread.start()

    def unplug(self, mid_frame: bool = True) -> None:
        """Pull the cable, by default half-way through a frame."""
        self._stop.set()
        if self._thread:
            self._thread.join()
        if mid_frame:
            frame = self.frame(self.weight_g, True)
            self._write(frame[: len(frame) // 2])
        os.close(self._master)
        self._master = -1
        self.link.unlink(missing_ok=True)

    def close(self) -> None:
        if self._master >= 0:
            self.unplug(mid_frame=False)

    def set_weight(self, weight_g: int, swing_s: float = 0.6) -> None:
        """Put a parcel on: the reading swings for ``swing_s`` before it settles."""
        self.weight_g = weight_g
        self.swing_until = time.monotonic() + swing_s

    def current(self) -> tuple[int, bool]:
        if time.monotonic() < self.swing_until:
            return self.weight_g + random.randint(-80, 80), False
        return self.weight_g, True

    def frame(self, weight_g: int, stable: bool) -> bytes:
        if self.protocol == "cas":
            return cas.frame(weight_g, stable=stable)
        if self.protocol == "toledo_continuous":
            return toledo_continuous.frame(weight_g, stable=stable)
        if self.protocol == "xk3190a9":
            return xk3190a9.frame(weight_g)
        if self.protocol == "sics":
            return sics.weight_line(weight_g, stable=stable)
        if stable:
            return toledo8217.weight_frame(weight_g)
        return toledo8217.status_frame(motion=True)

    def _write(self, data: bytes) -> None:
        # Nobody has the port open: a real scale talks into the void too.
        with contextlib.suppress(OSError):
            os.write(self._master, data)

    def _run(self) -> None:
        polled = self.protocol in ("sics", "toledo8217")
        pending = b""
        while not self._stop.wait(0.01 if polled else 0.1):
            if not polled:
                self._send_frame()
                continue
            try:
                pending += os.read(self._master, 256)
            except BlockingIOError:
                continue
            except OSError:
                return
            pending = self._answer(pending)

    def _send_frame(self) -> None:
        weight, stable = self.current()
        if self.garbage:
            noise = bytes(random.randrange(256) for _ in range(7))
            self._write(b"\x02\x7f#garbage" + noise + b"\r\n")
        self._write(self.frame(weight, stable))

    def _answer(self, pending: bytes) -> bytes:
        while pending:
            if self.protocol == "toledo8217":
                request, pending = pending[:1], pending[1:]
                if request == b"W":
                    self._send_frame()
                elif request == b"Z":
                    self.weight_g = 0
                    self._write(toledo8217.status_frame())
                continue
            if b"\n" not in pending:
                return pending
            line, pending = pending.split(b"\n", 1)
            command = line.strip()
            if command in (b"SI", b"S"):
                self._send_frame()
            elif command == b"T":
                self.tared = self.weight_g
                self._write(f"T S {self.weight_g / 1000:10.3f} kg\r\n".encode())
                self.weight_g = 0
            elif command == b"Z":
                self.weight_g = 0
                self._write(b"Z A\r\n")
            else:
                self._write(b"ES\r\n")
        return pending
