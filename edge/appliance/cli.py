"""`station status`, `install`, `backup`, `restore` and `nightly`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from dataclasses import asdict
from pathlib import Path

from edge.appliance import health, install, retention
from edge.cli_support import Context, add_command, print_json

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this area's subcommands."""
    p = add_command(
        sub,
        "status",
        cmd_status,
        "health of this station: database, devices, sync backlog, disk "
        "(exit 1 when something is wrong)",
    )
    p.add_argument("--json", action="store_true", help="print the checks as JSON")

    p = add_command(
        sub,
        "install",
        cmd_install,
        "install as a service: user, venv, config, systemd units, udev rules "
        "(run with sudo; safe to repeat, which is also how to update)",
    )
    p.add_argument(
        "--root",
        metavar="DIR",
        default="/",
        help="install into DIR instead of / (an image or a test); only writes "
        "files there and logs the commands it would run",
    )
    p.add_argument(
        "--source",
        metavar="DIR",
        default=None,
        help="source checkout to install from (default: the one running)",
    )
    p.add_argument(
        "--head-office",
        action="store_true",
        help="enable the reference head-office receiver instead of the station",
    )
    p.add_argument(
        "--display",
        action="store_true",
        help="a screen shows the page here (kiosk): install a CJK font "
        "(done anyway when the kernel reports a connected screen)",
    )
    p.add_argument(
        "--uninstall",
        action="store_true",
        help="stop and remove the services; data and config stay",
    )
    p.add_argument(
        "--purge",
        action="store_true",
        help="with --uninstall: also delete the data, config and user",
    )

    p = add_command(
        sub,
        "backup",
        cmd_backup,
        "write an online backup of the database now (rotated unless --to)",
    )
    p.add_argument(
        "--to",
        metavar="DIR",
        default=None,
        help="folder for this backup (default: [appliance].backup_dir, rotated)",
    )

    p = add_command(
        sub,
        "restore",
        cmd_restore,
        "replace the database with a backup (the current one is backed up first; "
        "stop the services before)",
    )
    p.add_argument("file", metavar="FILE", help="a backup written by `station backup`")

    add_command(sub, "nightly", cmd_nightly, "retention then backup: what the nightly timer runs")


def cmd_status(args: argparse.Namespace, ctx: Context) -> int:
    result = health.check_at(ctx.db_path, ctx.config)
    if args.json:
        print_json(result.to_json())
    else:
        print(result.text())
    return 0 if result.ok else 1


def cmd_install(args: argparse.Namespace, ctx: Context) -> int:
    root = Path(args.root)
    try:
        if args.uninstall or args.purge:
            host = install.uninstall(root, purge=args.purge)
        else:
            opts = install.Options(
                root=root,
                source=Path(args.source) if args.source else None,
                # Only a config named on purpose, never ./var's by accident.
                config_from=ctx.config_path
                if ctx.config_file or os.environ.get("STATION_CONFIG")
                else None,
                head_office=args.head_office,
                display=args.display,
            )
            host = install.install(opts)
    except install.InstallError as exc:
        print(f"install: {exc}", file=sys.stderr)
        return 1
    for action in host.actions:
        print(action)
    if not host.live and host.commands:
        print(f"commands a live system would run: {root / install.PLAN_LOG}")
    if not host.actions:
        print("nothing to change")
    return 0


def cmd_backup(args: argparse.Namespace, ctx: Context) -> int:
    try:
        path = retention.backup(ctx.store(), ctx.config, Path(args.to) if args.to else None)
    except retention.BackupError as exc:
        print(f"backup: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


def cmd_restore(args: argparse.Namespace, ctx: Context) -> int:
    try:
        safety = retention.restore(ctx.store(create=True, check=False), ctx.config, Path(args.file))
    except retention.BackupError as exc:
        print(f"restore: {exc}", file=sys.stderr)
        return 1
    print(f"restored {args.file}; the previous database is kept as {safety}")
    return 0


def cmd_nightly(args: argparse.Namespace, ctx: Context) -> int:
    store = ctx.store()
    pruned = retention.prune(store, ctx.config)
    print_json(asdict(pruned))
    try:
        print(retention.backup(store, ctx.config))
    except retention.BackupError as exc:
        log.error("backup: %s", exc)
        return 1
    return 0
