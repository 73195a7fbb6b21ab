"""The scanning process: every configured gun and scale in one select() loop.

One thread, one loop: a turn waits for any gun, scale or hot-plug fd (or the next idle
gap, poll or rescan), decodes, and hands each code to the scan core. The core commits
before it answers; only then do we play a sound. Device state and weights are written to
the store, which is what the page reads. A failing device is a warning in the store and
the log, never an exception out of the loop.
"""

from __future__ import annotations

import functools
import logging
import select
import shlex
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from edge.config import Config
from edge.devices.guns import DeviceSource, Gun, GunFinder, Node
from edge.devices.scales.frames import Reading, Reply
from edge.devices.scales.link import ScaleLink, Unsupported
from edge.devices.scales.stability import StabilityTracker
from edge.devices.settings import ScaleSection, ScannerSection
from edge.devices.wedge import Barcode, Rejected, Result
from edge.notify import notify
from edge.privacy import scrub
from edge.station import Outcome, Station
from edge.store import Store, StoreError

log = logging.getLogger(__name__)

RESCAN_S = 2.0  # backstop for missed hot-plug events; also bounds "disconnected" latency
COMMANDS_EVERY_S = 0.5
# Checkpoint the WAL while no gun is typing, so a scan's commit never pays for one.
CHECKPOINT_IDLE_S = 1.0
CHECKPOINT_EVERY_S = 5.0
LIVE_WEIGHT_EVERY_S = 0.2
STABLE_REFRESH_S = 1.0
REPLY_TIMEOUT_S = 3.0
MAX_WAIT_S = 1.0
# Codes thrown away with nobody at the gun to tell: it was unplugged or we are stopping.
UNANSWERED = ("device lost", "stopping")


class Hotplug:
    """pyudev's netlink monitor for input and tty devices; None where udev is unavailable
    (containers), in which case the periodic rescan does the job alone."""

    def __init__(self) -> None:
        self.monitor = None
        try:
            import pyudev

            monitor = pyudev.Monitor.from_netlink(pyudev.Context())
            monitor.filter_by("input")
            monitor.filter_by("tty")
            monitor.start()
            self.monitor = monitor
        except Exception as exc:  # pyudev raises several kinds; none may stop the scanner
            log.warning("no hot-plug events (%s); rescanning every %.0f s instead", exc, RESCAN_S)

    def fileno(self) -> int | None:
        return self.monitor.fileno() if self.monitor is not None else None

    def drain(self) -> bool:
        """Consume pending events; True if any arrived."""
        seen = False
        while self.monitor is not None and self.monitor.poll(timeout=0) is not None:
            seen = True
        return seen


class Feedback:
    """Runs the configured sound command for a status, without waiting for it."""

    def __init__(self) -> None:
        self._running: list[subprocess.Popen[bytes]] = []
        self._warned: set[str] = set()

    def play(self, section: ScannerSection, status: str) -> None:
        self._running = [p for p in self._running if p.poll() is None]
        command = getattr(section, f"sound_{status}", "")
        if not command:
            return
        try:
            self._running.append(
                subprocess.Popen(
                    shlex.split(command),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        except OSError as exc:
            if command not in self._warned:
                self._warned.add(command)
                log.warning("gun %s: cannot run sound command %r: %s", section.name, command, exc)


@dataclass
class Scale:
    section: ScaleSection
    link: ScaleLink
    tracker: StabilityTracker
    published: tuple[int | None, str] | None = None
    published_at: float = 0.0
    stable_published: tuple[int, float] | None = None
    waiting_reply: tuple[int, float] | None = None  # (command id, give up at)

    @property
    def name(self) -> str:
        return self.section.name


@dataclass
class Delivery:
    """One decoded code and what became of it, for tests and the benchmark."""

    gun: str
    barcode: Barcode
    weight_g: int | None
    outcome: Outcome | None
    error: str | None = None


@dataclass
class Scanner:
    config: Config
    store: Store
    station: Station
    source: DeviceSource
    scanners: list[ScannerSection]
    scales: list[ScaleSection]
    clock: Callable[[], float] = time.monotonic
    hotplug: Hotplug | None = None
    on_delivery: Callable[[Delivery], None] | None = None
    guns: list[Gun] = field(init=False)
    scale_units: dict[str, Scale] = field(init=False)

    def __post_init__(self) -> None:
        self.guns = [Gun(s) for s in self.scanners]
        self.scale_units = {
            s.name: Scale(
                s,
                ScaleLink(s),
                StabilityTracker(s.stable_readings, s.stable_window_ms / 1000, s.max_weight_g),
            )
            for s in self.scales
        }
        self.finder = GunFinder(self.source)
        self.feedback = Feedback()
        self._rescan_at = 0.0
        self._commands_at = 0.0
        self._checkpoint_at = 0.0
        self._last_code_at = 0.0
        self._published_state: dict[str, tuple[str, str | None, str | None]] = {}
        self._ready = False

    # --- the loop ---

    def start(self) -> None:
        names = [g.name for g in self.guns] + list(self.scale_units)
        self._store(lambda: self.store.forget_devices_except(names))
        for gun in self.guns:  # every gun's mode and operator on the sorting screen
            self._store(functools.partial(self.station.ensure_desk, gun.name, gun.section.mode))
        now = self.clock()
        self.rescan(now)
        for scale in self.scale_units.values():
            self._store(functools.partial(self.store.clear_scale_weight, scale.name))  # last run's
            scale.link.open(now)
            self._publish_state(
                scale.name, "scale", scale.link.state, scale.section.port, scale.link.detail
            )

    def run(self, should_stop: Callable[[], bool] = lambda: False) -> None:
        self.start()
        while not should_stop():
            self.turn()
        self.close()

    def turn(self, max_wait: float = MAX_WAIT_S) -> None:
        """One loop turn: wait for input or a deadline, then act on everything due."""
        now = self.clock()
        readers: dict[int, Callable[[float], None]] = {}
        for gun in self.guns:
            for fd, node in gun.fds().items():
                readers[fd] = functools.partial(self._read_gun, gun, node)
        for scale in self.scale_units.values():
            scale_fd = scale.link.fileno()
            if scale_fd is not None:
                readers[scale_fd] = functools.partial(self._read_scale, scale)
        hot = self.hotplug.fileno() if self.hotplug else None
        if hot is not None:
            readers[hot] = self._hotplug
        wait = max(0.0, min(self._deadlines(now, max_wait)) - now)
        try:
            ready, _, _ = select.select(list(readers), [], [], wait)
        except (OSError, ValueError):
            ready = []  # an fd closed under us: the next turn rebuilds the list
        now = self.clock()
        for fd in ready:
            readers[fd](now)
        self._due(now)
        if not self._ready:
            notify("READY=1")
            self._ready = True
        notify("WATCHDOG=1")

    def _deadlines(self, now: float, max_wait: float) -> list[float]:
        times = [now + max_wait, self._rescan_at, self._commands_at]
        times += [d for g in self.guns if (d := g.deadline()) is not None]
        times += [s.link.deadline(now) for s in self.scale_units.values()]
        return times

    def _due(self, now: float) -> None:
        for gun in self.guns:
            self._handle(gun, gun.poll(now), now)
        for scale in self.scale_units.values():
            scale.link.tick(now)
            if scale.link.fileno() is None and scale.link.port is not None:
                self._read_scale(scale, now)  # URL handlers without an fd: read each turn
            self._after_scale(scale, now)
        if now >= self._rescan_at:
            self.rescan(now)
        if now >= self._commands_at:
            self._commands_at = now + COMMANDS_EVERY_S
            self._run_commands(now)
        if now >= self._checkpoint_at and now - self._last_code_at >= CHECKPOINT_IDLE_S:
            self._checkpoint_at = now + CHECKPOINT_EVERY_S
            self._store(self.store.checkpoint)

    def rescan(self, now: float) -> None:
        self._rescan_at = now + RESCAN_S
        for gun in self.finder.attach(self.guns):
            log.debug("gun %s is %s", gun.name, gun.state)
        for gun in self.guns:
            self._publish_state(gun.name, "gun", gun.state, gun.section.match, gun.detail)

    def _hotplug(self, now: float) -> None:
        if self.hotplug and self.hotplug.drain():
            self._rescan_at = now + 0.2  # let udev finish creating the links first
            for scale in self.scale_units.values():
                scale.link.retry_soon(now + 0.2)

    def close(self) -> None:
        """Release every device and say so in the store: rows must not claim "connected"
        for a process that is gone."""
        stopped = "the scanning process stopped"
        for gun in self.guns:
            gun.close()
            self._publish_state(gun.name, "gun", "disconnected", gun.section.match, stopped)
        for scale in self.scale_units.values():
            scale.link.close()
            self._publish_state(scale.name, "scale", "disconnected", scale.section.port, stopped)
            self._store(functools.partial(self.store.clear_scale_weight, scale.name))

    # --- guns ---

    def _read_gun(self, gun: Gun, node: Node, now: float) -> None:
        results = gun.read(node, now)
        self._handle(gun, results, now)
        if gun.state == "disconnected":
            self._publish_state(gun.name, "gun", gun.state, gun.section.match, gun.detail)
            self._rescan_at = min(self._rescan_at, now + 0.5)

    def _handle(self, gun: Gun, results: list[Result], now: float) -> None:
        for result in results:
            if isinstance(result, Barcode):
                self.deliver(gun, result, now)
            elif result.reason in UNANSWERED:
                if result.text:
                    log.info("gun %s: dropped %r (%s)", gun.name, scrub(result.text), result.reason)
            else:
                self.answer_incomplete(gun, result)

    def answer_incomplete(self, gun: Gun, rejected: Rejected) -> None:
        """A short or garbled read gets an answer and the error tone, never silence."""
        try:
            desk = self.station.desk(gun.name, default_mode=gun.section.mode)
            self.station.incomplete(rejected.text, desk, rejected.reason)
        except StoreError as exc:
            log.error("gun %s: incomplete read not journalled: %s", gun.name, exc)
        self.feedback.play(gun.section, "refused")

    def deliver(self, gun: Gun, barcode: Barcode, now: float) -> Delivery:
        """Record one code through the scan core, then give feedback."""
        section = gun.section
        self._last_code_at = now
        try:
            desk = self.station.desk(gun.name, default_mode=section.mode)
            weight = None
            scale = self.scale_units.get(section.scale)
            if scale is not None and desk.mode == "receive":
                weight = scale.tracker.weight_for_scan(now, section.weight_max_age_s)
            outcome = self.station.read(barcode.text, desk, weight_g=weight)
        except StoreError as exc:
            log.error("gun %s: %r NOT recorded: %s", gun.name, scrub(barcode.text), exc)
            self.feedback.play(section, "refused")
            delivery = Delivery(gun.name, barcode, None, None, str(exc))
        except Exception as exc:  # one bad code must not stop every gun and scale
            log.exception(
                "gun %s: %r NOT recorded: unexpected error", gun.name, scrub(barcode.text)
            )
            self.feedback.play(section, "refused")
            delivery = Delivery(gun.name, barcode, None, None, repr(exc))
        else:
            # A phone number scanned by mistake is masked here as in the journal.
            shown = scrub(barcode.text)
            log.info("gun %s: %s %s", gun.name, outcome.status, shown)
            # Accepted with a warning (mode lapsed, batch carrier mismatch) sounds amber.
            status = "duplicate" if outcome.warnings and outcome.status == "accepted" else None
            self.feedback.play(section, status or outcome.status)
            self._store(lambda: self.store.set_device_code(gun.name, shown, self._wall()))
            delivery = Delivery(gun.name, barcode, weight, outcome)
        if self.on_delivery:
            self.on_delivery(delivery)
        return delivery

    # --- scales ---

    def _read_scale(self, scale: Scale, now: float) -> None:
        for item in scale.link.read(now):
            if isinstance(item, Reading):
                scale.tracker.update(item, now)
            else:
                self._reply(scale, item)

    def _after_scale(self, scale: Scale, now: float) -> None:
        link = scale.link
        if link.state == "disconnected" and scale.tracker.live is not None:
            scale.tracker.reset()
            scale.published = scale.stable_published = None
            self._store(lambda: self.store.clear_scale_weight(scale.name))
        self._publish_state(scale.name, "scale", link.state, scale.section.port, link.detail)
        if scale.waiting_reply and now >= scale.waiting_reply[1]:
            self._finish_command(scale.waiting_reply[0], False, "no answer from the scale")
            scale.waiting_reply = None
        live = scale.tracker.live
        if live is None:
            return
        current = (live.weight_g, ",".join(live.flags()))
        stable = scale.tracker.stable
        # While a parcel rests, its time is refreshed so the page can judge freshness; an
        # empty scale is written once, not every second (SD cards wear).
        stable_due = stable is not None and (
            scale.stable_published is None
            or scale.stable_published[0] != stable.weight_g
            or (stable.weight_g > 0 and stable.at - scale.stable_published[1] >= STABLE_REFRESH_S)
        )
        live_due = current != scale.published and now - scale.published_at >= LIVE_WEIGHT_EVERY_S
        if not (live_due or stable_due):
            return
        scale.published, scale.published_at = current, now
        stable_g = stable_at = None
        if stable is not None and stable_due:
            scale.stable_published = (stable.weight_g, stable.at)
            stable_g, stable_at = stable.weight_g, self._wall(stable.at)
        self._store(
            lambda: self.store.set_scale_weight(
                scale.name,
                self._wall(),
                weight_g=current[0],
                flags=current[1],
                stable_g=stable_g,
                stable_at=stable_at,
            )
        )

    def _run_commands(self, now: float) -> None:
        try:
            pending = self.store.pending_device_commands()
        except StoreError as exc:
            log.warning("cannot read tare/zero requests: %s", exc)
            return
        for row in pending:
            scale = self.scale_units.get(row["device"])
            if scale is None:
                self._finish_command(row["id"], False, f"no scale named {row['device']!r} here")
                continue
            if scale.waiting_reply:
                continue
            try:
                scale.link.command(row["command"], now)
            except (Unsupported, ConnectionError) as exc:
                self._finish_command(row["id"], False, str(exc))
                continue
            if scale.section.protocol == "sics":  # the only protocol that answers
                scale.waiting_reply = (row["id"], now + REPLY_TIMEOUT_S)
            else:
                self._finish_command(row["id"], True, "sent")

    def _reply(self, scale: Scale, reply: Reply) -> None:
        if scale.waiting_reply:
            self._finish_command(scale.waiting_reply[0], reply.ok, reply.detail)
            scale.waiting_reply = None

    def _finish_command(self, command_id: int, ok: bool, detail: str) -> None:
        log.info("scale command %s: %s", command_id, detail)
        self._store(lambda: self.store.finish_device_command(command_id, ok, detail, self._wall()))

    # --- store ---

    def _publish_state(
        self, name: str, kind: str, state: str, path: str | None, detail: str | None
    ) -> None:
        key = (state, path, detail)
        if self._published_state.get(name) == key:
            return
        self._published_state[name] = key
        self._store(
            lambda: self.store.set_device_state(
                name, kind, state, self._wall(), path=path, detail=detail
            )
        )

    def _wall(self, at: float | None = None) -> str:
        wall = datetime.now(self.config.tz)
        if at is not None:
            wall -= timedelta(seconds=max(0.0, self.clock() - at))
        return wall.isoformat(timespec="milliseconds")

    def _store(self, write: Callable[[], object]) -> None:
        """Device state is advisory: a failed write is logged, the scanning goes on."""
        try:
            write()
        except StoreError as exc:
            log.warning("cannot record device state: %s", exc)
