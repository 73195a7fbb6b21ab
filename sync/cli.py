"""Subcommands of this area; edge.cli calls register().

`station sync run|once|status|retry` (the uploader) and `station head-office` (the
reference receiver, with `token add` and `manifest import`).
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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from edge.cli_support import Context, add_command, need_action, print_json
from edge.clock import SystemClock
from edge.notify import notify
from sync.receiver.app import hash_token, new_token
from sync.receiver.manifest_csv import ManifestError, parse_manifest_csv
from sync.receiver.server import make_server
from sync.receiver.sqlite import SQLiteStorage
from sync.token import TokenFileError
from sync.uploader import Uploader, worst_turn_s

log = logging.getLogger(__name__)

RECEIVER_DIR = "head-office"  # inside the data folder unless --data says otherwise
EXIT_BACKLOG, EXIT_STOPPED, EXIT_REJECTED = 1, 4, 5


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this area's subcommands."""
    sync = add_command(sub, "sync", need_action, "upload scans and photos to head office")
    sync_sub = sync.add_subparsers(dest="sync_command", metavar="ACTION", required=True)
    add_command(sync_sub, "run", cmd_run, "upload forever (the sync service)")
    once = add_command(
        sync_sub,
        "once",
        cmd_once,
        "upload until nothing is left or a person is needed, then exit",
        "Upload until nothing is left unsent (exit 0), the timeout passes (exit 1), head "
        "office refuses the credentials or URL (exit 4), or only rejected scans are left "
        "(exit 5).",
    )
    once.add_argument(
        "--timeout",
        type=float,
        metavar="S",
        default=None,
        help="give up after S seconds (default: no limit)",
    )
    status = add_command(
        sync_sub,
        "status",
        cmd_status,
        "backlog, oldest unsent, last success and error, rejected scans",
    )
    status.add_argument("--json", action="store_true", help="print JSON")
    retry = add_command(
        sync_sub,
        "retry",
        cmd_retry,
        "send a rejected scan again (after fixing what head office refused)",
    )
    retry.add_argument("event_id", metavar="EVENT_ID", help="the rejected scan's event id")

    ho = add_command(
        sub,
        "head-office",
        cmd_head_office,
        "run the reference head-office receiver (HTTP API for stations)",
    )
    _receiver_options(ho, None)
    ho.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    ho.add_argument("--port", type=int, default=8090, help="port (default 8090)")
    ho.add_argument("--threads", type=int, default=8, help="worker threads (default 8)")
    ho_sub = ho.add_subparsers(dest="ho_command", metavar="ACTION")
    token = add_command(ho_sub, "token", need_action, "manage station tokens")
    token_sub = token.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    token_add = add_command(
        token_sub,
        "add",
        cmd_token_add,
        "make a token for a station and print it (kept only hashed)",
    )
    token_add.add_argument("station", metavar="STATION", help="station code, e.g. SZ-NS-0042")
    token_add.add_argument(
        "--query", action="store_true", help="a token for the query API instead of a station"
    )
    _receiver_options(token_add, argparse.SUPPRESS)
    manifest = add_command(ho_sub, "manifest", need_action, "manage the manifest (预报)")
    manifest_sub = manifest.add_subparsers(dest="manifest_command", metavar="ACTION", required=True)
    imp = add_command(
        manifest_sub, "import", cmd_manifest_import, "import parcels on their way from a CSV file"
    )
    imp.add_argument(
        "file",
        metavar="FILE.csv",
        help="CSV with a header: station,waybill[,carrier,phone_last4,"
        "recipient_masked,declared_weight_g,valuable]",
    )
    _receiver_options(imp, argparse.SUPPRESS)


def _receiver_options(parser: argparse.ArgumentParser, default: Any) -> None:
    # dest differs from the global --data (the station's folder), which it must not clobber.
    parser.add_argument(
        "--data",
        dest="receiver_data",
        metavar="DIR",
        default=default,
        help="the receiver's data folder (default: $HEAD_OFFICE_DATA, then "
        f"DIR/{RECEIVER_DIR} under the global --data folder)",
    )


def _receiver_dir(args: argparse.Namespace, ctx: Context) -> Path:
    chosen = getattr(args, "receiver_data", None) or os.environ.get("HEAD_OFFICE_DATA")
    return Path(chosen) if chosen else ctx.data_dir / RECEIVER_DIR


# -- uploader ----------------------------------------------------------------------------
def _say_sync_off(ctx: Context) -> None:
    print(
        f"sync is off: set [head_office] url and token_file in {ctx.config_path}", file=sys.stderr
    )


def _uploader(ctx: Context) -> Uploader | None:
    config = ctx.config
    if not config.head_office.url:
        _say_sync_off(ctx)
        return None
    try:
        return Uploader(
            store=ctx.store(),
            settings=config.head_office,
            station=config.station.code,
            tz=config.tz,
            clock=SystemClock(),
            data_dir=ctx.data_dir,
        )
    except TokenFileError as exc:
        print(f"cannot start sync: {exc}", file=sys.stderr)
        return None


def cmd_run(args: argparse.Namespace, ctx: Context) -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    poll = ctx.config.head_office.poll_s
    if not ctx.config.head_office.url:
        # Sync is off: stay up quietly (a service restarting every few seconds only
        # fills the journal); setting url takes a restart, like any config change.
        _say_sync_off(ctx)
        notify("READY=1")
        while not stop.wait(poll * 10):
            notify("WATCHDOG=1")
        return 0
    uploader = _uploader(ctx)
    if uploader is None:
        return 2
    worst, watchdog = worst_turn_s(ctx.config.head_office), _watchdog_s()
    if watchdog and watchdog <= worst:
        log.warning(
            "WatchdogSec=%.0f may kill sync while head office is slow to answer: one turn can "
            "take %.0f s with these timeouts; set WatchdogSec=%.0f or more",
            watchdog,
            worst,
            worst + 30,
        )
    notify("READY=1")
    log.info("sync to %s started", ctx.config.head_office.url)
    try:
        while not stop.is_set():
            result = uploader.turn()
            notify("WATCHDOG=1")
            if result.state == "sent":
                continue
            stop.wait(_pause(uploader, poll))
    finally:
        uploader.close()
    log.info("sync stopped")
    return 0


def _pause(uploader: Uploader, poll: float) -> float:
    """Until the next attempt is due, but never longer than one poll interval."""
    due = uploader.store.sync_state().get("next_attempt_at")
    if due:
        return max(0.05, min(poll, due - uploader.now()))
    return poll


def cmd_once(args: argparse.Namespace, ctx: Context) -> int:
    uploader = _uploader(ctx)
    if uploader is None:
        return EXIT_STOPPED
    try:
        return _once(uploader, args.timeout, ctx.config.head_office.poll_s)
    finally:
        uploader.close()


def _once(uploader: Uploader, timeout: float | None, poll: float) -> int:
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        result = uploader.turn()
        if result.state == "blocked":
            print(f"stopped: {result.detail}", file=sys.stderr)
            return EXIT_STOPPED
        if result.state == "idle":
            break
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            backlog = uploader.store.sync_status()["backlog"]
            print(
                f"timed out with {backlog} scans unsent ({result.detail or result.state})",
                file=sys.stderr,
            )
            return EXIT_BACKLOG
        if result.state == "sent":
            continue
        pause = _pause(uploader, poll)
        time.sleep(pause if left is None else min(pause, left))
    status = uploader.store.sync_status()
    if status["rejected"]:
        print(
            f"{status['rejected']} scans were rejected by head office and wait for a person "
            "(see `station sync status`)",
            file=sys.stderr,
        )
        return EXIT_REJECTED
    print(f"all sent ({status['sent']} scans at head office)")
    return 0


def cmd_status(args: argparse.Namespace, ctx: Context) -> int:
    store = ctx.store()
    status = store.sync_status()
    rejected = store.rejected_scans()
    if args.json:
        print_json(
            {
                **status,
                "url": ctx.config.head_office.url or None,
                "rejected_scans": rejected,
                "failed_photos": store.failed_photos(),
            }
        )
        return 0
    age = status["oldest_unsent_age_s"]
    lines = [
        f"head office:      {ctx.config.head_office.url or '(off: no [head_office] url)'}",
        f"unsent scans:     {status['backlog']}"
        + (f" (oldest {_age(age)} old)" if age is not None else ""),
        f"sent:             {status['sent']}",
        f"rejected:         {status['rejected']}",
        f"last success:     {status['last_success_at'] or 'never'}",
        f"last error:       {status['last_error'] or 'none'}"
        + (f" at {status['last_error_at']}" if status["last_error"] else ""),
        f"next attempt:     {status['next_attempt_at'] or 'now'}",
        f"photos waiting:   {status['photos_waiting']}, failed: {status['photos_failed']}",
    ]
    if status["blocked_reason"]:
        lines.append(f"STOPPED:          {status['blocked_reason']}")
    for r in rejected:
        lines.append(
            f"  rejected #{r['seq']} {r['event_id']} {r['type']} {r['waybill']}: "
            f"{r['reason']}  (after a fix: station sync retry {r['event_id']})"
        )
    print("\n".join(lines))
    return 0


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def cmd_retry(args: argparse.Namespace, ctx: Context) -> int:
    before = ctx.store().retry_rejected_scan(args.event_id, actor="cli")
    if before == "rejected":
        print(f"scan {args.event_id} queued again; `station sync run` sends it")
        return 0
    if not before:
        print(f"no scan with event id {args.event_id}", file=sys.stderr)
    else:
        print(f"scan {args.event_id} is {before}, not rejected: nothing to retry", file=sys.stderr)
    return 1


# -- receiver ----------------------------------------------------------------------------
def cmd_head_office(args: argparse.Namespace, ctx: Context) -> int:
    data = _receiver_dir(args, ctx)
    server, storage = make_server(data, args.host, args.port, args.threads)
    port = server.effective_port
    # waitress gives the port as text once bound to a given one: %s, not %d.
    log.info("head office receiver on http://%s:%s (data %s)", args.host, port, data)
    notify("READY=1")
    interval = _watchdog_s() / 3
    if interval:
        host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
        threading.Thread(
            target=_probe, args=(f"http://{host}:{port}/v1/health", interval), daemon=True
        ).start()
    try:
        server.run()
    finally:
        storage.close()
    return 0


def _watchdog_s() -> float:
    """systemd's watchdog period (WatchdogSec), 0 when there is none."""
    try:
        return int(os.environ.get("WATCHDOG_USEC", "0")) / 1e6
    except ValueError:
        return 0.0


def _probe(url: str, interval: float) -> None:
    """Tell the watchdog the receiver lives only when it answers HTTP: waitress's loop
    offers no hook, so a request to ourselves is the proof of progress."""
    while True:
        time.sleep(interval)
        try:
            requests.get(url, timeout=interval).raise_for_status()
        except requests.RequestException as exc:
            log.warning("health probe failed, not telling the watchdog: %s", exc)
            continue
        notify("WATCHDOG=1")


def cmd_token_add(args: argparse.Namespace, ctx: Context) -> int:
    storage = SQLiteStorage(_receiver_dir(args, ctx))
    try:
        token = new_token()
        storage.add_token(args.station, hash_token(token), "query" if args.query else "station")
    finally:
        storage.close()
    print(token)
    if not args.query:
        print(
            f"give it to station {args.station}: its [head_office] token_file holds it (chmod 600)",
            file=sys.stderr,
        )
    return 0


def cmd_manifest_import(args: argparse.Namespace, ctx: Context) -> int:
    try:
        parcels = parse_manifest_csv(Path(args.file).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        print(f"cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    except ManifestError as exc:
        print(f"{args.file}: {exc}; nothing imported", file=sys.stderr)
        return 2
    storage = SQLiteStorage(_receiver_dir(args, ctx))
    try:
        count = storage.import_manifest(parcels, datetime.now(UTC).isoformat(timespec="seconds"))
    finally:
        storage.close()
    print(json.dumps({"imported": count}))
    return 0
