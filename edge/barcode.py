"""From what a gun typed to a clean code: AIM prefix, control characters, command
cards and GS1. Pure functions; every refusal is a Message saying what to do."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl, urlsplit

from edge.carriers import CARRIERS, mod10_3_1, recognise
from edge.messages import Message
from sync.contract import (  # the contract owns the vocabularies
    DISPATCH_REASONS,
    PROBLEM_CODES,
    SCAN_TYPES,
    WAYBILL,
)
from sync.contract import SIGNER_RELATIONS as SIGNER_RELATIONS  # re-exported for edge users

GS = "\x1d"
# AIM symbology identifier: "]" + symbology letter + modifier character (ISO/IEC 15424).
_AIM = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
# Symbology identifiers that announce GS1 data.
GS1_AIMS = {"]C1", "]e0", "]d2", "]Q3", "]J1"}


def aim_matters(aim: str | None) -> bool:
    """Does the symbology say something about the code: GS1 data, or EAN/UPC (]E*),
    which is a product barcode, never a waybill."""
    return aim is not None and (aim in GS1_AIMS or aim.startswith("]E"))


@dataclass(frozen=True)
class Code:
    text: str
    aim: str | None = None


def normalise(raw: str, min_length: int = 4, max_length: int = 120) -> Code | Message:
    """Strip the AIM prefix, surrounding whitespace and control characters (GS stays)."""
    text = raw.strip()
    aim = None
    match = _AIM.match(text)
    if match:
        aim, text = match.group(0), text[match.end() :]
    text = "".join(ch for ch in text if ch == GS or unicodedata.category(ch) != "Cc").strip()
    text = text.strip(GS)
    if not text:
        return Message("empty")
    if any(not ch.isprintable() and ch != GS for ch in text):
        return Message("unprintable")
    if len(text) < min_length:
        return Message("incomplete_read", {"length": len(text)})
    if len(text) > max_length:
        return Message("too_long", {"length": len(text)})
    return Code(text, aim)


CommandName = Literal[
    "operator_in",
    "operator_out",
    "mode",
    "problem",
    "dispatch",
    "carrier",
    "undo",
    "reprint",
    "courier",
]


@dataclass(frozen=True)
class Command:
    name: CommandName
    value: str | None = None


def parse_command(code: str) -> Command | Message | None:
    """A desk command card, a refusal for a malformed one, or None for anything else."""
    upper = code.upper()
    if upper == "UNDO":
        return Command("undo")
    if upper == "REPRINT":  # `station printer` prints this desk's last label again
        return Command("reprint")
    if ":" not in upper:
        return None
    prefix, _, value = upper.partition(":")
    value = value.strip()
    if prefix == "OP":
        if value == "OUT":
            return Command("operator_out")
        if value:
            return Command("operator_in", code.partition(":")[2].strip())
    elif prefix == "MODE" and value.lower() in SCAN_TYPES:
        return Command("mode", value.lower())
    elif prefix == "PROBLEM" and value.lower() in PROBLEM_CODES:
        return Command("problem", value.lower())
    elif prefix == "DISPATCH" and value.lower() in DISPATCH_REASONS:
        return Command("dispatch", value.lower())
    elif prefix == "CARRIER":
        carrier = value.lower()
        if carrier and carrier not in CARRIERS:
            # A typo here would make every later scan one head office refuses.
            return Message("unknown_carrier_card", {"carrier": code.partition(":")[2][:40]})
        return Command("carrier", carrier or None)
    elif prefix == "COURIER" and value:
        return Command("courier", code.partition(":")[2].strip())
    return Message("bad_command", {"code": code[:40]})


def command_cards() -> list[tuple[str, str, str]]:
    """(barcode, Chinese label, English label) for every fixed command card."""
    from edge.messages import REASON_NAMES, TYPE_NAMES

    cards = [(f"MODE:{t.upper()}", f"模式：{TYPE_NAMES[t][0]}", f"Mode: {t}") for t in SCAN_TYPES]
    cards += [
        (f"DISPATCH:{r.upper()}", f"出站：{REASON_NAMES[r][0]}", f"Dispatch: {r}")
        for r in DISPATCH_REASONS
    ]
    cards += [
        (f"PROBLEM:{p.upper()}", f"问题件：{REASON_NAMES[p][0]}", f"Problem: {REASON_NAMES[p][1]}")
        for p in PROBLEM_CODES
        if p != "weight_mismatch"
    ]
    cards += [("UNDO", "撤销上一次扫描", "Undo last scan"), ("OP:OUT", "退出登录", "Sign out")]
    cards += [("REPRINT", "补打上一张取件码标签", "Reprint the last label")]
    return cards


# GS1 prefixes of product barcodes a parcel station meets: China (690-699) and books and
# periodicals (977-979, ISSN/ISBN). Other 13-digit numbers are left to the waybill formats,
# because one waybill in ten passes the EAN check by chance.
_PRODUCT_PREFIXES = ("69", "977", "978", "979")


def product_code(text: str, aim: str | None) -> bool:
    """An EAN-13, EAN-8 or UPC-A product barcode (valid check digit), not a waybill.

    The AIM identifier settles it when the gun sends one (]E* is EAN/UPC; waybills are
    Code 128). Without it: every valid EAN-8 (no waybill has 8 digits but Deppon's old
    ones, which need the batch carrier); a UPC-A starting with 0 (no 12-digit waybill
    does); an EAN-13 with a Chinese or book prefix."""
    if not text.isascii() or not text.isdigit() or len(text) not in (8, 12, 13):
        return False
    if not mod10_3_1(text):
        return False
    if aim is not None and aim.startswith("]E"):
        return True
    if len(text) == 8:
        return True
    if len(text) == 12:
        return text.startswith("0")
    return text.startswith(_PRODUCT_PREFIXES)


def waybill_from_gs1(code: Code) -> str | Message | None:
    """The shipment number inside GS1 data (SSCC, GINC, GSIN); None when not GS1."""
    if code.aim not in GS1_AIMS and GS not in code.text:
        return None
    import biip  # its GS1 tables cost ~17 MB and 90 ms: loaded for the first GS1 code only

    try:
        result = biip.parse((code.aim or "") + code.text)
    except biip.BiipException:  # e.g. an AIM prefix biip does not know: "]00<GS>0"
        return Message("not_waybill", {"code": _printable(code.text)})
    message = result.gs1_message
    if message is None:
        return Message("not_waybill", {"code": _printable(code.text)})
    for ai in ("00", "401", "402"):
        for element in message.element_strings:
            if element.ai.ai == ai:
                return element.value
    return Message("not_waybill", {"code": _printable(code.text)})


def waybill_text(text: str) -> str:
    """The waybill number in what was scanned or typed. Labels' QR codes often hold a
    tracking URL (the number is a query value or the last path part), and numbers typed
    from a label come grouped with spaces; anything else is returned unchanged."""
    if text.lower().startswith(("http://", "https://")):
        parts = urlsplit(text)
        candidates = [v for _, v in parse_qsl(parts.query)]
        segments = (parts.path + "/" + parts.fragment).split("/")
        candidates += reversed([p for p in segments if p])
        plausible = [c for c in candidates if WAYBILL.match(c) and any(ch.isdigit() for ch in c)]
        known = [c for c in plausible if recognise(c).carriers]
        return (known or plausible or [text])[0]
    if " " in text and WAYBILL.match(text.replace(" ", "")):
        return text.replace(" ", "")
    return text


def _printable(text: str) -> str:
    return text.replace(GS, "<GS>")[:40]
