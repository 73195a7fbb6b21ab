"""Barcode guns through evdev: find them, grab them, read them, survive unplugging.

A gun is matched by a stable path (``/dev/input/by-id/…``, ``/dev/input/by-path/…``) or by
a pattern: ``name:<glob>``, ``usb:<vid>:<pid>`` (also written ``vid:pid:<vid>:<pid>``) or
``serial:<glob>``. A pattern takes every keyboard-like event node that matches (some guns
expose two), each with its own decoder. Devices come from a ``DeviceSource`` so the same
code reads real guns and simulated ones.
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast

from evdev import ecodes

from edge.devices.settings import USB_MATCH, ScannerSection
from edge.devices.wedge import Result, WedgeDecoder

log = logging.getLogger(__name__)

LINK_DIRS = (Path("/dev/input/by-id"), Path("/dev/input/by-path"))
# Reads of queued keys before an idle end: a gun types far fewer keys than this holds.
MAX_DRAIN_READS = 16


class InputLike(Protocol):
    """What we use of evdev.InputDevice (the simulated gun has the same)."""

    path: str
    name: str
    phys: str
    uniq: str
    info: Any

    def fileno(self) -> int: ...
    def read(self) -> Iterator[Any]: ...
    def grab(self) -> None: ...
    def close(self) -> None: ...
    def capabilities(self) -> dict[int, list[int]]: ...
    def active_keys(self) -> list[int]: ...


class DeviceSource(Protocol):
    def paths(self) -> list[str]: ...
    def open(self, path: str) -> InputLike: ...
    def links(self) -> dict[str, list[str]]: ...


class EvdevSource:
    """The machine's /dev/input event nodes."""

    def paths(self) -> list[str]:
        import evdev

        return sorted(evdev.list_devices())

    def open(self, path: str) -> InputLike:
        import evdev

        return cast(InputLike, evdev.InputDevice(path))

    def links(self) -> dict[str, list[str]]:
        """Event node -> its stable /dev/input/by-id and by-path links."""
        out: dict[str, list[str]] = {}
        for folder in LINK_DIRS:
            if not folder.is_dir():
                continue
            for link in sorted(folder.iterdir()):
                target = os.path.realpath(link)
                if os.path.basename(target).startswith("event"):
                    out.setdefault(target, []).append(str(link))
        return out


@dataclass(frozen=True)
class Identity:
    path: str
    name: str
    vendor: int
    product: int
    uniq: str
    keyboard: bool

    @classmethod
    def of(cls, device: InputLike) -> Identity:
        keys = set(device.capabilities().get(ecodes.EV_KEY, []))
        return cls(
            path=device.path,
            name=device.name or "",
            vendor=int(getattr(device.info, "vendor", 0)),
            product=int(getattr(device.info, "product", 0)),
            uniq=device.uniq or "",
            keyboard=bool(keys & {ecodes.KEY_A, ecodes.KEY_1, ecodes.KEY_KP1, ecodes.KEY_ENTER}),
        )

    @property
    def usb_id(self) -> str:
        return f"{self.vendor:04x}:{self.product:04x}"


def matches(spec: str, ident: Identity) -> bool:
    """Does the config's ``match`` select this event node (patterns: keyboard-like only)?"""
    if spec.startswith("/"):
        return os.path.realpath(spec) == os.path.realpath(ident.path)
    if not ident.keyboard:
        return False
    if spec.startswith("name:"):
        return fnmatch.fnmatchcase(ident.name, spec[5:])
    if spec.startswith("serial:"):
        return bool(ident.uniq) and fnmatch.fnmatchcase(ident.uniq, spec[7:])
    usb = USB_MATCH.fullmatch(spec)
    if usb:
        return (int(usb.group(1), 16), int(usb.group(2), 16)) == (ident.vendor, ident.product)
    return False


@dataclass
class Node:
    """One open event node of a gun, with its own decoder.

    The decoder works on the kernel's event timestamps, so the idle gap that ends a code
    is the gap the gun left between keys, however late the loop read them. ``offset``
    (loop clock minus kernel clock, measured at the latest read) turns the decoder's
    deadline into loop time; it errs late, never early."""

    device: InputLike
    decoder: WedgeDecoder
    offset: float | None = None

    @property
    def path(self) -> str:
        return self.device.path


@dataclass
class Gun:
    section: ScannerSection
    nodes: dict[str, Node] = field(default_factory=dict)
    state: str = "disconnected"
    detail: str = "not found yet"
    failing: bool = False  # a failure was logged in full; the retries are not

    @property
    def name(self) -> str:
        return self.section.name

    def fds(self) -> dict[int, Node]:
        return {n.device.fileno(): n for n in self.nodes.values()}

    def read(self, node: Node, now: float) -> list[Result]:
        """Decode what the node has; an unplug closes it and discards its partial code."""
        try:
            events = list(node.device.read())
        except BlockingIOError:
            return []
        except OSError as exc:
            return self.lose(node, exc)
        out: list[Result] = []
        dropped = False
        for event in events:
            dropped |= event.type == ecodes.EV_SYN and event.code == ecodes.SYN_DROPPED
            out += node.decoder.feed(event, float(event.timestamp()))
        if events:
            node.offset = now - float(events[-1].timestamp())
        if dropped:  # the kernel lost key-ups too: ask it which modifiers are held now
            try:
                node.decoder.sync_modifiers(node.device.active_keys())
            except OSError as exc:
                return out + self.lose(node, exc)
        return out

    def lose(self, node: Node, exc: BaseException) -> list[Result]:
        out = node.decoder.reset("device lost")
        self.nodes.pop(node.path, None)
        with contextlib.suppress(OSError):
            node.device.close()
        gone = isinstance(exc, OSError) and exc.errno in (errno.ENODEV, errno.EIO)
        what = "unplugged" if gone else f"read failed: {exc}"
        log.warning("gun %s: %s is %s", self.name, node.path, what)
        if not self.nodes:
            self.state, self.detail = "disconnected", f"{node.path} {what}"
        return out

    def poll(self, now: float) -> list[Result]:
        """End codes whose idle gap has passed. Keys still queued in the kernel are read
        first: a busy loop must not end a code the gun is still typing."""
        out: list[Result] = []
        for node in list(self.nodes.values()):
            due = self._node_deadline(node)
            if due is None or now < due:
                continue
            for _ in range(MAX_DRAIN_READS):
                before = node.offset
                out += self.read(node, now)
                if node.path not in self.nodes or node.offset == before:
                    break
            if node.path in self.nodes and node.offset is not None:
                out += node.decoder.poll(now - node.offset)
        return out

    def deadline(self) -> float | None:
        times = [d for n in self.nodes.values() if (d := self._node_deadline(n)) is not None]
        return min(times) if times else None

    @staticmethod
    def _node_deadline(node: Node) -> float | None:
        """When, on the loop's clock, the node's pending code ends by the idle gap."""
        due = node.decoder.deadline()
        return None if due is None or node.offset is None else due + node.offset

    def close(self) -> None:
        for node in list(self.nodes.values()):
            node.decoder.reset("stopping")
            with contextlib.suppress(OSError):
                node.device.close()
        self.nodes.clear()


class GunFinder:
    """Opens the event nodes each gun's ``match`` selects, remembering what it has seen so a
    periodic rescan opens only new nodes."""

    def __init__(self, source: DeviceSource) -> None:
        self.source = source
        self._seen: dict[str, tuple[tuple[int, int], Identity]] = {}

    def identities(self) -> Iterable[Identity]:
        paths = self.source.paths()
        for path in list(self._seen):
            if path not in paths:
                del self._seen[path]
        for path in paths:
            stamp = _stamp(path)
            cached = self._seen.get(path)
            if cached and cached[0] == stamp:
                yield cached[1]
                continue
            try:
                device = self.source.open(path)
            except OSError as exc:
                log.debug("cannot open %s to identify it: %s", path, exc)
                continue
            try:
                ident = Identity.of(device)
            finally:
                device.close()
            self._seen[path] = (stamp, ident)
            yield ident

    def attach(self, guns: list[Gun]) -> list[Gun]:
        """Open and grab nodes that match a gun and are not open yet; returns guns that
        changed state."""
        taken = {path for gun in guns for path in gun.nodes}
        changed = []
        idents = list(self.identities())
        for gun in guns:
            before = gun.state
            for ident in idents:
                if ident.path in taken or not matches(gun.section.match, ident):
                    continue
                if self._open(gun, ident):
                    taken.add(ident.path)
            if not gun.nodes and gun.state == "disconnected" and not gun.failing:
                gun.detail = f"no input device matches {gun.section.match!r}"
                log.warning("gun %s: %s (waiting for it)", gun.name, gun.detail)
                gun.failing = True
            if gun.state != before:
                changed.append(gun)
        return changed

    def _open(self, gun: Gun, ident: Identity) -> bool:
        device = None
        try:
            device = self.source.open(ident.path)
            if gun.section.grab:
                device.grab()
        except OSError as exc:
            if device is not None:
                device.close()
            detail = f"cannot open {ident.path}: {exc}"
            if exc.errno == errno.EBUSY:
                detail += " (grabbed by another program: is a second scanner running?)"
            elif exc.errno == errno.EACCES:
                detail += " (add the service user to the input group)"
            if not gun.failing:
                log.warning("gun %s: %s", gun.name, detail)
            gun.failing, gun.detail = True, detail
            return False
        decoder = WedgeDecoder(gun.section.wedge())
        decoder.sync_modifiers(device.active_keys())
        gun.nodes[ident.path] = Node(device, decoder)
        gun.state, gun.detail, gun.failing = "connected", ident.path, False
        log.info("gun %s: reading %s (%s, %s)", gun.name, ident.path, ident.name, ident.usb_id)
        return True


def _stamp(path: str) -> tuple[int, int]:
    """Changes when the node is re-created (a replug), so the identity is read again."""
    try:
        st = os.stat(path)
    except OSError:
        return (0, 0)
    return (st.st_ino, st.st_ctime_ns)
