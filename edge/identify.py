"""From a scanned code to the waybill in it and what the number says of its carrier.

Pure: GS1 data, tracking URLs and grouped digits give the number; product barcodes,
mobile numbers and numbers failing their check digit are refused with what to do; a
format only the batch carrier has (Deppon's 8-10 digits, JD's all-digit numbers) counts
for that carrier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from edge import barcode, carriers
from edge.messages import Message
from edge.privacy import mask_phone

# A mainland mobile number, as the recipient's phone barcode on some labels reads.
MOBILE = re.compile(r"1[3-9][0-9]{9}", re.ASCII)


@dataclass(frozen=True)
class Identified:
    """A scanned code's waybill. shaped: it looks like a waybill (some format matched,
    the batch carrier's own format, or GS1 shipment data); words and short codes do not."""

    waybill: str
    recognition: carriers.Recognition
    shaped: bool


def identify(code: str, scan_type: str, batch: str | None) -> Identified | Message:
    """The waybill in ``code`` (an AIM prefix kept when it matters), scanned in
    ``scan_type`` mode with ``batch`` as the batch carrier."""
    aim = code[:3] if code.startswith("]") else None
    text = code[3:] if aim else code
    inner = barcode.waybill_from_gs1(barcode.Code(text, aim))
    if isinstance(inner, Message):
        return inner
    text = inner if inner is not None else barcode.waybill_text(text)
    if not barcode.WAYBILL.match(text):
        return Message("not_waybill", {"code": text[:40]})
    fitted = carriers.fit(text, batch) if batch else None
    # Only a definite format of the batch carrier outweighs a product barcode's shape:
    # "any 13 digits" of a carrier must not let a 69… product in.
    if (
        scan_type == "receive"
        and barcode.product_code(text, aim)
        and not (batch and carriers.fit(text, batch, definite=True))
    ):
        return Message("product_code", {"code": text})
    # A phone is no waybill, unless the batch carrier has 11-digit numbers that fit (JD's
    # old numbers such as 17309087617 look like a mobile; DHL's must pass mod 7). Only
    # the masked number goes on, for the read journal.
    if scan_type == "receive" and MOBILE.fullmatch(text) and not (batch and fitted):
        return Message("phone_number", {"masked": mask_phone(text)})
    recognition = carriers.recognise(text)
    if recognition.check_digit == "bad" and not recognition.carriers and not fitted:
        return Message("check_digit", {"waybill": recognition.waybill})
    if fitted and not recognition.waybill_shaped:
        waybill = fitted  # a format only the batch carrier's
    else:
        waybill = inner if inner is not None else recognition.waybill
    # GS1 shipment numbers (SSCC, GINC) are waybills whatever their shape.
    shaped = recognition.waybill_shaped or bool(fitted) or inner is not None
    return Identified(waybill, recognition, shaped)
