"""`station`: the command line of a station. Each area adds its subcommands in its own
module (edge.core_cli, edge.devices.cli, sync.cli, web.cli, edge.appliance.cli), imported
only when one of its commands runs."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from edge.cli_support import Context, default_data_dir
from edge.config_base import ConfigError
from edge.store import StoreError

log = logging.getLogger(__name__)

# Each area's top-level commands, in registration order. A run imports only the areas
# that name its command, so `station scan` never loads Flask or requests
# (tests/test_core_cli.py keeps this table true). A command missing here still works:
# every area is then loaded. An area may add actions to another's command (`report`).
AREAS: dict[str, tuple[str, ...]] = {
    "edge.core_cli": ("init", "migrate", "config", "scan", "waybill", "parcel", "parcels",
                      "export", "report", "operator", "cards"),
    "edge.demo": ("demo",),
    "edge.devices.cli": ("scanner", "devices", "scale"),
    "sync.cli": ("sync",),
    # Apart from sync: the receiver's page loads Flask, which the sync service never uses.
    "sync.headoffice.cli": ("head-office",),
    "web.cli": ("web",),
    "edge.appliance.cli": ("status", "install", "backup", "restore", "nightly"),
    "edge.devices.printers.cli": ("printer", "label"),
    "edge.desk.cli": ("courier", "handover", "problems", "fee", "report"),
    "edge.service.cli": ("ticket", "tickets", "receipt", "receipts", "send", "sends"),
}  # fmt: skip
# Areas whose register() extends a command of another area, which must register first.
_EXTENDS = {"edge.desk.cli": "edge.core_cli"}
_GLOBAL_WITH_VALUE = ("--data", "--config")


def areas_for(argv: Sequence[str]) -> list[ModuleType]:
    """The area modules a run of ``argv`` needs: its command's, or all (help, typos)."""
    names = list(AREAS)
    words = iter(argv)
    for word in words:
        if word in _GLOBAL_WITH_VALUE:
            next(words, None)
        elif not word.startswith("-"):
            chosen = {name for name, commands in AREAS.items() if word in commands}
            chosen |= {_EXTENDS[name] for name in chosen if name in _EXTENDS}
            names = [name for name in AREAS if name in chosen] or names
            break
    return [importlib.import_module(name) for name in names]


class _Parser(argparse.ArgumentParser):
    """No abbreviated options (`--typ` is an error, not `--type`); sub-commands inherit it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)


def build_parser(areas: Sequence[ModuleType] | None = None) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="station",
        description="Station Edge: scanning, sorting and sync for a parcel pickup station.",
    )
    parser.add_argument(
        "--data",
        metavar="DIR",
        default=None,
        help="data folder (default: $STATION_DATA, then ./var)",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=None,
        help="config file (default: $STATION_CONFIG, then DIR/station.toml)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for area in areas if areas is not None else areas_for(()):
        area.register(sub)
    _accept_global_options_anywhere(parser)
    return parser


def _accept_global_options_anywhere(parser: argparse.ArgumentParser) -> None:
    """`station init --data DIR` works as well as `station --data DIR init`. A command
    with a --data of its own (the head-office receiver's folder) keeps it."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for command in action.choices.values():
            for flag, metavar in (("--data", "DIR"), ("--config", "FILE")):
                if flag not in command._option_string_actions:
                    command.add_argument(
                        flag,
                        dest=flag[2:],
                        metavar=metavar,
                        default=argparse.SUPPRESS,
                        help=f"same as the global {flag}",
                    )
            _accept_global_options_anywhere(command)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(areas_for(argv))
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    data_dir = Path(args.data) if args.data else default_data_dir()
    ctx = Context(data_dir=data_dir, config_file=args.config)
    try:
        return int(args.handler(args, ctx))
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    except StoreError as exc:
        log.error("database: %s", exc)
        print(f"{exc.zh}\n{exc.en}\n({exc})", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error of ours.
        sys.stderr.close()
        return 0
    finally:
        ctx.close()


if __name__ == "__main__":
    sys.exit(main())
