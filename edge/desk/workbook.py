"""The monthly statement as an Excel workbook: what a station owner opens."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.styles import Font


def write_xlsx(path: str | Path | IO[bytes], body: dict[str, Any], rows: list[list[Any]]) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = body["month"]
    sheet.append([f"月结 Monthly statement {body['month']}", body.get("station", "")])
    sheet.append([])
    for row in rows:
        sheet.append(row)
    # openpyxl writes a string starting with "=" as a formula; nothing here is one.
    for line in sheet.iter_rows():
        for cell in line:
            if cell.data_type == "f":
                cell.data_type = "s"
    bold = Font(bold=True)
    for cell in (*sheet[3], *sheet[sheet.max_row]):
        cell.font = bold
    sheet.column_dimensions["A"].width = 14
    book.save(path)
