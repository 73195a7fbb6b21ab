"""What a pickup-code label says and where each part goes. Pure.

A template places the parts on a label of any size in proportion to it: the pickup
code as large as its box allows, then the shelf and the waybill's last digits, then
the date and the masked phone, then the waybill as Code 128 (``barcode``) or QR
(``qr``). A waybill too long for readable bars on a narrow label gets a QR instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from edge.devices.printers.media import TEMPLATES, Size
from edge.devices.printers.raster import (
    QR,
    QUIET_MODULES,
    Barcode,
    Element,
    Text,
    code128_modules,
    fit_size,
    printable,
    qr_matrix,
    text_extent,
)

TAIL_DIGITS = 6  # the waybill's last digits printed beside the shelf


@dataclass(frozen=True)
class LabelData:
    waybill: str
    pickup_code: str
    shelf: str
    day: str  # the station's local date of the receive, e.g. 11-28
    phone_last4: str | None = None


def masked_phone(last4: str | None) -> str:
    """The station keeps only the last four digits, so that is all a label shows."""
    return f"***-****-{last4}" if last4 else ""


def info_lines(data: LabelData) -> tuple[str, str]:
    digits = "".join(ch for ch in data.waybill if ch.isalnum())[-TAIL_DIGITS:]
    first = f"货架 {data.shelf}   尾号 {digits}"
    second = f"{data.day}   {masked_phone(data.phone_last4)}".rstrip()
    return first, second


def layout(data: LabelData, size: Size, template: str, font: str | None) -> list[Element]:
    """The label's elements, in dots from its top-left corner."""
    if template not in TEMPLATES:
        raise ValueError(f"unknown template {template!r} (expected one of {TEMPLATES})")
    # What is drawn is what the printer gets: its language drops the same characters.
    data = LabelData(
        printable(data.waybill),
        printable(data.pickup_code),
        printable(data.shelf),
        printable(data.day),
        data.phone_last4 and printable(data.phone_last4),
    )
    m = size.dots_per_mm * 3 // 2  # 1.5 mm margin: printers drift a little
    inner_w, inner_h = size.width - 2 * m, size.height - 2 * m
    code_h = inner_h * 2 // 5
    line_h = inner_h * 3 // 20
    gap = max(2, size.dots_per_mm // 2)
    elements: list[Element] = [_fitted(data.pickup_code, m, m, inner_w, code_h, font)]
    y = m + code_h + gap
    bottom = size.height - m
    if template == "barcode":
        bars = _barcode(data.waybill, size.width, y + 2 * (line_h + gap), bottom)
        if bars is not None:
            elements += _lines(data, m, y, inner_w, line_h, gap, font)
            return [*elements, bars]
    # QR at the bottom right, the two lines to its left.
    matrix = len(qr_matrix(data.waybill))
    cell = max(1, (bottom - y) // matrix)
    side = cell * matrix
    qr = QR(size.width - m - side, bottom - side, cell, data.waybill)
    elements += _lines(data, m, y, inner_w - side - 2 * cell, line_h, gap, font)
    return [*elements, qr]


def _fitted(text: str, x: int, y: int, width: int, height: int, font: str | None) -> Text:
    return Text(x, y, fit_size(text, width, height, font), text)


def _lines(
    data: LabelData, x: int, y: int, width: int, height: int, gap: int, font: str | None
) -> list[Element]:
    first, second = info_lines(data)
    # One size for both lines, so they read as one block.
    size = min(fit_size(first, width, height, font), fit_size(second, width, height, font))
    out: list[Element] = []
    for text in (first, second):
        if text:
            out.append(Text(x, y, size, text))
        y += max(height, text_extent(text, size, font)[1]) + gap
    return out


def _barcode(waybill: str, width: int, top: int, bottom: int) -> Barcode | None:
    """Code 128 centred, its quiet zones reaching into the margins, 2-3 dots a module;
    None when it cannot fit at 2 dots (1-dot modules print too thin to scan well)."""
    modules = len(code128_modules(waybill))
    narrow = min(3, width // (modules + 2 * QUIET_MODULES))
    if narrow < 2 or bottom - top < 24:
        return None
    x = (width - modules * narrow) // 2
    return Barcode(x, top, bottom - top, narrow, waybill)
