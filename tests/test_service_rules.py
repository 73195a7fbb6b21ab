"""The service desk's pure rules: ticket deadlines and moves, receipt requirements and
the due-date ladder, provinces, zones, prices and sign deadlines."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge import config as config_mod
from edge.config_base import ConfigError
from edge.service import provinces, receipts, sends, tickets
from edge.service.errors import ServiceError
from edge.service.receipts import Requirement, Signing
from edge.service.settings import ServiceSection

TZ = ZoneInfo("Asia/Shanghai")
RULES = ServiceSection()
AT = datetime(2026, 11, 23, 16, 30, tzinfo=TZ)


def test_a_complaint_is_answered_in_5_minutes_and_settled_by_midnight() -> None:
    d = tickets.deadlines("complaint", AT, None, RULES)
    assert d.answer_by == AT + timedelta(minutes=5)
    assert d.settle_by == datetime(2026, 11, 24, 0, 0, tzinfo=TZ)
    assert d.follow_up_by is None
    inquiry = tickets.deadlines("inquiry", AT, AT + timedelta(hours=1), RULES)
    assert inquiry.settle_by == AT + timedelta(days=3)
    assert inquiry.follow_up_by == AT + timedelta(hours=1, days=2)
    assert tickets.due_at("open", d) == d.answer_by
    assert tickets.due_at("answered", d) == d.settle_by
    assert tickets.due_at("followed_up", d) is None


def test_breaches_name_the_stages_done_late_or_still_late() -> None:
    d = tickets.deadlines("complaint", AT, None, RULES)
    assert tickets.breaches(d, {}, AT + timedelta(minutes=4)) == []
    assert tickets.breaches(d, {}, AT + timedelta(minutes=6)) == ["answer"]
    answered_late = {"answered": AT + timedelta(minutes=7)}
    assert tickets.breaches(d, answered_late, AT + timedelta(minutes=8)) == ["answer"]
    on_time = {"answered": AT + timedelta(minutes=2), "settled": AT + timedelta(hours=1)}
    assert tickets.breaches(d, on_time, AT + timedelta(days=5)) == []


def test_moves_go_forward_only_and_skipped_states_are_passed() -> None:
    assert tickets.check_move("open", "answered") == ["answered"]
    assert tickets.check_move("open", "settled") == ["answered", "settled"]
    for current, target, key in [
        ("answered", "open", "ticket.no_going_back"),
        ("settled", "settled", "ticket.no_going_back"),
        ("open", "closed", "ticket.bad_state"),
    ]:
        with pytest.raises(ServiceError) as exc:
            tickets.check_move(current, target)
        assert exc.value.key == key


@pytest.mark.parametrize(
    ("satisfaction", "unreachable", "key"),
    [
        (None, False, "ticket.satisfaction_needed"),
        (3, True, "ticket.follow_up_both"),
        (0, False, "ticket.satisfaction_range"),
        (6, False, "ticket.satisfaction_range"),
    ],
)
def test_a_follow_up_records_satisfaction_or_a_try(
    satisfaction: int | None, unreachable: bool, key: str
) -> None:
    with pytest.raises(ServiceError) as exc:
        tickets.check_follow_up(satisfaction, unreachable)
    assert exc.value.key == key
    tickets.check_follow_up(5, False)
    tickets.check_follow_up(None, True)


def test_follow_up_rate() -> None:
    assert tickets.follow_up_rate(0, 0) is None
    assert tickets.follow_up_rate(3, 1) == 0.75


def test_requirements_read_from_the_manifest_column() -> None:
    req = receipts.parse_requirement("signature, ID,stamp,copies=2")
    assert req == Requirement(signature=True, id_number=True, stamp=True, copies=2)
    assert receipts.parse_requirement(req.text()) == req
    assert receipts.parse_requirement("") == Requirement(False, False, False, 1)
    for bad in ("fingerprint", "copies=x", "copies=0", "copies=11"):
        with pytest.raises(receipts.RequirementError):
            receipts.parse_requirement(bad)


def test_a_receipt_is_refused_with_what_is_missing() -> None:
    req = Requirement(signature=True, id_number=True, stamp=True, copies=2)
    nothing = Signing(signature=False, id_last4=None, stamp=False, copies=1, photos=0)
    assert receipts.missing(req, nothing, proxy=True) == [
        "signature",
        "id_last4",
        "stamp",
        "copies",
        "proxy_name",
        "proxy_id_last4",
        "photo",
    ]
    full = Signing(True, "1234", True, 2, 1, proxy_name="王**", proxy_id_last4="4321")
    assert receipts.missing(req, full, proxy=True) == []
    # Only the requirement's own fields are asked: a plain receipt needs no ID, even by proxy.
    plain = Requirement()
    assert receipts.missing(plain, Signing(True, None, False, 1, 1, "李*"), proxy=True) == []
    assert receipts.missing(req, Signing(True, "12a4", True, 2, 1), proxy=False) == ["id_last4"]


def test_receipts_are_due_by_the_ladder_of_hops() -> None:
    assert [receipts.due_days(h, RULES) for h in (0, 1, 2, 3, 9)] == [10, 10, 15, 20, 20]
    assert receipts.due_at(AT, 2, RULES) == AT + timedelta(days=15)
    capped = ServiceSection(receipt_days_by_hops=[10, 15, 20, 30], receipt_latest_days=25)
    assert receipts.due_days(4, capped) == 25


def test_provinces_and_zones() -> None:
    assert provinces.province("广西壮族自治区") == "广西"
    assert provinces.province(" 湖南省 ") == "湖南"
    assert provinces.province("上海市") == "上海"
    assert provinces.province("火星") is None
    zone = [sends.zone_of(p, RULES)[1] for p in ("广东", "湖南", "浙江", "新疆维吾尔自治区")]
    assert zone == ["local", "near", "far", "remote"]
    with pytest.raises(ServiceError):
        sends.zone_of("Atlantis", RULES)


def test_prices_and_sign_deadlines() -> None:
    near = sends.rate("zto", "near", RULES.rates)
    assert (near.first_fen, near.extra_fen) == (1000, 300)
    assert [sends.price_fen(g, near) for g in (1, 1000, 1001, 2300, 3000)] == [
        1000,
        1000,
        1300,
        1600,
        1600,
    ]
    own = config_mod.parse(
        '[[service.rates]]\ncarrier = "sf"\nzone = "near"\nfirst_fen = 1500\nextra_fen = 500\n'
    ).service
    assert sends.rate("sf", "near", own.rates).first_fen == 1500
    with pytest.raises(ServiceError) as exc:
        sends.rate("zto", "near", own.rates)
    assert exc.value.key == "send.no_rate"
    for grams in (0, -5, 100_001):
        with pytest.raises(ServiceError):
            sends.price_fen(grams, near)
    assert [sends.sign_hours(z, RULES) for z in provinces.ZONES] == [24, 24, 48, 72]
    assert sends.sign_due(AT, "remote", RULES) == AT + timedelta(hours=72)
    assert sends.yuan(1605) == "16.05" and sends.yuan(5) == "0.05"


@settings(derandomize=True, max_examples=200)
@given(st.integers(1, 99_999), st.sampled_from(provinces.ZONES))
def test_a_heavier_parcel_never_costs_less(grams: int, zone: str) -> None:
    row = sends.rate("zto", zone, RULES.rates)
    assert sends.price_fen(grams + 1, row) >= sends.price_fen(grams, row) >= row.first_fen


def test_names_are_masked_to_their_first_character() -> None:
    assert sends.mask_name("张三丰") == "张**"
    assert sends.mask_name("Li") == "L*"
    assert sends.mask_name("欧阳娜娜娜娜") == "欧***"
    assert sends.mask_name("  ") is None


@pytest.mark.parametrize(
    "text",
    [
        '[service]\nhome_province = "Guangdong"',
        "[service]\nsame_day_kinds = ['rant']",
        "[service]\nreceipt_days_by_hops = [15, 10]",
        "[service]\nsign_hours_near = 80",
        '[[service.rates]]\ncarrier = "zto"\nzone = "moon"\nfirst_fen = 1\nextra_fen = 1',
    ],
)
def test_bad_service_config_names_the_key(text: str) -> None:
    with pytest.raises(ConfigError) as exc:
        config_mod.parse(text, "station.toml")
    assert "service." in str(exc.value)
