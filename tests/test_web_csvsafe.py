"""Every CSV the project writes is spreadsheet-safe (OWASP): a cell that would run as a
formula is prefixed with a quote, through `station export` and /reports.csv alike."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from edge import csvsafe
from edge.cli import main

HOSTILE = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=1", "\r=1", '=HYPERLINK("http://x")']


@pytest.mark.parametrize("cell", HOSTILE)
def test_formula_cells_are_neutralised(cell: str) -> None:
    out = io.StringIO()
    csvsafe.writer(out).writerow([cell])
    (read,) = csv.reader(io.StringIO(out.getvalue()))
    assert read == ["'" + cell]


def test_plain_cells_and_numbers_are_kept() -> None:
    out = io.StringIO()
    csvsafe.writer(out).writerow(["75123456789000", "中通", 12, -3, None, "a=b"])
    assert out.getvalue() == '"75123456789000","中通",12,-3,"","a=b"\r\n'


def test_station_export_neutralises_what_a_clerk_typed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path / "st")
    assert main(["--data", data, "init", "--station", "SZ-NS-0042"]) == 0
    note = "=cmd|' /C calc'!A0"
    assert main(["--data", data, "scan", "--type", "receive", "75123456789000"]) == 0
    assert main(["--data", data, "scan", "--type", "problem", "--reason", "other",
                 "--note", note, "75123456789000"]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["--data", data, "export"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["note"] for r in rows if r["type"] == "problem"] == ["'" + note]
    assert all(not v.startswith(csvsafe.FORMULA_STARTS) for r in rows for v in r.values())
