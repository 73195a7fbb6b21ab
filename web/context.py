"""What a request handler needs: its store, the station core, the language, the time,
and a way to refuse bad input with a message from the catalog."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app, g, session
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from edge.clock import Clock, SystemClock
from edge.config import Config
from edge.station import Desk, Outcome, ScanRequest, Station
from edge.store import DB_NAME, Store
from web import catalog


class StorePool:
    """Connections kept open between requests. Opening one parses the whole schema, about
    3 ms here: more than any search takes. Each request has one to itself; at most
    ``idle`` wait between requests (each holds a page cache), and one whose file was
    removed or replaced (a restore) is closed, never reused."""

    def __init__(self, path: Path, idle: int = 4) -> None:
        self.path = path
        self.idle = idle
        self._free: list[Store] = []
        self._inode_of: dict[Store, int | None] = {}  # each open store's file, when opened
        self._lock = threading.Lock()

    def _inode(self) -> int | None:
        try:
            return self.path.stat().st_ino
        except OSError:
            return None

    def take(self) -> Store:
        inode = self._inode()
        with self._lock:
            while self._free:
                store = self._free.pop()
                if self._inode_of[store] == inode:
                    return store
                self._close(store)
        store = Store(self.path)  # StoreMissing when the file is gone
        with self._lock:
            self._inode_of[store] = inode
        return store

    def give_back(self, store: Store) -> None:
        inode = self._inode()
        with self._lock:
            was = self._inode_of[store]
            if (
                was is not None
                and was == inode
                and len(self._free) < self.idle
                and not store.conn.in_transaction
            ):
                self._free.append(store)
                return
            self._close(store)

    def close_idle(self) -> None:
        """Close the stores waiting between requests (those in use close when given back)."""
        with self._lock:
            while self._free:
                self._close(self._free.pop())

    def _close(self, store: Store) -> None:
        del self._inode_of[store]
        store.close()


@dataclass
class WebState:
    """Per-app state, kept in app.extensions["station"]."""

    data_dir: Path
    config: Config
    clock: Clock = field(default_factory=SystemClock)
    stores: StorePool = field(init=False)

    def __post_init__(self) -> None:
        self.stores = StorePool(self.db_path)

    @property
    def db_path(self) -> Path:
        return self.data_dir / DB_NAME


class PageError(Exception):
    """Refuse a request with a status and a catalog message."""

    def __init__(self, status: int, key: str, **params: Any) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.params = params


def bad(key: str, **params: Any) -> PageError:
    return PageError(400, key, **params)


# SQLite's INTEGER is 64-bit; a larger number would raise OverflowError deep in a query.
MAX_ID = 2**63 - 1


def bounded_int(raw: str, field: str, low: int = 0, high: int = MAX_ID) -> int:
    """A numeric parameter, or a 400 that names it: never an overflow further on."""
    text = raw.strip()
    if not text.isdigit() or len(text) > len(str(high)) or not low <= int(text) <= high:
        raise bad("err.bad_range", field=field, low=low, high=high)
    return int(text)


class NumberOutOfRange(BadRequest):
    """A path number no row can have (routing allows only HTTP errors)."""


class BoundedIntConverter(IntegerConverter):
    """Flask's ``int`` path converter, refusing numbers SQLite cannot hold with a 400."""

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise NumberOutOfRange()
        return number


def state() -> WebState:
    value: WebState = current_app.extensions["station"]
    return value


def config() -> Config:
    return state().config


def store() -> Store:
    """The request's own connection, taken from the pool on first use, given back at
    teardown."""
    if "store" not in g:
        g.store = state().stores.take()
    value: Store = g.store
    return value


def close_store(_exc: BaseException | None = None) -> None:
    opened = g.pop("store", None)
    if opened is not None:
        state().stores.give_back(opened)


def station() -> Station:
    if "station" not in g:
        g.station = Station(store(), config(), state().clock)
    value: Station = g.station
    return value


def lang() -> str:
    chosen = session.get("lang")
    return chosen if chosen in catalog.LANGUAGES else config().station.language


def t(key: str, **params: Any) -> str:
    return catalog.text(key, lang(), **params)


def scan(kind: str, code: str, **details: Any) -> Outcome:
    """A scan from this page, by the signed-in operator at their page desk."""
    return station().scan(
        ScanRequest(type=kind, code=code, device=desk_device(), operator=operator_id(), **details)
    )


def operator_id() -> str:
    op: str = g.operator["id"]
    return op


def desk_device() -> str:
    """The page is its own desk per operator, as the core names it for undo."""
    return f"web:{operator_id()}"


def page_desk() -> Desk:
    desk = station().desk(desk_device())
    desk.operator = operator_id()
    return desk


def now() -> datetime:
    return state().clock.now(config().tz).wall


def now_iso() -> str:
    return now().isoformat(timespec="seconds")


def local(text: str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An RFC 3339 time from the store, shown in the station's time zone."""
    if not text:
        return ""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return text
    if when.tzinfo is not None:
        when = when.astimezone(config().tz)
    return when.strftime(fmt)
