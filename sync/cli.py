"""Subcommands of this area; edge.cli calls register().

`station sync run|once|status|retry` (the uploader); `station head-office` (the reference
receiver) registers from sync.headoffice.cli, so the uploader never loads its page.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from datetime import datetime

from edge.cli_support import Context, add_command, need_action, print_json
from edge.clock import SystemClock
from edge.notify import notify
from sync.service import watchdog_s
from sync.station import records
from sync.station.common import worst_turn_s
from sync.station.loop import Uploader
from sync.token import TokenFileError

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
    records.register(sync_sub)


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
            service=config.service,
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
    worst, watchdog = worst_turn_s(ctx.config.head_office), watchdog_s()
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
        uploader.learn_seq_floor()
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
    uploader.gather_s = 0.0  # sends everything now: nothing to wait for
    try:
        return _once(uploader, args.timeout, ctx.config.head_office.poll_s)
    finally:
        uploader.close()


def _once(uploader: Uploader, timeout: float | None, poll: float) -> int:
    deadline = None if timeout is None else time.monotonic() + timeout
    said = ""
    while True:
        result = uploader.turn()
        if result.state == "held" and result.detail != said:
            # Otherwise a person sees a silent wait of up to hold_unsynced_s.
            said = result.detail
            print(f"{said} (held at most [head_office] hold_unsynced_s)", file=sys.stderr)
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
                "records": store.outbox_status() | {"rejected_list": store.outbox_rejected()},
            }
        )
        return 0
    age = status["oldest_unsent_age_s"]
    tz = ctx.config.tz

    def local(at: str | None) -> str | None:
        # Stored in UTC; people read the station's own time.
        return (
            datetime.fromisoformat(at).astimezone(tz).isoformat(timespec="seconds") if at else None
        )

    lines = [
        f"head office:      {ctx.config.head_office.url or '(off: no [head_office] url)'}",
        f"unsent scans:     {status['backlog']}"
        + (f" (oldest {_age(age)} old)" if age is not None else ""),
        f"sent:             {status['sent']}",
        f"rejected:         {status['rejected']}",
        f"last success:     {local(status['last_success_at']) or 'never'}",
        f"last error:       {status['last_error'] or 'none'}"
        + (f" at {local(status['last_error_at'])}" if status["last_error"] else ""),
        f"next attempt:     {local(status['next_attempt_at']) or 'now'}",
        f"photos waiting:   {status['photos_waiting']}, failed: {status['photos_failed']}",
    ]
    lines += records.records_lines(store.outbox_status(), store.outbox_rejected())
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
