"""What every `station` subcommand gets: the data folder, the config and the store."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from edge import config as config_mod
from edge.config import Config
from edge.store import DB_NAME, Store

Handler = Callable[[argparse.Namespace, "Context"], int]


def default_data_dir() -> Path:
    return Path(os.environ.get("STATION_DATA") or "./var")


@dataclass
class Context:
    """Lazily opened resources for one command run."""

    data_dir: Path
    config_file: str | None = None
    _opened: list[Store] = field(default_factory=list)

    @property
    def config_path(self) -> Path:
        return config_mod.config_path(self.data_dir, self.config_file)

    @cached_property
    def config(self) -> Config:
        return config_mod.load(self.config_path)

    @property
    def db_path(self) -> Path:
        return self.data_dir / DB_NAME

    def store(self, *, create: bool = False, check: bool = True) -> Store:
        """Open the station database. Only `init` and `restore` may create it, and only
        they and `migrate` (check=False) change its schema; every other command refuses a missing or
        outdated database (StoreMissing, StoreOutdated) instead of starting afresh."""
        if create:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        store = Store(self.db_path, create=create)
        self._opened.append(store)
        if check:
            store.check_schema()
        return store

    def close(self) -> None:
        for store in self._opened:
            store.close()
        self._opened.clear()


def add_command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    handler: Handler,
    help: str,
    description: str | None = None,
) -> argparse.ArgumentParser:
    """Add a subcommand whose handler is called as handler(args, ctx)."""
    parser = sub.add_parser(name, help=help, description=description or help)
    parser.set_defaults(handler=handler)
    return parser


def need_action(args: argparse.Namespace, ctx: Context) -> int:
    """Handler of a command that only groups others (`station sync`, `station report`)."""
    print("choose an action; see --help", file=sys.stderr)
    return 2


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")


# SQLite's INTEGER is 64-bit: a larger number would fail deep in a query.
MAX_INT = 2**63 - 1


def whole(low: int = 0, high: int = MAX_INT) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``, else a plain usage error."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected {low} to {high}, got {text}")
        return value

    return parse
