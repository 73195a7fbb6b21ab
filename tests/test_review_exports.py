"""Exports open as text in a spreadsheet: no cell of the monthly workbook is a formula."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from edge.desk.workbook import write_xlsx

HOSTILE = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)"]


def test_workbook_cells_are_never_formulas(tmp_path: Path) -> None:
    path = tmp_path / "m.xlsx"
    rows = [["carrier", "received"], *([c, 1] for c in HOSTILE), ["total", 4]]
    write_xlsx(path, {"month": "2026-11", "station": "=1+1"}, rows)
    sheet = load_workbook(path).active
    assert sheet is not None
    cells = [c for line in sheet.iter_rows() for c in line if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert {c.value for c in cells} >= {*HOSTILE, "=1+1"}
