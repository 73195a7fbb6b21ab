"""Handover and return sheets as PDF (fpdf2), with the courier's signature image.

Chinese needs a CJK font: the system's Noto Sans CJK (Debian and Raspberry Pi OS package
fonts-noto-cjk). fpdf2 embeds only the glyphs used, so a sheet stays ~20-40 KB.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

# (file, index in the collection): index 2 of Noto Sans CJK's TTC is Simplified Chinese.
CJK_FONTS = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
)


class NoFont(RuntimeError):
    """No font with Chinese glyphs is installed."""


@dataclass
class Sheet:
    """What a printed sheet shows; every word is given by the caller (the page's catalog)."""

    title: str
    fields: list[tuple[str, str]]
    header: list[str]
    rows: list[list[str]]
    signature_label: str
    signature: Path | None = None
    notes: list[str] = field(default_factory=list)


def cjk_font() -> tuple[str, int]:
    for path, index in CJK_FONTS:
        if Path(path).is_file():
            return path, index
    raise NoFont("no CJK font found: install fonts-noto-cjk")


def render(sheet: Sheet) -> bytes:
    path, index = cjk_font()
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font("cjk", fname=path, collection_font_number=index)
    pdf.add_page()
    pdf.set_font("cjk", size=16)
    pdf.cell(text=sheet.title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("cjk", size=10)
    for label, value in sheet.fields:
        pdf.cell(w=45, text=label)
        pdf.cell(w=0, text=value or "-", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    if sheet.rows:
        # One regular CJK face only: headings are shaded rather than bold.
        heading = FontFace(emphasis="", fill_color=(230, 230, 230))
        with pdf.table(text_align="LEFT", line_height=6, headings_style=heading) as table:
            table.row(sheet.header)
            for row in sheet.rows:
                table.row(row)
    for note in sheet.notes:
        pdf.ln(2)
        pdf.multi_cell(w=0, text=note, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.cell(text=sheet.signature_label, new_x="LMARGIN", new_y="NEXT")
    if sheet.signature is not None:
        pdf.image(str(sheet.signature), w=70)
    return bytes(pdf.output())
