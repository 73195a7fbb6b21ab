"""TSPL, the language of most Chinese label printers (Xprinter, Gprinter and peers):
label elements to command bytes, and command bytes back to an image (the simulated
printer and the tests read what was sent). Pure.

Text goes as a BITMAP drawn with our CJK font (``chinese = "bitmap"``, every model
prints it, and the preview is exact) or as TEXT in the printer's own TSS24.BF2 font
with GB18030 bytes (``chinese = "font"``: fewer bytes, the printer's look). Bars and
QR codes are the printer's own BARCODE and QRCODE commands.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from PIL import Image, ImageChops

from edge.devices.printers.media import Size
from edge.devices.printers.raster import (
    QR,
    WHITE,
    Barcode,
    Element,
    Text,
    draw,
    printable,
    text_extent,
    text_image,
)

BUILTIN_FONT = "TSS24.BF2"  # 24-dot simplified Chinese font, GB18030
FONT_DOTS = 24  # a TSS24.BF2 cell is 24 dots high, 24 wide (CJK) or 12 (ASCII)
EOL = b"\r\n"


# <ESC>!? asks a TSPL printer for one status byte, answered at once, even mid-job.
STATUS_QUERY = b"\x1b!?"
_STATUS_BITS = (
    (0x01, "print head open"),
    (0x02, "paper jam"),
    (0x04, "out of paper"),
    (0x08, "out of ribbon"),
    (0x10, "paused"),
    (0x40, "cover open"),
    (0x80, "printer error"),
)


def status_problem(status: int) -> str | None:
    """Why a printer with this <ESC>!? answer cannot print now; None when it can
    (0x20 only says it is printing)."""
    problems = [text for bit, text in _STATUS_BITS if status & bit]
    return ", ".join(problems) or None


class TsplError(ValueError):
    """Bytes that are not a TSPL label we can read."""


def encode(
    elements: list[Element],
    size: Size,
    *,
    chinese: str = "bitmap",
    gap_mm: float = 2.0,
    density: int = 8,
    copies: int = 1,
    font: str | None = None,
) -> bytes:
    """One label as TSPL commands."""
    out = [
        f"SIZE {size.width_mm} mm,{size.height_mm} mm".encode(),
        f"GAP {gap_mm:g} mm,0 mm".encode(),
        f"DENSITY {density}".encode(),
        b"DIRECTION 1,0",
        b"REFERENCE 0,0",
        b"CLS",
    ]
    for element in elements:
        if isinstance(element, Text):
            out.append(_text(element, chinese, font))
        elif isinstance(element, Barcode):
            out.append(
                f'BARCODE {element.x},{element.y},"128",{element.height},0,0,'
                f"{element.narrow},{element.narrow},{quoted(element.data)}".encode()
            )
        else:
            out.append(
                f"QRCODE {element.x},{element.y},M,{element.cell},A,0,"
                f"{quoted(element.data)}".encode()
            )
    out.append(f"PRINT 1,{copies}".encode())
    return EOL.join(out) + EOL


def quoted(text: str) -> str:
    """A TSPL string argument that cannot break out of its command.

    The TSPL/TSPL2 manual's conventions: CR and LF end a command line wherever they
    are, so text holding them would start a command of its own; <ESC> starts an
    immediate command even mid-string (<ESC>!R resets the printer, <ESC>!. cancels the
    job); NUL is refused in 2D bar codes. ``printable`` drops those with every other
    control character. A double quote ends the string unless written \\["], TSPL's only
    escape in TEXT, BARCODE and QRCODE (BLOCK's \\[L] and \\[R] are not used here, so
    a backslash needs none). ``~`` opens a status command only at the start of a line,
    which quoted text can no longer reach.
    """
    return '"' + printable(text).replace('"', '\\["]') + '"'


def _text(element: Text, chinese: str, font: str | None) -> bytes:
    element = replace(element, text=printable(element.text))  # measured and drawn as printed
    if chinese == "font":
        mul = builtin_multiplier(element, font)
        head = f'TEXT {element.x},{element.y},"{BUILTIN_FONT}",0,{mul},{mul},'.encode()
        return head + quoted(element.text).encode("gb18030")
    image = text_image(element, font)
    width_bytes = (image.width + 7) // 8
    padded = Image.new("1", (width_bytes * 8, image.height), WHITE)
    padded.paste(image, (0, 0))
    # TSPL bitmaps: a 1 bit leaves the dot white, a 0 bit prints it, as in a mode-1 image.
    return (
        f"BITMAP {element.x},{element.y},{width_bytes},{image.height},0,".encode()
        + padded.tobytes()
    )


def builtin_multiplier(element: Text, font: str | None) -> int:
    """The TSS24.BF2 magnification (1-10) closest to our rendering of the same text."""
    width, height = text_extent(element.text, element.size, font)
    cells = sum(2 if ord(ch) > 0x7F else 1 for ch in element.text) * FONT_DOTS // 2
    by_width = width * 11 // 10 // max(1, cells)
    return max(1, min(10, round(height / (FONT_DOTS * 0.75)), by_width))


@dataclass
class Parsed:
    """A TSPL job's commands, as a printer splits them, before anything is drawn."""

    size: Size
    commands: list[tuple[str, list[str]]] = field(default_factory=list)
    elements: list[Element] = field(default_factory=list)
    bitmaps: list[tuple[int, int, Image.Image]] = field(default_factory=list)
    copies: int = 1


@dataclass
class Decoded:
    """A TSPL job as a printer understands it."""

    size: Size
    image: Image.Image
    commands: list[tuple[str, list[str]]] = field(default_factory=list)
    elements: list[Element] = field(default_factory=list)
    copies: int = 1


def decode(data: bytes, font: str | None = None, dots_per_mm: int = 8) -> Decoded:
    """Read TSPL commands back into the label image they print."""
    job = parse(data, dots_per_mm)
    image = draw(job.elements, job.size.width, job.size.height, font)
    for x, y, bitmap in job.bitmaps:
        image.paste(
            ImageChops.logical_and(image.crop((x, y, x + bitmap.width, y + bitmap.height)), bitmap),
            (x, y),
        )
    return Decoded(job.size, image, job.commands, job.elements, job.copies)


def parse(data: bytes, dots_per_mm: int = 8) -> Parsed:
    """Split TSPL bytes into commands and label elements, one per command line."""
    commands: list[tuple[str, list[str]]] = []
    bitmaps: list[tuple[int, int, Image.Image]] = []
    elements: list[Element] = []
    size: Size | None = None
    copies = 0
    pos = 0
    while pos < len(data):
        end = data.find(b"\n", pos)
        if data.startswith(b"BITMAP ", pos):
            pos = _bitmap(data, pos, bitmaps, commands)
            continue
        line = data[pos : len(data) if end < 0 else end].rstrip(b"\r")
        pos = len(data) if end < 0 else end + 1
        if not line.strip():
            continue
        name, _, rest = line.partition(b" ")
        command = name.decode("ascii", "replace").upper()
        # TEXT in the built-in font is GB18030; bar and QR data go as UTF-8, as phones read it.
        args = _args(rest.decode("gb18030" if command == "TEXT" else "utf-8", "replace"))
        commands.append((command, args))
        try:
            if command == "SIZE":
                size = Size(_mm(args[0]), _mm(args[1]), dots_per_mm)
            elif command == "TEXT":
                element = Text(int(args[0]), int(args[1]), _builtin_size(args), args[-1])
                elements.append(element)
            elif command == "BARCODE":
                x, y, height, narrow = int(args[0]), int(args[1]), int(args[3]), int(args[6])
                elements.append(Barcode(x, y, height, narrow, args[-1]))
            elif command == "QRCODE":
                elements.append(QR(int(args[0]), int(args[1]), int(args[3]), args[-1]))
            elif command == "PRINT":
                copies = int(args[0]) * (int(args[1]) if len(args) > 1 else 1)
        except (IndexError, ValueError) as exc:
            raise TsplError(f"bad {command} command: {line[:60]!r}") from exc
    if size is None:
        raise TsplError("no SIZE command: not a TSPL label")
    if not copies:
        raise TsplError("no PRINT command: nothing would print")
    return Parsed(size, commands, elements, bitmaps, copies)


def _bitmap(
    data: bytes,
    pos: int,
    bitmaps: list[tuple[int, int, Image.Image]],
    commands: list[tuple[str, list[str]]],
) -> int:
    """Parse BITMAP x,y,width_bytes,height,mode,<raw bytes>; return the next position."""
    header_end = pos
    for _ in range(5):
        header_end = data.find(b",", header_end) + 1
        if header_end == 0:
            raise TsplError("BITMAP command cut short")
    fields = data[pos + len(b"BITMAP ") : header_end - 1].decode("ascii", "replace").split(",")
    try:
        x, y, width_bytes, height = (int(f) for f in fields[:4])
    except ValueError as exc:
        raise TsplError(f"bad BITMAP header {fields!r}") from exc
    length = width_bytes * height
    raw = data[header_end : header_end + length]
    if len(raw) < length or width_bytes <= 0 or height <= 0:
        raise TsplError("BITMAP data cut short")
    commands.append(("BITMAP", [*fields, f"<{length} bytes>"]))
    bitmaps.append((x, y, Image.frombytes("1", (width_bytes * 8, height), raw)))
    pos = header_end + length
    while pos < len(data) and data[pos] in b"\r\n":
        pos += 1
    return pos


def _args(text: str) -> list[str]:
    """Split TSPL arguments on commas outside quotes; quoted ones lose their quotes and
    keep their spaces (outside quotes the printer ignores spaces)."""
    args, buf, in_quotes = [], "", False
    i = 0
    while i < len(text):
        ch = text[i]
        if in_quotes and text.startswith('\\["]', i):
            buf += '"'
            i += 4
            continue
        if ch == '"':
            in_quotes = not in_quotes
        elif ch == "," and not in_quotes:
            args.append(buf)
            buf = ""
        elif in_quotes or ch not in " \t":
            buf += ch
        i += 1
    args.append(buf)
    return args


def _mm(text: str) -> int:
    return round(float(text.lower().replace("mm", "").strip()))


def _builtin_size(args: list[str]) -> int:
    # Draw the printer's 24-dot font with ours: 24 dots of cell hold ~32 px of em.
    return int(args[5]) * FONT_DOTS * 4 // 3
