"""`station`: the command line of a station. Each area adds its subcommands in its own
module (edge.devices.cli, sync.cli, web.cli, edge.appliance.cli)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from edge import core_cli
from edge.appliance import cli as appliance_cli
from edge.cli_support import Context, default_data_dir
from edge.config_base import ConfigError
from edge.desk import cli as desk_cli
from edge.devices import cli as devices_cli
from edge.devices.printers import cli as printers_cli
from edge.service import cli as service_cli
from edge.store import StoreError
from sync import cli as sync_cli
from web import cli as web_cli

log = logging.getLogger(__name__)

AREAS = (
    core_cli,
    devices_cli,
    sync_cli,
    web_cli,
    appliance_cli,
    printers_cli,
    desk_cli,
    service_cli,
)


class _Parser(argparse.ArgumentParser):
    """No abbreviated options (`--typ` is an error, not `--type`); sub-commands inherit it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)


def build_parser() -> argparse.ArgumentParser:
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
    for area in AREAS:
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
    parser = build_parser()
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
