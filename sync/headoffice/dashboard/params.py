"""The page's query parameters, checked: a bad one raises BadParam, answered 400 in the
operator's language, never 500."""

from __future__ import annotations

import re
from datetime import date

from flask import request

from sync.contract import is_text

WAYBILL = re.compile(r"[A-Za-z0-9-]{4,40}")
NAME_MAX = 64


class BadParam(Exception):
    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def number(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise BadParam("err.range", field=name, low=low, high=high)
    return int(raw)


def text(name: str) -> str | None:
    """A short plain-text filter (a station code, a carrier, a kind), or None."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if len(raw) > NAME_MAX or not raw.isprintable() or not is_text(raw):
        raise BadParam("err.text", field=name)
    return raw


def choice(name: str, choices: tuple[str, ...]) -> str:
    raw = request.args.get(name) or choices[0]
    if raw not in choices:
        raise BadParam("err.choice", field=name)
    return raw


def day(name: str, default: date) -> date:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise BadParam("err.date", field=name) from None


def waybill(name: str) -> str | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not WAYBILL.fullmatch(raw):
        raise BadParam("err.q")
    return raw
