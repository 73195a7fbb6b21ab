"""Waybill recognition: which carriers a scanned number can belong to, and how sure we are.

The formats are data (``carriers.toml``, one row per format with its source); this module
holds the check-digit rules and the decision. Chinese carriers' numeric formats overlap
heavily and define no public check digit, so a number usually has several candidates.
Who decides the carrier, in this order (``choose``):

1. head office's manifest for that waybill;
2. the batch carrier the clerk chose for the courier in front of them (a ``CARRIER:``
   card or the page), unless the number cannot be that carrier's;
3. one carrier named by a check digit on a format that is that carrier's alone;
4. one carrier named by a definite pattern that no other row contradicts;
5. otherwise nobody: "carrier unknown", with the candidates.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sync.contract import CARRIERS as CARRIERS  # the contract owns the carrier codes

CheckDigit = Literal["ok", "bad", "none"]
Confidence = Literal["manifest", "batch", "check_digit", "pattern", "none"]

DATA_FILE = Path(__file__).with_name("carriers.toml")


def _digits(text: str) -> list[int]:
    return [int(c) for c in text]


def _s10(code: str) -> bool:
    total = sum(w * d for w, d in zip((8, 6, 4, 2, 3, 5, 9, 7), _digits(code[2:10]), strict=True))
    check = 11 - total % 11
    check = {10: 0, 11: 5}.get(check, check)
    return check == int(code[10])


def mod10_3_1(number: str) -> bool:
    """GS1 mod 10 (EAN, UPC, SSCC, IMpb): weights 3,1,3,… from the digit left of the check."""
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
    return mod10_3_1("92" + number)


def _usps_legacy_91(number: str) -> bool:
    # Older 20-digit USPS numbers likewise drop a leading "91" (USPS Pub 91).
    return mod10_3_1("91" + number)


def _dhl_express(number: str) -> bool:
    return int(number[:-1]) % 7 == int(number[-1])


CHECKS: dict[str, Callable[[str], bool]] = {
    "s10": _s10,
    "mod10_3_1": mod10_3_1,
    "ups": _ups,
    "fedex_express": _fedex_express,
    "fedex_smartpost": _fedex_smartpost,
    "usps_legacy_91": _usps_legacy_91,
    "dhl_express": _dhl_express,
}


@dataclass(frozen=True)
class Format:
    """One row of carriers.toml."""

    name: str
    pattern: re.Pattern[str]
    carriers: frozenset[str]
    source: str
    check: Callable[[str], bool] | None = None
    definite: bool = False
    batch_only: bool = False


def _load(path: Path) -> tuple[tuple[Format, ...], frozenset[str]]:
    data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    countries = frozenset(data["s10"]["countries"].split())
    formats = tuple(
        Format(
            name=row["name"],
            pattern=re.compile(row["regex"], re.ASCII),
            carriers=frozenset(row["carriers"]),
            source=row["source"],
            check=CHECKS[row["check"]] if "check" in row else None,
            definite=row["strength"] == "definite",
            batch_only=row.get("batch", False),
        )
        for row in data["format"]
    )
    return formats, countries


FORMATS, S10_COUNTRIES = _load(DATA_FILE)


@dataclass(frozen=True)
class Recognition:
    """What a number says about its carrier by itself.

    waybill: the canonical number (uppercased when a format matched; JD's package suffix
    and USPS/FedEx routing prefixes removed). carriers: the candidates, sorted; empty
    when unknown or when every candidate failed its check digit. check_digit: "ok" when
    some format's check digit verified, "bad" when a format with a check digit matched
    and failed and no candidate is left, "none" otherwise. carrier/confidence: the one
    carrier the number names ("check_digit" or "pattern"), or None and "none".
    waybill_shaped: some format (even one without carriers) matched, so it looks like a
    waybill at all.
    """

    waybill: str
    carriers: tuple[str, ...]
    check_digit: CheckDigit
    carrier: str | None = None
    confidence: Confidence = "none"
    waybill_shaped: bool = False


def _match(fmt: Format, upper: str) -> str | None:
    """The canonical number when ``fmt`` matches and its check (if any) passes."""
    match = fmt.pattern.fullmatch(upper)
    if match is None:
        return None
    groups = match.re.groupindex
    if "country" in groups and match.group("country") not in S10_COUNTRIES:
        return None
    number = match.group("waybill") if "waybill" in groups else match.group(0)
    if fmt.check is not None and not fmt.check(number):
        return ""
    return number


def recognise(code: str) -> Recognition:
    """Recognise a normalised code (no AIM prefix, no whitespace; any case)."""
    upper = code.upper()
    candidates: set[str] = set()
    by_check: set[str] = set()
    by_pattern: set[str] = set()
    verified = check_failed = False
    waybill: str | None = None
    for fmt in FORMATS:
        if fmt.batch_only:
            continue
        number = _match(fmt, upper)
        if number is None:
            continue
        if number == "":
            check_failed = True
            continue
        if fmt.check is not None:
            verified = True
            if fmt.definite:
                by_check |= fmt.carriers
        elif fmt.definite:
            by_pattern |= fmt.carriers
        candidates |= fmt.carriers
        if waybill is None:
            waybill = number
    if waybill is None:
        # A number that only failed checks keeps its uppercase form; garbage stays as read.
        return Recognition(upper if check_failed else code, (), "bad" if check_failed else "none")
    found = tuple(sorted(candidates))
    check: CheckDigit = "ok" if verified else "none"
    if len(by_check) == 1:
        return Recognition(waybill, found, check, next(iter(by_check)), "check_digit", True)
    if not by_check and len(candidates) == 1 and candidates == by_pattern:
        return Recognition(waybill, found, check, found[0], "pattern", True)
    return Recognition(waybill, found, check, None, "none", True)


def fit(code: str, carrier: str, *, definite: bool = False) -> str | None:
    """The canonical number when ``code`` matches one of ``carrier``'s own formats
    (batch-only ones included; only definite ones if asked), else None."""
    upper = code.upper()
    for fmt in FORMATS:
        if definite and not fmt.definite:
            continue
        if carrier in fmt.carriers and (number := _match(fmt, upper)):
            return number
    return None


def has_formats(carrier: str) -> bool:
    return any(carrier in fmt.carriers for fmt in FORMATS)


@dataclass(frozen=True)
class Choice:
    """The carrier to record and why. mismatch: the batch carrier was set, but the number
    cannot be that carrier's (the clerk is told, in amber)."""

    carrier: str | None
    confidence: Confidence
    mismatch: bool = False


def choose(
    code: str, recognition: Recognition, *, manifest: str | None, batch: str | None
) -> Choice:
    """Who the carrier is: manifest, then batch carrier, then the number's own evidence."""
    if manifest:
        return Choice(manifest, "manifest")
    if batch:
        if fit(code, batch) or not cannot_be(recognition, batch):
            return Choice(batch, "batch")
        # Clerk and number disagree: only a check digit outweighs the clerk; otherwise
        # the carrier stays unknown until the manifest settles it.
        if recognition.confidence == "check_digit":
            return Choice(recognition.carrier, "check_digit", mismatch=True)
        return Choice(None, "none", mismatch=True)
    return Choice(recognition.carrier, recognition.confidence)


def cannot_be(recognition: Recognition, carrier: str) -> bool:
    """The number names another carrier, or matches formats and none of them is
    ``carrier``'s while ``carrier`` has formats of its own. A number that matched no
    carrier's format (an unlisted range) can be anyone's."""
    if not recognition.carriers or not has_formats(carrier):
        return False
    return carrier not in recognition.carriers


def explain(code: str, *, batch: str | None = None, manifest: str | None = None) -> dict[str, Any]:
    """The whole answer for one number, as `station waybill --json` prints it: candidates,
    the carrier decided and its confidence, and the formats that matched with sources."""
    r = recognise(code)
    choice = choose(code, r, manifest=manifest, batch=batch)
    upper = code.upper()
    matched = [
        {"format": f.name, "carriers": sorted(f.carriers), "source": f.source}
        for f in FORMATS
        if _match(f, upper) and (not f.batch_only or batch in f.carriers)
    ]
    return {
        "waybill": (fit(code, batch) if batch and not r.waybill_shaped else None) or r.waybill,
        "carriers": list(r.carriers),
        "check_digit": r.check_digit,
        "carrier": choice.carrier,
        "confidence": choice.confidence,
        "batch_mismatch": choice.mismatch,
        "formats": matched,
    }
