"""The [service] config section: ticket deadlines, the receipt ladder, the sign-deadline
province table and the sending rate table."""

from __future__ import annotations

from dataclasses import dataclass, field

from edge.config_base import Section, doc
from edge.service.provinces import PROVINCES, ZONES

TICKET_KINDS = ("inquiry", "complaint", "claim")


@dataclass
class Rate(Section):
    carrier: str = doc("Carrier code (zto, sf…), or * for every carrier without its own row.")
    zone: str = doc("Destination zone: local, near, far or remote.")
    first_fen: int = doc("Price of the first kilogram, in fen.")
    extra_fen: int = doc("Price of each further kilogram or part of one, in fen.")

    def check(self) -> list[str]:
        errors = []
        if self.zone not in ZONES:
            errors.append(f"zone: expected one of {', '.join(ZONES)}")
        if self.first_fen < 0 or self.extra_fen < 0:
            errors.append("first_fen/extra_fen: expected 0 or more")
        return errors


def _default_rates() -> list[Rate]:
    prices = {"local": (800, 200), "near": (1000, 300), "far": (1200, 500), "remote": (1800, 1200)}
    return [Rate(carrier="*", zone=z, first_fen=f, extra_fen=e) for z, (f, e) in prices.items()]


@dataclass
class ServiceSection(Section):
    first_answer_minutes: int = doc("A ticket gets its first answer within this many minutes.", 5)
    same_day_kinds: list[str] = doc(
        "Ticket kinds settled the same day they are opened (by midnight, station time).",
        ["complaint"],
    )
    settle_days: int = doc("Other ticket kinds are settled within this many days.", 3)
    follow_up_days: int = doc("A settled ticket is followed up within this many days.", 2)
    follow_up_tries: int = doc(
        "Unanswered follow-up calls after which the customer is recorded as unreachable.", 3
    )
    receipt_days_by_hops: list[int] = doc(
        "Days a signed receipt (回单) has to reach the sender: one hop, one transfer, two.",
        [10, 15, 20],
    )
    receipt_latest_days: int = doc("No receipt is due later than this many days.", 25)
    receipt_default_hops: int = doc("Hops when the manifest does not say.", 1)
    home_province: str = doc("The station's province (short name, e.g. 广东).", "广东")
    near_provinces: list[str] = doc(
        "Neighbouring provinces: sendings there are chased after sign_hours_near.",
        ["广西", "福建", "湖南", "江西", "海南"],
    )
    remote_provinces: list[str] = doc(
        "Remote provinces: sendings there are chased after sign_hours_remote.",
        ["新疆", "西藏", "青海", "内蒙古", "宁夏", "甘肃"],
    )
    sign_hours_near: int = doc("Sign deadline of a sending within the province or next door.", 24)
    sign_hours_far: int = doc("Sign deadline of a sending to most provinces.", 48)
    sign_hours_remote: int = doc("Sign deadline of a sending to a remote province.", 72)
    rates: list[Rate] = field(
        default_factory=_default_rates,
        metadata={"doc": "Sending prices ([[service.rates]] tables) by carrier and zone."},
    )

    def check(self) -> list[str]:
        errors = []
        if self.first_answer_minutes < 1:
            errors.append("first_answer_minutes: expected 1 or more")
        if any(k not in TICKET_KINDS for k in self.same_day_kinds):
            errors.append(f"same_day_kinds: expected kinds among {', '.join(TICKET_KINDS)}")
        if self.settle_days < 1 or self.follow_up_days < 1 or self.follow_up_tries < 1:
            errors.append("settle_days/follow_up_days/follow_up_tries: expected 1 or more")
        ladder = self.receipt_days_by_hops
        if not ladder or ladder != sorted(ladder) or ladder[0] < 1:
            errors.append("receipt_days_by_hops: expected rising day counts, e.g. [10, 15, 20]")
        elif self.receipt_latest_days < ladder[-1]:
            errors.append("receipt_latest_days: expected at least the ladder's last step")
        if self.receipt_default_hops < 1:
            errors.append("receipt_default_hops: expected 1 or more")
        for key in ("home_province", "near_provinces", "remote_provinces"):
            value = getattr(self, key)
            names = value if isinstance(value, list) else [value]
            unknown = [n for n in names if n not in PROVINCES]
            if unknown:
                errors.append(f"{key}: unknown province {unknown[0]!r} (short names, e.g. 广东)")
        if not 0 < self.sign_hours_near <= self.sign_hours_far <= self.sign_hours_remote:
            errors.append("sign_hours_*: expected 0 < near <= far <= remote")
        return errors
