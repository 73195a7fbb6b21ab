"""Subcommands of this area; edge.cli calls register().

station scanner [--simulate]        the scanning process (systemd runs it)
station devices                     list input and serial devices, with config snippets
station devices record DEVICE       record a gun or scale to JSON lines
station devices replay FILE         replay a recording through the live decoders
station devices sounds              write the three answer sounds and their config lines
station scale tare|zero NAME        ask the scanning process to tare or zero a scale
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from edge.cli_support import Context, add_command
from edge.devices.guns import EvdevSource, GunFinder, matches
from edge.devices.recording import BadRecording, record_input, record_serial, replay
from edge.devices.settings import PROTOCOLS, ScaleSection, ScannerSection
from edge.devices.simulate import SIM_GUN_NAME, FakeSource, SimulatedScale, Typist

log = logging.getLogger(__name__)

Sub = argparse._SubParsersAction


def register(sub: Sub[argparse.ArgumentParser]) -> None:
    """Add this area's subcommands."""
    p = add_command(
        sub,
        "scanner",
        cmd_scanner,
        "read every configured barcode gun and scale forever (the scanning process)",
        "Read every configured gun and scale, record each code through the scan core and "
        "publish device state and weights to the store. With --simulate and nothing "
        "configured, runs one simulated gun and one simulated scale at the evdev and serial "
        "boundaries; lines on stdin are typed by the gun (#weight G, #unplug gun|scale, "
        "#plug gun|scale control the simulation).",
    )
    p.add_argument(
        "--simulate",
        action="store_true",
        help="with no [[scanners]]/[[scales]] configured, simulate one of each",
    )
    p.add_argument(
        "--simulate-scale",
        choices=PROTOCOLS,
        default="cas",
        metavar="PROTOCOL",
        help="protocol the simulated scale speaks (default cas)",
    )

    p = add_command(
        sub,
        "devices",
        cmd_devices,
        "list input and serial devices with the config snippet to paste",
    )
    dev = p.add_subparsers(dest="devices_command", metavar="ACTION")
    r = dev.add_parser(
        "record",
        help="record a gun or scale to JSON lines",
        description="Record a gun (by-id path, eventN or configured name) or a "
        "scale (serial port or configured name). Stop the scanner first: it "
        "holds the devices. Ctrl-C ends the recording.",
    )
    r.set_defaults(handler=cmd_record)
    r.add_argument("device", help="configured gun/scale name, /dev/input/… path or serial port")
    r.add_argument("--out", "-o", metavar="FILE", help="write here instead of stdout")
    r.add_argument("--seconds", type=float, default=0, help="stop after this long (0: Ctrl-C)")
    r.add_argument("--protocol", choices=PROTOCOLS, help="protocol of a serial port (default cas)")
    r.add_argument("--baud", type=int, default=0, help="baud rate of a serial port")
    r.add_argument("--layout", default="us", help="key map noted in the header (default us)")
    r = dev.add_parser(
        "replay",
        help="replay a recording through the live decoders",
        description="Feed a recording through the decoders the scanner uses, on "
        "the recorded clock (the idle gap counts), and print each result.",
    )
    r.set_defaults(handler=cmd_replay)
    r.add_argument("file", help="recording (JSON lines); - for stdin")
    r.add_argument("--layout", help="key map to decode with (default: the recording's)")
    r.add_argument("--json", action="store_true", help="one JSON object per result")

    r = dev.add_parser(
        "sounds",
        help="write accepted / duplicate / refused sounds (WAV) and the config lines",
        description="Write three distinct WAV files for the scanner's sound_* commands "
        "(default folder DATA/sounds) and print the [[scanners]] lines that play them.",
    )
    r.set_defaults(handler=cmd_sounds)
    r.add_argument("--out", metavar="DIR", help="folder for the WAV files (default DATA/sounds)")

    p = add_command(
        sub, "scale", cmd_scale, "tare or zero a scale through the running scanning process"
    )
    p.add_argument("action", choices=("tare", "zero"))
    p.add_argument("name", help="scale name from [[scales]]")
    p.add_argument("--wait", type=float, default=5.0, help="seconds to wait for the answer")


# --- station scanner ---


class Simulation:
    """One simulated gun and scale for a station with no hardware configured."""

    def __init__(self, folder: Path, protocol: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.source = FakeSource()
        self.gun = self.source.plug()
        self.typist = Typist(self.gun)
        self.scale = SimulatedScale(protocol, folder / "scale-1")
        self.scanners = [
            ScannerSection(name="desk-1", match=f"name:{SIM_GUN_NAME}", scale="scale-1")
        ]
        self.scales = [ScaleSection(name="scale-1", port=str(self.scale.link), protocol=protocol)]

    def drive(self, stream: IO[str]) -> None:
        """Type each line of ``stream`` with the gun; '#' lines control the simulation."""
        for raw in stream:
            line = raw.rstrip("\r\n")
            if line.startswith("#"):
                self.control(line[1:].split())
            elif line:
                self.typist.type(line)

    def control(self, words: list[str]) -> None:
        match words:
            case ["weight", grams] if grams.lstrip("-").isdigit():
                self.scale.set_weight(int(grams))
            case ["unplug", "gun"]:
                self.source.unplug(self.gun)
            case ["plug", "gun"]:
                self.gun = self.source.plug()
                self.typist = Typist(self.gun)
            case ["unplug", "scale"]:
                self.scale.unplug()
            case ["plug", "scale"]:
                self.scale.plug()
            case _:
                log.warning("simulation: unknown control line #%s", " ".join(words))

    def close(self) -> None:
        self.scale.close()


def cmd_scanner(args: argparse.Namespace, ctx: Context) -> int:
    from edge.devices.scanner import Hotplug, Scanner
    from edge.station import Station

    config = ctx.config
    store = ctx.store()
    scanners, scales = config.scanners, config.scales
    source: Any = EvdevSource()
    sim: Simulation | None = None
    if args.simulate and not scanners and not scales:
        sim = Simulation(ctx.data_dir / "sim", args.simulate_scale)
        scanners, scales, source = sim.scanners, sim.scales, sim.source
        threading.Thread(target=sim.drive, args=(sys.stdin,), name="sim-stdin", daemon=True).start()
        log.info(
            "simulating gun %r and %s scale at %s; type codes on stdin",
            SIM_GUN_NAME,
            args.simulate_scale,
            sim.scale.link,
        )
    elif args.simulate:
        log.warning("guns or scales are configured: --simulate ignored")
    elif not scanners and not scales:
        log.warning(
            "no [[scanners]] or [[scales]] configured: run `station devices` to "
            "find them (waiting anyway, so systemd does not restart us in a loop)"
        )
    scanner = Scanner(
        config,
        store,
        Station(store, config),
        source,
        scanners,
        scales,
        hotplug=None if sim else Hotplug(),
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        scanner.run(stop.is_set)
    finally:
        scanner.close()
        if sim:
            sim.close()
    return 0


# --- station devices ---


def cmd_devices(args: argparse.Namespace, ctx: Context) -> int:
    source = EvdevSource()
    links = source.links()
    idents = list(GunFinder(source).identities())
    print("Input devices (barcode guns are keyboards):")
    if not idents:
        print("  none visible. Add the service user to the 'input' group (or run as root).")
    for ident in idents:
        stable = links.get(ident.path, [])
        kind = "keyboard" if ident.keyboard else "not a keyboard"
        print(
            f"\n  {ident.path}  {ident.name!r}  usb {ident.usb_id}"
            f"{'  serial ' + ident.uniq if ident.uniq else ''}  ({kind})"
        )
        if ident.keyboard:
            match = stable[0] if stable else f"usb:{ident.usb_id}"
            print(
                '    [[scanners]]\n    name = "desk-1"\n'
                f'    match = "{match}"\n    mode = "receive"'
            )
    print("\nSerial ports (scales):")
    ports = _serial_ports()
    if not ports:
        print(
            "  none visible. USB-serial adapters appear as /dev/ttyUSB*; add the service "
            "user to the 'dialout' group."
        )
    for port, description, stable_link in ports:
        print(f"\n  {port}  {description}")
        print(
            '    [[scales]]\n    name = "scale-1"\n'
            f'    port = "{stable_link or port}"\n    protocol = "cas"'
        )
    return 0


def _serial_ports() -> list[tuple[str, str, str | None]]:
    from serial.tools import list_ports

    by_id: dict[str, str] = {}
    folder = Path("/dev/serial/by-id")
    if folder.is_dir():
        for link in folder.iterdir():
            by_id[os.path.realpath(link)] = str(link)
    return [
        (p.device, f"{p.description} ({p.hwid})", by_id.get(os.path.realpath(p.device)))
        for p in sorted(list_ports.comports(), key=lambda p: p.device)
    ]


def _until(seconds: float) -> Any:
    end = time.monotonic() + seconds if seconds > 0 else None
    return lambda: end is not None and time.monotonic() >= end


def cmd_record(args: argparse.Namespace, ctx: Context) -> int:
    out: IO[str] = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout  # noqa: SIM115
    try:
        gun = next((s for s in ctx.config.scanners if s.name == args.device), None)
        scale = next((s for s in ctx.config.scales if s.name == args.device), None)
        if scale is None and gun is None and not args.device.startswith("/dev/input"):
            scale = ScaleSection(
                name=args.device, port=args.device, protocol=args.protocol or "cas", baud=args.baud
            )
        if scale is not None:
            lines = record_serial(scale, out, _until(args.seconds))
            print(f"recorded {lines} lines", file=sys.stderr)
            return 0
        return _record_gun(args, gun, out)
    except KeyboardInterrupt:
        return 0
    finally:
        if args.out:
            out.close()


def _record_gun(args: argparse.Namespace, gun: ScannerSection | None, out: IO[str]) -> int:
    import evdev

    source = EvdevSource()
    spec = gun.match if gun else args.device
    layout = gun.layout if gun else args.layout
    path = next((i.path for i in GunFinder(source).identities() if matches(spec, i)), None)
    if path is None:
        print(f"no input device matches {spec!r} (see `station devices`)", file=sys.stderr)
        return 1
    device = evdev.InputDevice(path)
    try:
        device.grab()  # keep the test scans out of the console
        print(f"recording {path} ({device.name}); scan, then Ctrl-C", file=sys.stderr)
        count = record_input(device, out, layout, _until(args.seconds))  # type: ignore[arg-type]
    finally:
        device.close()
    print(f"recorded {count} events", file=sys.stderr)
    return 0


def cmd_replay(args: argparse.Namespace, ctx: Context) -> int:
    stream: IO[str] = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")  # noqa: SIM115
    try:
        for result in replay(stream, args.layout):
            if args.json:
                print(json.dumps(result, separators=(",", ":"), ensure_ascii=False))
            elif "barcode" in result:
                aim = f"  (AIM {result['aim']})" if result["aim"] else ""
                print(f"barcode {result['barcode']!r}{aim}")
            else:
                print(f"weight {result['weight_g']} g{'  stable' if result['stable'] else ''}")
    except BadRecording as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return 1
    finally:
        if stream is not sys.stdin:
            stream.close()
    return 0


# --- station scale ---


def cmd_sounds(args: argparse.Namespace, ctx: Context) -> int:
    from edge.devices.sounds import write_sounds

    folder = Path(args.out) if args.out else ctx.data_dir / "sounds"
    written = write_sounds(folder.resolve())
    print(f"wrote {', '.join(p.name for p in written.values())} in {folder}")
    print("add to each [[scanners]] table (aplay is in Debian's alsa-utils):")
    for status, path in written.items():
        print(f'sound_{status} = "aplay -q {path}"')
    return 0


def cmd_scale(args: argparse.Namespace, ctx: Context) -> int:
    names = [s.name for s in ctx.config.scales]
    if names and args.name not in names:
        print(f"no scale named {args.name!r} (configured: {', '.join(names)})", file=sys.stderr)
        return 2
    store = ctx.store()
    at = datetime.now(ctx.config.tz).isoformat(timespec="milliseconds")
    command_id = store.request_device_command(args.name, args.action, at, "cli")
    end = time.monotonic() + args.wait
    while time.monotonic() < end:
        row = store.device_command(command_id)
        if row is not None and row["done_at"]:
            print(
                f"{args.action} {args.name}: {'done' if row['ok'] else 'refused'}: {row['detail']}"
            )
            return 0 if row["ok"] else 1
        time.sleep(0.1)
    print(
        f"{args.action} {args.name}: no answer within {args.wait:.0f} s. Is `station "
        "scanner` running? The request stays queued until it is.",
        file=sys.stderr,
    )
    return 1
