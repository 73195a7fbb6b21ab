"""What a printer can be set to: label sizes, languages, templates, paper profiles.
No imports beyond the standard library, so loading the config stays light."""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("tspl", "escpos")
TEMPLATES = ("barcode", "qr")
CHINESE_MODES = ("bitmap", "font")
# python-escpos printer profiles that know their paper width in dots (it centres the
# label with it): the common Chinese 58 mm and 80 mm printers.
PROFILES = {"POS-5890": 384, "ZJ-5870": 384, "NT-80-V-UL": 576, "TM-T20II": 576}


@dataclass(frozen=True)
class Size:
    """A label in dots: ``width_mm`` x ``height_mm`` at ``dots_per_mm``."""

    width_mm: int
    height_mm: int
    dots_per_mm: int = 8  # 203 dpi

    @property
    def width(self) -> int:
        return self.width_mm * self.dots_per_mm

    @property
    def height(self) -> int:
        return self.height_mm * self.dots_per_mm


def parse_size(text: str, dots_per_mm: int = 8) -> Size:
    """ "40x30" -> Size(40, 30); ValueError on anything else."""
    width, sep, height = text.lower().replace("×", "x").partition("x")
    if not sep or not width.strip().isdigit() or not height.strip().isdigit():
        raise ValueError(f"expected WIDTHxHEIGHT in mm such as 40x30, got {text!r}")
    size = Size(int(width), int(height), dots_per_mm)
    if not (20 <= size.width_mm <= 120 and 15 <= size.height_mm <= 200):
        raise ValueError(f"{text!r}: expected 20-120 mm wide and 15-200 mm high")
    return size
