"""Subcommands of the label printers; edge.cli calls register().

station printer                          the print process (systemd runs it)
station label preview WAYBILL --out PNG  the label exactly as it would print
station label test [--printer NAME]      print a test label now
station label reprint WAYBILL            queue a reprint
station label queue [--json]             printers and their waiting labels
station label simulate [--port 9100]     a simulated network printer that saves PNGs
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from edge.cli_support import Context, add_command, need_action, print_json
from edge.clock import SystemClock
from edge.devices.printers.settings import PrinterSection
from edge.notify import notify

log = logging.getLogger(__name__)

Sub = argparse._SubParsersAction


def register(sub: Sub[argparse.ArgumentParser]) -> None:
    add_command(
        sub,
        "printer",
        cmd_printer,
        "print a pickup-code label for every accepted receive (the print process)",
        "Follow accepted receives and REPRINT cards, queue a label for each and print "
        "them on the configured [[printers]], retrying with backoff while a printer is "
        "off, unplugged or out of paper. Scanning never waits for it.",
    )
    label = add_command(sub, "label", need_action, "preview, test, reprint pickup-code labels")
    actions = label.add_subparsers(dest="label_command", metavar="ACTION")
    p = add_command(
        actions, "preview", cmd_preview, "write a waybill's label as a PNG, exactly as it prints"
    )
    p.add_argument("waybill")
    p.add_argument("--out", required=True, metavar="FILE.png", help="where to write the PNG")
    _printer_option(p)
    p = add_command(actions, "test", cmd_test, "print a test label now and say whether it printed")
    _printer_option(p, "the printer to test (default: every configured printer)")
    p = add_command(actions, "reprint", cmd_reprint, "queue a reprint of a waybill's label")
    p.add_argument("waybill")
    _printer_option(p)
    p = add_command(actions, "queue", cmd_queue, "printers, their state and labels waiting")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = add_command(
        actions,
        "simulate",
        cmd_simulate,
        "run a simulated network printer that saves each label it gets as a PNG",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=9100, help="TCP port (default 9100)")
    p.add_argument("--out", default=None, metavar="DIR", help="where PNGs go (default DATA/labels)")


def _printer_option(p: argparse.ArgumentParser, text: str | None = None) -> None:
    p.add_argument(
        "--printer", metavar="NAME", help=text or "printer to use (default: the first configured)"
    )


def _printers(ctx: Context, name: str | None) -> list[PrinterSection] | None:
    """The chosen printer(s); None (after saying why) when the name is unknown."""
    printers = ctx.config.printers
    if name is None:
        return printers
    chosen = [p for p in printers if p.name == name]
    if not chosen:
        known = ", ".join(p.name for p in printers) or "none configured"
        print(f"no printer named {name!r} (printers: {known})", file=sys.stderr)
        return None
    return chosen


def cmd_printer(args: argparse.Namespace, ctx: Context) -> int:
    from edge.devices.printers.worker import PrintWorker

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    config = ctx.config
    worker = PrintWorker(ctx.store(), config.printers, config.printing, config.tz)
    notify("READY=1")
    if config.printers:
        log.info("printing labels on %s", ", ".join(p.name for p in config.printers))
    else:
        log.info("no [[printers]] configured: following receives, printing nothing")
    while not stop.is_set():
        worker.turn()
        # One turn is bounded by the send timeouts, so any finished turn is progress.
        notify("WATCHDOG=1")
        stop.wait(worker.pause())
    log.info("printer stopped")
    return 0


def cmd_preview(args: argparse.Namespace, ctx: Context) -> int:
    from edge.devices.printers.render import label_data, preview

    printers = _printers(ctx, args.printer)
    if printers is None:
        return 2
    # Without a printer configured, show the default 40x30 label.
    printer = printers[0] if printers else PrinterSection(name="preview", device="/dev/null")
    row = ctx.store().printing_label_of(args.waybill)
    if row is None:
        print(f"{args.waybill}: no pickup code yet (not received?)", file=sys.stderr)
        return 1
    image = preview(label_data(row, ctx.config.tz), printer, ctx.config.printing)
    out = Path(args.out)
    image.save(out, format="PNG")
    size = printer.label_size()
    print(f"{out}: {printer.name}, {size.width_mm}x{size.height_mm} mm, {printer.template}")
    return 0


def cmd_test(args: argparse.Namespace, ctx: Context) -> int:
    from edge.devices.printers.render import job_bytes, test_label
    from edge.devices.printers.transport import PrinterError
    from edge.devices.printers.worker import send_to

    printers = _printers(ctx, args.printer)
    if not printers:
        if printers is not None:
            print("no [[printers]] configured in " + str(ctx.config_path), file=sys.stderr)
        return 2
    data = test_label(SystemClock().now(ctx.config.tz).wall)
    failed = 0
    for printer in printers:
        try:
            job = job_bytes(data, printer, ctx.config.printing)
            send_to(printer, job, ctx.config.printing.timeout_s)
        except PrinterError as exc:
            print(f"{printer.name}: NOT printed: {exc}")
            failed += 1
        else:
            print(f"{printer.name}: test label sent to {printer.device} ({len(job)} bytes)")
    return 1 if failed else 0


def cmd_reprint(args: argparse.Namespace, ctx: Context) -> int:
    from edge.devices.printers.queue import queue_reprint

    printers = _printers(ctx, args.printer)
    if not printers:
        if printers is not None:
            print("no [[printers]] configured in " + str(ctx.config_path), file=sys.stderr)
        return 2
    now = SystemClock().now(ctx.config.tz).iso
    job_id = queue_reprint(ctx.store(), args.waybill, printers[0].name, "cli", None, now)
    if job_id is None:
        print(f"{args.waybill}: no pickup code yet (not received?)", file=sys.stderr)
        return 1
    print(f"reprint of {args.waybill} queued on {printers[0].name} (job {job_id})")
    return 0


def cmd_queue(args: argparse.Namespace, ctx: Context) -> int:
    store = ctx.store()
    printers = [dict(r) for r in store.printing_printers()]
    if args.json:
        print_json({"printers": printers})
        return 0
    if not printers:
        print("no labels queued and no printer seen yet")
    for p in printers:
        state = p["state"] or "not seen"
        detail = f" ({p['detail']})" if p["detail"] else ""
        print(f"{p['name']}: {state}{detail}, {p['waiting']} label(s) waiting")
    return 0


def cmd_simulate(args: argparse.Namespace, ctx: Context) -> int:
    from edge.devices.printers.simulator import SimulatedPrinter

    out = Path(args.out) if args.out else ctx.data_dir / "labels"
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        printer = SimulatedPrinter(out, args.host, args.port, ctx.config.printing.font).start()
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    print(f"simulated printer on {printer.device}; labels go to {out}", flush=True)
    try:
        stop.wait()
    finally:
        printer.close()
    return 0
