"""What a request handler needs: its store, the station core, the language, the time,
and a way to refuse bad input with a message from the catalog."""

from __future__ import annotations

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


@dataclass
class WebState:
    """Per-app state, kept in app.extensions["station"]."""

    data_dir: Path
    config: Config
    clock: Clock = field(default_factory=SystemClock)

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
    """The request's own connection, opened on first use and closed at teardown."""
    if "store" not in g:
        g.store = Store(state().db_path)
    value: Store = g.store
    return value


def close_store(_exc: BaseException | None = None) -> None:
    opened = g.pop("store", None)
    if opened is not None:
        opened.close()


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
