"""What a station may keep of personal numbers: masked phones and last-four digits."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d")


def last4(number: str | None) -> str | None:
    """The last four digits of a phone or ID number, or None when it has fewer."""
    if not number:
        return None
    digits = "".join(_DIGITS.findall(number))
    return digits[-4:] if len(digits) >= 4 else None


def mask_phone(number: str | None) -> str | None:
    """138****5678: the first three and last four digits only."""
    if not number:
        return None
    digits = "".join(_DIGITS.findall(number))
    if len(digits) < 7:
        return None
    return f"{digits[:3]}****{digits[-4:]}"


def valid_last4(text: str | None) -> bool:
    return text is not None and len(text) == 4 and text.isdigit()


# A mainland mobile number, and an ID card number (18 characters, the last may be X),
# standing alone in free text.
_PHONE = re.compile(r"(?<!\d)1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)")
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def scrub(text: str) -> str:
    """Free text as a station may keep it: a phone number written in it is masked
    (138****5678) and an ID card number cut to its last 4."""
    text = _ID_CARD.sub(lambda m: "**************" + m.group(0)[-4:], text)
    return _PHONE.sub(lambda m: mask_phone(m.group(0)) or "", text)
