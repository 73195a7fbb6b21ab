"""`station head-office operator add|revoke|list` and the page's `--silent-after` flag.

A PIN is never an argument (it would show in `ps` and shell history): asked twice on a
terminal, else read as one line from standard input (scripts, provisioning)."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from edge.cli_support import Context, add_command, need_action
from sync.headoffice.dashboard.settings import SILENT_ENV, SILENT_MAX, SILENT_MIN

Options = Callable[[argparse.ArgumentParser, Any], None]
OpenStorage = Callable[[argparse.Namespace, Context], Any]
OPERATOR_ID = re.compile(r"[A-Za-z0-9_.-]{1,32}")


class _SilentAfter(argparse.Action):
    """Kept in the environment, so every worker process's page reads the same value."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        if not str(values).isdigit() or not 1 <= int(values) <= SILENT_MAX:
            parser.error(f"--silent-after: expected 1 to {SILENT_MAX} minutes")
        os.environ[SILENT_ENV] = str(int(values))
        setattr(namespace, self.dest, int(values))


def register(
    ho: argparse.ArgumentParser,
    ho_sub: argparse._SubParsersAction[argparse.ArgumentParser],
    options: Options,
    open_storage: OpenStorage,
) -> None:
    ho.add_argument(
        "--silent-after",
        action=_SilentAfter,
        metavar="MIN",
        help=f"on the page, a station not heard from for longer stands out "
        f"(default {SILENT_MIN} minutes, or ${SILENT_ENV})",
    )
    op = add_command(ho_sub, "operator", need_action, "manage the operators of head office's page")
    op_sub = op.add_subparsers(dest="operator_command", metavar="ACTION", required=True)
    add = add_command(
        op_sub,
        "add",
        lambda a, c: _add(a, c, open_storage),
        "add an operator of the page (or give a known one a new PIN, name and role)",
    )
    add.add_argument("id", metavar="ID", help="operator ID: letters, digits, '_', '.', '-'")
    add.add_argument("--name", required=True, help="the operator's name, shown on the page")
    add.add_argument("--role", choices=("admin", "staff"), default="staff", help="default staff")
    options(add, argparse.SUPPRESS)
    rev = add_command(
        op_sub,
        "revoke",
        lambda a, c: _revoke(a, c, open_storage),
        "sign an operator out everywhere at once",
    )
    rev.add_argument("id", metavar="ID")
    rev.add_argument("--disable", action="store_true", help="and refuse their sign-in from now on")
    options(rev, argparse.SUPPRESS)
    lst = add_command(
        op_sub, "list", lambda a, c: _list(a, c, open_storage), "list the page's operators"
    )
    options(lst, argparse.SUPPRESS)


def _read_pin(op_id: str) -> str | None:
    if sys.stdin.isatty():
        pin = getpass.getpass(f"PIN for {op_id}: ")
        if getpass.getpass("the same PIN again: ") != pin:
            print("the two PINs differ: nothing saved", file=sys.stderr)
            return None
        return pin
    return sys.stdin.readline().strip()


def _add(args: argparse.Namespace, ctx: Context, open_storage: OpenStorage) -> int:
    from edge.pins import pin_problem
    from sync.headoffice.dashboard.db import Db
    from sync.headoffice.dashboard.operators import add_operator

    if not OPERATOR_ID.fullmatch(args.id):
        print("ID: letters, digits, '_', '.', '-' (at most 32)", file=sys.stderr)
        return 2
    if not args.name.strip() or len(args.name) > 64 or not args.name.isprintable():
        print("--name: 1 to 64 printable characters", file=sys.stderr)
        return 2
    pin = _read_pin(args.id)
    if pin is None:
        return 2
    problem = pin_problem(pin)
    if problem:
        print(f"PIN: {problem}; nothing saved", file=sys.stderr)
        return 2
    storage = open_storage(args, ctx)
    try:
        new = add_operator(Db(storage), args.id, args.name.strip(), args.role, pin,
                           datetime.now(UTC))  # fmt: skip
    finally:
        storage.close()
    done = "added" if new else "updated (their sessions ended)"
    print(f"page operator {args.id} ({args.name.strip()}, {args.role}) {done}")
    return 0


def _revoke(args: argparse.Namespace, ctx: Context, open_storage: OpenStorage) -> int:
    from sync.headoffice.dashboard.db import Db
    from sync.headoffice.dashboard.operators import revoke

    storage = open_storage(args, ctx)
    try:
        ended = revoke(Db(storage), args.id, args.disable)
    finally:
        storage.close()
    print(json.dumps({"operator": args.id, "sessions_ended": ended, "disabled": args.disable}))
    return 0


def _list(args: argparse.Namespace, ctx: Context, open_storage: OpenStorage) -> int:
    from sync.headoffice.dashboard.db import Db
    from sync.headoffice.dashboard.operators import operator_list

    storage = open_storage(args, ctx)
    try:
        rows = operator_list(Db(storage), datetime.now(UTC))
    finally:
        storage.close()
    for r in rows:
        print(json.dumps(r, ensure_ascii=False))
    return 0
