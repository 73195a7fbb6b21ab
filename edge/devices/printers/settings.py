"""The [[printers]] tables and the [printing] section of station.toml."""

from __future__ import annotations

from dataclasses import dataclass

from edge.config_base import Section, doc
from edge.devices.printers.media import (
    CHINESE_MODES,
    LANGUAGES,
    PROFILES,
    TEMPLATES,
    Size,
    parse_size,
)


@dataclass
class PrinterSection(Section):
    name: str = doc("Printer name shown on the page, e.g. label-1.")
    device: str = doc(
        "Where it is: tcp://HOST[:PORT] (raw 9100), a device file such as /dev/usb/lp0, "
        "or serial:PORT (a serial port or a pyserial URL)."
    )
    language: str = doc("tspl (label printers) or escpos (receipt printers).", "tspl")
    size: str = doc("Label size in mm, WIDTHxHEIGHT: 40x30 or 60x40 are the common ones.", "40x30")
    template: str = doc(
        "Layout: barcode (Code 128 of the waybill) or qr (a QR code beside the text).", "barcode"
    )
    desks: list[str] = doc(
        "Desks (gun names, web:OPERATOR for the page) whose receives print here; "
        "empty = every desk no other printer names.",
        [],
    )
    chinese: str = doc(
        "TSPL only. bitmap: text drawn by the station (any model, preview exact); "
        "font: the printer's TSS24.BF2 font with GB18030 bytes.",
        "bitmap",
    )
    dots_per_mm: int = doc("Print resolution: 8 for 203 dpi, 12 for 300 dpi.", 8)
    gap_mm: float = doc("TSPL only: the gap between labels on the roll, in mm.", 2.0)
    density: int = doc("TSPL only: print darkness 0-15.", 8)
    profile: str = doc(
        "ESC/POS only: the python-escpos profile, for the paper width: "
        "POS-5890 (58 mm) or NT-80-V-UL (80 mm).",
        "POS-5890",
    )
    baud: int = doc("serial: only: baud rate.", 9600)
    status_query: bool = doc(
        "tcp:// only: ask the printer for paper and cover status before each label "
        "(a network printer out of paper would take the job and lose it).",
        True,
    )

    def label_size(self) -> Size:
        return parse_size(self.size, self.dots_per_mm)

    def check(self) -> list[str]:
        errors = []
        if not self.name:
            errors.append("name: a printer name such as label-1")
        if not self.device.startswith(("tcp://", "/", "serial:")):
            errors.append(
                "device: expected tcp://HOST:PORT, /dev/usb/lpN or serial:PORT, "
                f"got {self.device!r}"
            )
        if self.language not in LANGUAGES:
            errors.append(f"language: expected one of {', '.join(LANGUAGES)}")
        if self.template not in TEMPLATES:
            errors.append(f"template: expected one of {', '.join(TEMPLATES)}")
        if self.chinese not in CHINESE_MODES:
            errors.append(f"chinese: expected one of {', '.join(CHINESE_MODES)}")
        if self.dots_per_mm not in (8, 12):
            errors.append("dots_per_mm: expected 8 (203 dpi) or 12 (300 dpi)")
        if not 0 <= self.density <= 15:
            errors.append("density: expected 0 to 15")
        if not 0 <= self.gap_mm <= 10:
            errors.append("gap_mm: expected 0 to 10")
        if self.language == "escpos" and self.profile not in PROFILES:
            errors.append(f"profile: expected one of {', '.join(PROFILES)}")
        try:
            size = self.label_size()
        except ValueError as exc:
            errors.append(f"size: {exc}")
        else:
            if self.language == "escpos" and size.width > PROFILES.get(self.profile, 0):
                errors.append(f"size: {self.size} is wider than the {self.profile}'s paper")
        return errors


@dataclass
class PrintingSection(Section):
    poll_ms: int = doc("How often `station printer` looks for new receives, in ms.", 200)
    timeout_s: float = doc("Give up one attempt to reach a printer after this many seconds.", 5.0)
    retry_first_s: float = doc("Wait this long before the first retry of a failed label.", 2.0)
    retry_max_s: float = doc("Retries back off, doubling, up to this many seconds apart.", 60.0)
    font: str = doc(
        "Font file for label text; empty = the first CJK font found (fonts-noto-cjk).", ""
    )

    def check(self) -> list[str]:
        errors = []
        if not 10 <= self.poll_ms <= 10_000:
            errors.append("poll_ms: expected 10 to 10000")
        if not 0 < self.timeout_s <= 60:
            errors.append("timeout_s: expected more than 0, at most 60")
        if not 0 < self.retry_first_s <= self.retry_max_s:
            errors.append("retry_first_s/retry_max_s: expected 0 < retry_first_s <= retry_max_s")
        return errors
