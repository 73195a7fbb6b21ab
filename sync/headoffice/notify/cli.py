"""`station head-office notify run|resend`: the notify loop and the clerk's re-send."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edge.cli_support import Context, add_command, need_action
from edge.config_base import ConfigError
from edge.notify import notify
from sync.contract import parse_rfc3339

log = logging.getLogger(__name__)

Options = Callable[[argparse.ArgumentParser, Any], None]
OpenStorage = Callable[[argparse.Namespace, Context], Any]
Folder = Callable[[argparse.Namespace, Context], Path]


def register(
    ho_sub: argparse._SubParsersAction[argparse.ArgumentParser],
    options: Options,
    open_storage: OpenStorage,
    folder: Folder,
) -> None:
    notify = add_command(ho_sub, "notify", need_action, "recipient notifications (SMS)")
    sub = notify.add_subparsers(dest="notify_command", metavar="ACTION", required=True)
    run = add_command(
        sub,
        "run",
        lambda a, c: _run(a, c, open_storage, folder),
        "send arrival messages and reminders (head-office.toml [notify])",
    )
    run.add_argument("--once", action="store_true", help="one pass, then exit")
    run.add_argument(
        "--now", help="pretend it is this time (RFC 3339 with an offset; demos and tests)"
    )
    options(run, argparse.SUPPRESS)
    resend = add_command(
        sub,
        "resend",
        lambda a, c: _resend(a, c, open_storage, folder),
        "queue a parcel's arrival message again",
    )
    resend.add_argument("station", metavar="STATION")
    resend.add_argument("waybill", metavar="WAYBILL")
    options(resend, argparse.SUPPRESS)


def _run(args: argparse.Namespace, ctx: Context, open_storage: OpenStorage, folder: Folder) -> int:
    from sync.headoffice.notify.loop import open_notifier, utcnow

    fixed = parse_rfc3339(args.now) if args.now else None
    if args.now and fixed is None:
        print(f"--now: expected RFC 3339 with an offset, not {args.now!r}", file=sys.stderr)
        return 2
    storage = open_storage(args, ctx)
    try:
        notifier, queue, phones = open_notifier(folder(args, ctx), storage)
    except ConfigError as exc:
        storage.close()
        print(str(exc), file=sys.stderr)
        return 2
    try:
        notify("READY=1")
        while True:
            result = notifier.run_pass(fixed or utcnow())
            if args.once:
                print(json.dumps(asdict(result)))
                return 0
            notify("WATCHDOG=1")
            if any(asdict(result).values()):
                log.info("notify pass: %s", asdict(result))
            time.sleep(notifier.s.poll_s)
    finally:
        queue.close()
        phones.close()
        storage.close()


def _resend(
    args: argparse.Namespace, ctx: Context, open_storage: OpenStorage, folder: Folder
) -> int:
    from sync.headoffice.notify.queue import NotifyQueue

    queue = NotifyQueue(folder(args, ctx))
    try:
        queued = queue.resend(args.station, args.waybill, datetime.now(UTC))
    finally:
        queue.close()
    print(json.dumps({"queued": queued}))
    return 0 if queued else 1
