"""Handover and return sheets as PDF (fpdf2), with the courier's signature image.

Chinese needs a CJK font: the system's Noto Sans CJK (Debian and Raspberry Pi OS package
fonts-noto-cjk). fpdf2 embeds only the glyphs used, so a sheet stays ~20-40 KB. Parsing
that font costs ~60 MB for a moment and leaves ~25 MB behind, so the page renders in a
short-lived child process (``render_isolated``) and stays small (bench/day.py).
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

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
    # fpdf and fontTools cost ~17 MB: loaded by the first sheet, not by every web start.
    from fpdf import FPDF
    from fpdf.fonts import FontFace

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


NO_FONT_EXIT = 3


def render_isolated(sheet: Sheet, timeout_s: float = 120) -> bytes:
    """``render`` in a child process, so the font's memory goes when it exits."""
    data = dataclasses.asdict(sheet)
    data["signature"] = str(sheet.signature) if sheet.signature else None
    done = subprocess.run(
        [sys.executable, "-m", "edge.desk.pdf"],
        input=json.dumps(data).encode(),
        capture_output=True,
        timeout=timeout_s,
        check=False,
    )
    if done.returncode == NO_FONT_EXIT:
        raise NoFont(done.stderr.decode(errors="replace").strip())
    if done.returncode:
        raise RuntimeError(f"PDF renderer failed: {done.stderr.decode(errors='replace')[-500:]}")
    return done.stdout


def _main() -> int:
    data = json.loads(sys.stdin.buffer.read())
    signature = data.pop("signature")
    sheet = Sheet(**data, signature=Path(signature) if signature else None)
    try:
        body = render(sheet)
    except NoFont as exc:
        print(exc, file=sys.stderr)
        return NO_FONT_EXIT
    sys.stdout.buffer.write(body)
    return 0


if __name__ == "__main__":
    sys.exit(_main())
