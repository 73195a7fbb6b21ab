"""ESC/POS receipt printers: the label as one raster image (GS v 0), which every model
prints, Chinese included, without its Chinese mode. python-escpos writes the bytes
(into its Dummy printer: no I/O here); ``decode`` reads them back for the simulated
printer and the tests. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image

from edge.devices.printers.raster import WHITE

ESC, GS = 0x1B, 0x1D
LINE_DOTS = 24  # one line feed at the default line spacing


# DLE EOT 4: the roll paper sensor's status byte, answered in real time.
STATUS_QUERY = b"\x10\x04\x04"
PAPER_END = 0x60  # bits 5 and 6
PAPER_LOW = 0x0C  # bits 2 and 3: still prints


def status_problem(status: int) -> str | None:
    """Why a receipt printer with this DLE EOT 4 answer cannot print; None when it can."""
    return "out of paper" if status & PAPER_END else None


class EscposError(ValueError):
    """Bytes that are not an ESC/POS job we can read."""


def encode(label: Image.Image, profile: str = "POS-5890", feed_lines: int = 3) -> bytes:
    """Initialise, print ``label`` centred, feed and cut."""
    # Imported here: python-escpos (with PyYAML) costs ~7 MB, only for ESC/POS printers.
    from escpos.printer import Dummy

    printer = Dummy(profile=profile)
    printer.hw("INIT")
    printer.image(label, impl="bitImageRaster", center=True)
    printer.ln(feed_lines)
    printer.cut()
    return bytes(printer.output)


@dataclass
class Decoded:
    """The images of one ESC/POS job, stacked as the paper comes out."""

    image: Image.Image
    rasters: int = 0
    cuts: int = 0
    text: bytes = b""
    commands: list[str] = field(default_factory=list)


def decode(data: bytes, paper_dots: int = 576) -> Decoded:
    """Follow an ESC/POS stream: raster images, feeds, cuts; text bytes are kept aside."""
    blocks: list[Image.Image] = []
    commands: list[str] = []
    text = bytearray()
    cuts = rasters = 0
    pos = 0
    while pos < len(data):
        byte = data[pos]
        if byte == ESC and pos + 1 < len(data):
            op = data[pos + 1]
            if op == ord("@"):
                commands.append("init")
                pos += 2
            elif op in (ord("d"), ord("J")) and pos + 2 < len(data):
                blocks.append(
                    Image.new("1", (1, data[pos + 2] * (24 if op == ord("d") else 1)), WHITE)
                )
                commands.append("feed")
                pos += 3
            elif op in (ord("a"), ord("!"), ord("E"), ord("-"), ord("M"), ord("t"), ord("3")):
                commands.append(f"ESC {chr(op)}")
                pos += 3
            elif op == ord("2"):
                pos += 2
            else:
                raise EscposError(f"unknown ESC {op:#04x} at byte {pos}")
        elif byte == GS and pos + 1 < len(data):
            op = data[pos + 1]
            if op == ord("v") and data[pos + 2 : pos + 3] == b"0":
                pos = _raster(data, pos, blocks)
                rasters += 1
                commands.append("raster")
            elif op == ord("V"):
                mode = data[pos + 2] if pos + 2 < len(data) else 0
                pos += 4 if mode in (65, 66) else 3
                cuts += 1
                commands.append("cut")
            elif op == ord("!"):
                pos += 3
            else:
                raise EscposError(f"unknown GS {op:#04x} at byte {pos}")
        elif byte == 0x0A:
            blocks.append(Image.new("1", (1, LINE_DOTS), WHITE))
            pos += 1
        else:
            text.append(byte)
            pos += 1
    if not rasters and not text.strip():
        raise EscposError("nothing to print: no image and no text")
    height = sum(b.height for b in blocks) or 1
    page = Image.new("1", (paper_dots, height), WHITE)
    y = 0
    for block in blocks:
        page.paste(block, (0, y))
        y += block.height
    return Decoded(page, rasters, cuts, bytes(text), commands)


def _raster(data: bytes, pos: int, blocks: list[Image.Image]) -> int:
    header = data[pos + 4 : pos + 8]
    if len(header) < 4:
        raise EscposError("GS v 0 cut short")
    width_bytes = header[0] | header[1] << 8
    height = header[2] | header[3] << 8
    start = pos + 8
    raw = data[start : start + width_bytes * height]
    if len(raw) < width_bytes * height or not width_bytes or not height:
        raise EscposError("GS v 0 image data cut short")
    # ESC/POS rasters: a 1 bit prints; a mode-1 image's 1 is white, so invert.
    blocks.append(Image.frombytes("1", (width_bytes * 8, height), bytes(b ^ 0xFF for b in raw)))
    return start + width_bytes * height
