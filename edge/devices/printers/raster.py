"""Drawing a label's elements into a 1-bit image, dot for dot as the printer prints them.

The same functions draw the preview PNG, the BITMAP text sent to TSPL printers, the
image sent to ESC/POS printers and what the simulated printer decodes, so a preview
is exactly what prints. Pure: no I/O beyond loading a font file once.
"""

from __future__ import annotations

import functools
import logging
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import qrcode
from barcode import Code128
from PIL import Image, ImageDraw, ImageFont

log = logging.getLogger(__name__)

BLACK, WHITE = 0, 1
# CJK fonts found on Debian / Raspberry Pi OS (fonts-noto-cjk, fonts-wqy-zenhei).
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
)
# What Noto Sans CJK's metrics call the "SC" face inside the collection.
NOTO_SC_INDEX = 2
REFERENCE_SIZE = 100  # font size at which text is measured before it is fitted
MIN_SIZE = 6
QUIET_MODULES = 10  # Code 128 wants 10 modules of white either side
DROPPED = ("Cc", "Cs", "Zp")  # Unicode categories printable() leaves out


@dataclass(frozen=True)
class Text:
    """Text whose ink box has its top-left corner at (x, y)."""

    x: int
    y: int
    size: int  # font size in dots
    text: str


@dataclass(frozen=True)
class Barcode:
    """Code 128 bars; ``narrow`` dots per module."""

    x: int
    y: int
    height: int
    narrow: int
    data: str


@dataclass(frozen=True)
class QR:
    """A QR code (error correction M, no quiet zone); ``cell`` dots per module."""

    x: int
    y: int
    cell: int
    data: str


Element = Text | Barcode | QR


@functools.cache
def font_path(configured: str = "") -> str | None:
    """The font file to draw with: the configured one, else the first CJK font found."""
    for candidate in ((configured,) if configured else ()) + FONT_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    log.warning("no CJK font found (install fonts-noto-cjk): Chinese text will not print")
    return None


# Each size is a FreeType face of its own (~2.5 MB for a CJK font): keep a few only.
@functools.lru_cache(maxsize=6)
def printable(text: str) -> str:
    """``text`` as one printed line: without control characters (they print nothing, and
    CR, LF, ESC and NUL mean something to a printer's language), paragraph separators
    (the text shaper refuses line breaks) and lone surrogates (no encoding carries them).
    What is dropped is counted in a log line; the text itself is not logged."""
    kept = "".join(ch for ch in text if unicodedata.category(ch) not in DROPPED)
    if len(kept) != len(text):
        log.warning("label text: %d unprintable character(s) dropped", len(text) - len(kept))
    return kept


def font(size: int, path: str | None) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if path is None:
        return ImageFont.load_default(size)
    index = NOTO_SC_INDEX if "NotoSansCJK" in path else 0
    return ImageFont.truetype(path, size, index=index)


def text_box(text: str, size: int, path: str | None) -> tuple[int, int, int, int]:
    """The ink box (left, top, right, bottom) of ``text`` drawn at the origin."""
    box = font(size, path).getbbox(text)
    return int(box[0]), int(box[1]), int(box[2]), int(box[3])


def text_extent(text: str, size: int, path: str | None) -> tuple[int, int]:
    left, top, right, bottom = text_box(text, size, path)
    return right - left, bottom - top


def fit_size(text: str, width: int, height: int, path: str | None, largest: int = 400) -> int:
    """The largest font size at which ``text`` fits in width x height dots.

    Glyphs scale with the size, so one measurement at a reference size gives the answer
    to within hinting; a step or two at the real size settles it. (A search over sizes
    would load a FreeType face per size tried.)
    """
    w, h = text_extent(text, REFERENCE_SIZE, path)
    scale = min(width / max(1, w), height / max(1, h))
    size = max(MIN_SIZE, min(largest, int(REFERENCE_SIZE * scale)))
    while size > MIN_SIZE and not _fits(text, size, width, height, path):
        size -= 1
    while size < largest and _fits(text, size + 1, width, height, path):
        size += 1
    return size


def _fits(text: str, size: int, width: int, height: int, path: str | None) -> bool:
    w, h = text_extent(text, size, path)
    return w <= width and h <= height


def code128_modules(data: str) -> str:
    """Code 128 as a string of modules, '1' black, stop pattern included."""
    return str(Code128(data).build()[0])


def qr_matrix(data: str) -> list[list[bool]]:
    code = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(data)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def text_image(element: Text, path: str | None) -> Image.Image:
    """Only the ink box of a text element, as a 1-bit image."""
    left, top, right, bottom = text_box(element.text, element.size, path)
    image = Image.new("1", (max(1, right - left), max(1, bottom - top)), WHITE)
    draw = ImageDraw.Draw(image)
    draw.fontmode = "1"  # no anti-aliasing: a thermal head prints dots or nothing
    draw.text((-left, -top), element.text, font=font(element.size, path), fill=BLACK)
    return image


def draw(elements: Iterable[Element], width: int, height: int, path: str | None) -> Image.Image:
    """The whole label, white background, as the printer prints it."""
    image = Image.new("1", (width, height), WHITE)
    pen = ImageDraw.Draw(image)
    for element in elements:
        if isinstance(element, Text):
            image.paste(text_image(element, path), (element.x, element.y))
        elif isinstance(element, Barcode):
            for i, module in enumerate(code128_modules(element.data)):
                if module == "1":
                    x = element.x + i * element.narrow
                    pen.rectangle(
                        (x, element.y, x + element.narrow - 1, element.y + element.height - 1),
                        fill=BLACK,
                    )
        else:
            for r, row in enumerate(qr_matrix(element.data)):
                for c, dark in enumerate(row):
                    if dark:
                        x, y = element.x + c * element.cell, element.y + r * element.cell
                        pen.rectangle(
                            (x, y, x + element.cell - 1, y + element.cell - 1), fill=BLACK
                        )
    return image
