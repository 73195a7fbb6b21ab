"""`station demo`: a complete station on one machine, for a first look.

It prepares a demo data folder and config, then reads codes typed at the terminal
(a command card like MODE:SIGN works too) and answers each as the gun would.
"""

from __future__ import annotations

import argparse
import sys

from edge import config as config_mod
from edge.cli_support import Context, add_command
from edge.station import Desk, Station

COLOURS = {"accepted": "\033[32m", "duplicate": "\033[33m", "refused": "\033[31m"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    add_command(sub, "demo", cmd_demo, "run a complete demo station (simulated hardware)")


def prepare(ctx: Context) -> None:
    """A data folder with a demo config, once."""
    ctx.data_dir.mkdir(parents=True, exist_ok=True)
    if not ctx.config_path.exists():
        ctx.config_path.write_text(config_mod.commented_template(), encoding="utf-8")


def terminal_loop(station: Station, desk: Desk, lang: str) -> None:
    tty = sys.stdin.isatty()
    print(
        "Type or scan a code and press Enter (MODE:SIGN, MODE:DISPATCH … switch mode; "
        "Ctrl-D quits)."
    )
    while True:
        if tty:
            print(f"[{desk.mode}] scan> ", end="", flush=True)
        line = sys.stdin.readline()
        if not line:
            return
        if not line.strip():
            continue
        outcome = station.read(line.rstrip("\r\n"), desk)
        colour = COLOURS[outcome.status] if tty else ""
        reset = "\033[0m" if tty else ""
        code = f"  {outcome.pickup_code}" if outcome.pickup_code else ""
        print(
            f"{colour}{outcome.status.upper():9}{reset} {outcome.message(lang)}{code}", flush=True
        )


def cmd_demo(args: argparse.Namespace, ctx: Context) -> int:
    prepare(ctx)
    station = Station(ctx.store(), ctx.config)
    terminal_loop(station, station.desk("terminal"), ctx.config.station.language)
    return 0
