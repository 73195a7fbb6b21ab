"""Spreadsheet-safe CSV: every CSV the project writes goes through ``writer()``.

OWASP's CSV-injection advice: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return runs as a formula in Excel, LibreOffice or WPS. Such a cell is
prefixed with a single quote, and the whole field is quoted, so the spreadsheet shows
the text as typed. Numbers are written as numbers (a negative weight stays a number).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet will show it, never as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` that neutralises formula cells; every field quoted but numbers."""

    def __init__(self, out: _Writable) -> None:
        self._writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow(["" if v is None else safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: _Writable) -> SafeWriter:
    return SafeWriter(out)
