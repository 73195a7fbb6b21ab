"""Waybill recognition: which carriers a scanned number can belong to.

Pure functions over one table of formats (a regex, the carriers it implies and an
optional check-digit rule). Chinese carriers' numeric formats overlap heavily and
define no public check digit, so every matching format adds its carriers and the
caller resolves the set (from the batch's carrier, or by asking).

Sources:
- UPU S10 (S10-12 standard): 2 letters, 8 digits, check digit, ISO country code;
  weights 8,6,4,2,3,5,9,7, check = 11 - sum mod 11 (10 -> 0, 11 -> 5).
- UPS 1Z, FedEx Express 12/34 digits, FedEx Ground 15/22 (96...), FedEx SmartPost,
  USPS IMpb 20-34 digits, DHL Express mod 7: the public formats and test numbers
  collected in jkeen/tracking_number_data (couriers/*.json, CHECKSUM_ALGORITHMS.md)
  and USPS Publication 199 (the IMpb mod 10 check digit).
- Chinese carriers (prefixes and lengths, no check digits): the carriers' own
  tracking pages and published detection tables (Kuaidi100-style rules); these are
  conventions, not specifications, and change as carriers assign new ranges.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from sync.contract import CARRIERS as CARRIERS  # the contract owns the carrier codes

CheckDigit = Literal["ok", "bad", "none"]


@dataclass(frozen=True)
class Recognition:
    """What a code says about its carrier.

    waybill: the canonical number (uppercased when a format matched; JD's package
    suffix and USPS/FedEx routing prefixes removed). carriers: candidate codes,
    sorted; empty when unknown or when every candidate failed its check digit.
    check_digit: "ok" when some candidate's check digit verified, "bad" when a format
    with a check digit matched, the digit was wrong and no candidate is left,
    "none" otherwise.
    """

    waybill: str
    carriers: tuple[str, ...]
    check_digit: CheckDigit


def _digits(text: str) -> list[int]:
    return [int(c) for c in text]


def _s10(code: str) -> bool:
    total = sum(w * d for w, d in zip((8, 6, 4, 2, 3, 5, 9, 7), _digits(code[2:10]), strict=True))
    check = 11 - total % 11
    check = {10: 0, 11: 5}.get(check, check)
    return check == int(code[10])


def _mod10_3_1(number: str) -> bool:
    """GS1 mod 10: weights 3,1,3,… from the digit left of the check digit."""
    digits = _digits(number)
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits[:-1])))
    return (10 - total % 10) % 10 == digits[-1]


def _ups(code: str) -> bool:
    # Letters count as (ord - 63) mod 10 (A=2, B=3, …); the check itself is a digit.
    if not code[17].isdigit():
        return False
    values = [int(c) if c.isdigit() else (ord(c) - 63) % 10 for c in code[2:17]]
    total = sum(v * (2 if i % 2 else 1) for i, v in enumerate(values))
    return (10 - total % 10) % 10 == int(code[17])


def _fedex_express(number: str) -> bool:
    """FedEx Express: weights 1,3,7,… leftwards from the check digit, mod 11, mod 10."""
    digits = _digits(number)
    weights = (1, 3, 7)
    total = sum(d * weights[i % 3] for i, d in enumerate(reversed(digits[:-1])))
    return total % 11 % 10 == digits[-1]


def _fedex_smartpost(number: str) -> bool:
    # The 20-digit human-readable form drops the "92" application identifier,
    # which still counts in the check digit.
    return _mod10_3_1("92" + number)


def _usps_legacy_91(number: str) -> bool:
    # Older 20-digit USPS numbers likewise drop a leading "91" (USPS Pub 91).
    return _mod10_3_1("91" + number)


def _dhl_express(number: str) -> bool:
    return int(number[:-1]) % 7 == int(number[-1])


@dataclass(frozen=True)
class _Format:
    """One number format: the whole (uppercased) code must match `pattern`.

    The group named "waybill", when present, is the canonical waybill; the check
    runs on the canonical waybill.
    """

    name: str
    pattern: re.Pattern[str]
    carriers: frozenset[str]
    check: Callable[[str], bool] | None = None


def _fmt(
    name: str, regex: str, carriers: Iterable[str], check: Callable[[str], bool] | None = None
) -> _Format:
    return _Format(name, re.compile(regex, re.ASCII), frozenset(carriers), check)


def _numeric(prefixes: Iterable[str], lengths: Iterable[int]) -> str:
    """A regex for all-digit numbers with one of `prefixes` and one of `lengths`."""
    prefix = "|".join(sorted(prefixes, key=len, reverse=True))
    length = "|".join(f"[0-9]{{{n}}}" for n in lengths)
    return rf"(?=(?:{length})\Z)(?:{prefix})[0-9]*"


# Inbound international post is delivered in China by China Post (EMS items by EMS),
# so an S10 number from any country is a China Post group parcel; a US number is
# also USPS's, the one foreign post with a code of its own here.
_S10 = r"[A-Z]{2}[0-9]{9}[A-Z]{2}"

FORMATS: tuple[_Format, ...] = (
    # --- UPU S10 ---
    _fmt("S10 EMS", r"E[A-Z][0-9]{9}[A-Z]{2}", {"ems"}, _s10),
    # e-Packet (LK/LP…) and parcels (C*) from China are sold by both EMS and China Post.
    _fmt("S10 CN letter/parcel", r"[LC][A-Z][0-9]{9}CN", {"ems", "chinapost"}, _s10),
    _fmt("S10 non-EMS", r"[A-DF-Z][A-Z][0-9]{9}[A-Z]{2}", {"chinapost"}, _s10),
    _fmt("S10 US", r"[A-Z]{2}[0-9]{9}US", {"usps"}, _s10),
    # --- international carriers with check digits ---
    _fmt("UPS 1Z", r"1Z[A-Z0-9]{16}", {"ups"}, _ups),
    _fmt("FedEx Express 12", r"[0-9]{12}", {"fedex"}, _fedex_express),
    # 34-digit Express barcode: the tracking number is its last 14 digits, usually
    # "00" + the 12-digit number.
    _fmt(
        "FedEx Express 34",
        r"100[0-9]{17}(?:00)?(?P<waybill>[0-9]{12,14})",
        {"fedex"},
        _fedex_express,
    ),
    _fmt("FedEx Ground 15", r"[0-9]{15}", {"fedex"}, _mod10_3_1),
    # 22-digit Ground barcode 96 + SCNC + service: the last 15 digits are the number.
    _fmt("FedEx Ground 96", r"96[0-9]{5}(?P<waybill>[0-9]{15})", {"fedex"}, _mod10_3_1),
    _fmt("FedEx SmartPost 20", r"[0-9]{20}", {"fedex"}, _fedex_smartpost),
    _fmt("FedEx SmartPost 22", r"92[0-9]{20}", {"fedex"}, _mod10_3_1),
    _fmt("USPS 20", r"[0-9]{20}", {"usps"}, _mod10_3_1),
    _fmt("USPS 20 (91)", r"[0-9]{20}", {"usps"}, _usps_legacy_91),
    _fmt("USPS IMpb", r"9[1-5](?:[0-9]{20}|[0-9]{24})", {"usps"}, _mod10_3_1),
    # IMpb with the 420 + ZIP (or ZIP+4) routing code in front.
    _fmt(
        "USPS IMpb routed",
        r"420(?:[0-9]{5}|[0-9]{9})(?P<waybill>9[1-5](?:[0-9]{20}|[0-9]{24}))",
        {"usps"},
        _mod10_3_1,
    ),
    _fmt("DHL Express", r"[0-9]{10,11}", {"dhl"}, _dhl_express),
    # DHL piece identifiers define no public check digit.
    _fmt("DHL piece ID", r"(?:JJD|JVGL)[0-9]{9,20}", {"dhl"}),
    # 10 to 15 digits are also the numbers of carriers we do not list (Deppon, ZJS, UC,
    # regional ones): a failed DHL or FedEx check does not make such a number wrong, it
    # only leaves its carrier unknown. The counter must still be able to receive it.
    _fmt("other carriers' numbers", r"[0-9]{10,15}", ()),
    # --- Chinese carriers: prefixes and lengths only ---
    _fmt("SF", r"SF[0-9]{12,13}", {"sf"}),
    _fmt("SF legacy 12", r"[0-9]{12}", {"sf"}),
    _fmt("ZTO", _numeric("2567", range(12, 16)), {"zto"}),
    _fmt("ZTO 43", _numeric(("43",), (15,)), {"zto"}),
    _fmt("YTO", r"YT[0-9]{13}", {"yto"}),
    _fmt("YTO legacy 10", r"[D8][0-9]{9}", {"yto"}),
    _fmt(
        "STO",
        _numeric(("77", "88", "58", *(f"{d}68" for d in "23456789")), range(12, 16)),
        {"sto"},
    ),
    _fmt("Yunda", _numeric(("31", "43", "46"), range(13, 16)), {"yunda"}),
    _fmt("J&T", r"JT[0-9]{13}", {"jtexpress"}),
    # JD prints a package suffix "-<n>-<of>-" after the waybill on each parcel.
    _fmt("JD", r"(?P<waybill>JD[A-Z]{0,3}[0-9]{10,13})(?:-[0-9]{1,4}-[0-9]{1,4}-?)?", {"jd"}),
    _fmt("JD numeric", r"[0-9]{11,13}", {"jd"}),
    _fmt("EMS domestic", _numeric("1", (13,)), {"ems", "chinapost"}),
    _fmt("EMS economy", _numeric(("50", "51", "52", "95", "97"), (13,)), {"ems"}),
    _fmt("China Post domestic", _numeric("9", (13,)), {"chinapost"}),
)


def _canonical(match: re.Match[str]) -> str:
    return match.group("waybill") if "waybill" in match.re.groupindex else match.group(0)


def recognise(code: str) -> Recognition:
    """Recognise a normalised code (no AIM prefix, no whitespace; any case)."""
    upper = code.upper()
    found: set[str] = set()
    verified = False
    check_failed = False
    waybill: str | None = None
    for fmt in FORMATS:
        match = fmt.pattern.fullmatch(upper)
        if match is None:
            continue
        number = _canonical(match)
        if fmt.check is not None:
            if not fmt.check(number):
                check_failed = True
                continue
            verified = True
        found |= fmt.carriers
        if waybill is None:
            waybill = number
    if waybill is None:
        # A number that only failed checks keeps its uppercase form; garbage stays as read.
        return Recognition(upper if check_failed else code, (), "bad" if check_failed else "none")
    return Recognition(waybill, tuple(sorted(found)), "ok" if verified else "none")
