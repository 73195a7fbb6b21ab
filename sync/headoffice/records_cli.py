"""`station head-office ticket-answer|receipt-confirm|sign-record`: head office's answers
to a station (contract version 3), queued for the station's next pull of its updates."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from edge.cli_support import Context, add_command
from sync.contract import parse_rfc3339

Options = Callable[[argparse.ArgumentParser, Any], None]
OpenStorage = Callable[[argparse.Namespace, Context], Any]  # the receiver's Storage


def register(
    ho_sub: argparse._SubParsersAction[argparse.ArgumentParser],
    options: Options,
    open_storage: OpenStorage,
) -> None:
    def command(name: str, ref: str, ref_help: str, help_text: str) -> argparse.ArgumentParser:
        cmd = add_command(ho_sub, name, lambda a, c: _record(a, c, open_storage), help_text)
        cmd.add_argument("station", metavar="STATION", help="the station's code")
        cmd.add_argument("ref", metavar=ref, help=ref_help)
        cmd.add_argument("--at", help="when (RFC 3339 with an offset; default now)")
        cmd.add_argument("--by", help="who at head office (default head-office)")
        cmd.set_defaults(update_kind=name.replace("-", "_"))
        options(cmd, argparse.SUPPRESS)
        return cmd

    answer = command("ticket-answer", "TICKET", "the station's ticket id",
                     "answer a ticket a station escalated")  # fmt: skip
    answer.add_argument("--text", required=True, help="the answer, as the clerk will read it")
    command("receipt-confirm", "BATCH", "the station's receipt batch id",
            "confirm a station's batch of signed receipts arrived")  # fmt: skip
    command("sign-record", "WAYBILL", "the waybill of a parcel the station sent",
            "record that a parcel sent from a station was signed")  # fmt: skip


def _record(args: argparse.Namespace, ctx: Context, open_storage: OpenStorage) -> int:
    from sync.contract_records import update_problem
    from sync.headoffice.records import records_for

    now = datetime.now(UTC).isoformat(timespec="seconds")
    at = args.at or now
    if parse_rfc3339(at) is None:
        print(f"--at: expected RFC 3339 with an offset, not {at!r}", file=sys.stderr)
        return 2
    body: dict[str, Any] = {"by": args.by} if args.by else {}
    if args.update_kind == "ticket_answer":
        body["words"] = args.text
    update = {"kind": args.update_kind, "ref": args.ref, "at": at, "body": body}
    problem = update_problem(update)
    if problem:
        print(f"not recorded: {problem}", file=sys.stderr)
        return 2
    storage = open_storage(args, ctx)
    try:
        records = records_for(storage)
        assert records is not None, "every backend keeps records"
        n = records.add_update(args.station, args.update_kind, args.ref, at, body, now)
    finally:
        storage.close()
    print(json.dumps({"update": n, **update}, ensure_ascii=False))
    return 0
