"""A label for one printer: its data laid out, then encoded in the printer's language,
or drawn as the PNG preview of exactly that. Pure."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image

from edge.devices.printers import escpos, tspl
from edge.devices.printers.label import LabelData, layout
from edge.devices.printers.raster import Element, draw, font_path
from edge.devices.printers.settings import PrinterSection, PrintingSection

TEST_WAYBILL = "TEST1234567890"


def label_data(row: Any, tz: ZoneInfo) -> LabelData:
    """LabelData from a print_jobs (or parcels) row; the date in the station's zone."""
    at = row["received_at"]
    try:
        day = datetime.fromisoformat(at).astimezone(tz).strftime("%m-%d") if at else ""
    except ValueError:
        day = ""
    return LabelData(
        waybill=row["waybill"] or "",
        pickup_code=row["pickup_code"] or "",
        shelf=row["shelf"] or "",
        day=day,
        phone_last4=row["phone_last4"],
    )


def test_label(now: datetime) -> LabelData:
    return LabelData(TEST_WAYBILL, "测试-1-001", "1-1", now.strftime("%m-%d"), "0000")


def elements(data: LabelData, printer: PrinterSection, font: str | None) -> list[Element]:
    return layout(data, printer.label_size(), printer.template, font)


def preview(data: LabelData, printer: PrinterSection, printing: PrintingSection) -> Image.Image:
    """The label as it prints: 1 bit a dot, label-sized."""
    font = font_path(printing.font)
    size = printer.label_size()
    return draw(elements(data, printer, font), size.width, size.height, font)


def job_bytes(data: LabelData, printer: PrinterSection, printing: PrintingSection) -> bytes:
    """What is sent to the printer for one label."""
    font = font_path(printing.font)
    if printer.language == "escpos":
        return escpos.encode(preview(data, printer, printing), profile=printer.profile)
    return tspl.encode(
        elements(data, printer, font),
        printer.label_size(),
        chinese=printer.chinese,
        gap_mm=printer.gap_mm,
        density=printer.density,
        font=font,
    )
