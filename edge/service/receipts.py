"""Signed receipts (回单): what a receipt must carry, whether a signing meets it, and
when it is due back at the sender.

A requirement is written compactly, as the manifest's ``receipt`` column carries it:
``signature,id,stamp,copies=2`` (any subset; ``copies`` defaults to 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from edge.privacy import valid_last4
from edge.service.settings import ServiceSection

STATES = ("required", "signed", "sent", "confirmed")
MAX_COPIES = 10


class RequirementError(ValueError):
    """A requirement text that cannot be read."""


@dataclass(frozen=True)
class Requirement:
    signature: bool = True
    id_number: bool = False
    stamp: bool = False
    copies: int = 1

    def text(self) -> str:
        parts = [
            n
            for n, on in (
                ("signature", self.signature),
                ("id", self.id_number),
                ("stamp", self.stamp),
            )
            if on
        ]
        return ",".join([*parts, f"copies={self.copies}"])


def parse_requirement(text: str) -> Requirement:
    flags = {"signature": False, "id": False, "stamp": False}
    copies = 1
    for token in (t.strip().lower() for t in text.split(",")):
        if not token:
            continue
        if token in flags:
            flags[token] = True
        elif token.startswith("copies="):
            try:
                copies = int(token.removeprefix("copies="))
            except ValueError:
                raise RequirementError(f"copies: expected a number in {token!r}") from None
        else:
            raise RequirementError(f"unknown receipt field {token!r}")
    if not 1 <= copies <= MAX_COPIES:
        raise RequirementError(f"copies: expected 1 to {MAX_COPIES}")
    return Requirement(flags["signature"], flags["id"], flags["stamp"], copies)


@dataclass(frozen=True)
class Signing:
    """What the clerk checked at the counter. Only last-4 digits and a masked name."""

    signature: bool
    id_last4: str | None  # the recipient's
    stamp: bool
    copies: int
    photos: int
    proxy_name: str | None = None  # masked
    proxy_id_last4: str | None = None


def missing(req: Requirement, signing: Signing, proxy: bool) -> list[str]:
    """What the signing lacks, as field names; empty when the receipt may be accepted.

    A proxy pickup names the proxy and, when the receipt needs an ID, checks both
    people's IDs (the carriers' rule).
    """
    lacking = []
    if req.signature and not signing.signature:
        lacking.append("signature")
    if req.id_number and not valid_last4(signing.id_last4):
        lacking.append("id_last4")
    if req.stamp and not signing.stamp:
        lacking.append("stamp")
    if signing.copies < req.copies:
        lacking.append("copies")
    if proxy:
        if not signing.proxy_name:
            lacking.append("proxy_name")
        if req.id_number and not valid_last4(signing.proxy_id_last4):
            lacking.append("proxy_id_last4")
    if signing.photos < 1:
        lacking.append("photo")
    return lacking


def due_days(hops: int, rules: ServiceSection) -> int:
    """10 days for one hop, 15 with one transfer, 20 with two; never past the latest."""
    ladder = rules.receipt_days_by_hops
    days = ladder[min(max(hops, 1), len(ladder)) - 1]
    return min(days, rules.receipt_latest_days)


def due_at(signed_at: datetime, hops: int, rules: ServiceSection) -> datetime:
    return signed_at + timedelta(days=due_days(hops, rules))
