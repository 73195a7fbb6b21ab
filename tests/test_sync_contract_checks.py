"""The per-scan checks take fast paths for the common well-formed scan; these pin that
every path still answers as the contract says, field by field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.contract import parse_rfc3339, scan_problem
from sync.headoffice.rows import utc_key
from tests.sync_fixtures import a_scan


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({}, None),
        ({"operator": "张三", "shelf": "货架-3", "note": "易碎"}, None),
        ({"carrier": None, "operator": None, "shelf": None, "pickup_code": None}, None),
        ({"carrier": "SF"}, "carrier: not of the expected form"),
        ({"carrier": "x" * 33}, "carrier: not of the expected form"),
        ({"carrier": 7}, "carrier: expected a string or null"),
        ({"operator": ""}, "operator: expected 1 to 64 characters"),
        ({"shelf": "s" * 65}, "shelf: expected 1 to 64 characters"),
        ({"pickup_code": "码" * 65}, "pickup_code: expected 1 to 64 characters"),
        ({"operator": "op\ud800"}, "operator: not valid Unicode text"),
        ({"pickup_code": 1045}, "pickup_code: expected a string or null"),
        ({"seq": True}, "seq: expected a positive integer"),
        ({"seq": 0}, "seq: expected a positive integer"),
        ({"seq": 2**63}, "seq: expected a positive integer"),
        ({"weight_g": False}, "weight_g: expected grams from 1 to 1000000 or null"),
        ({"phone_last4": "567"}, "phone_last4: expected the last 4 digits or null"),
        ({"phone_last4": "５６７８"}, "phone_last4: expected the last 4 digits or null"),
        ({"photos": ["A" * 64]}, "photos: expected lowercase hex SHA-256 hashes"),
        ({"photos": "a" * 64}, "photos: expected a list of at most 20 SHA-256 hashes"),
        ({"scanned_at": "2026-11-22T09:15:02"}, "scanned_at: expected RFC 3339 with an offset"),
        (
            {"scanned_at": "0001-01-01T00:00:00+01:00"},
            "scanned_at: expected RFC 3339 with an offset",
        ),
    ],
)
def test_each_field_is_still_checked(fields: dict[str, Any], problem: str | None) -> None:
    assert scan_problem(a_scan() | fields) == problem


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("synced", 1, "clock.synced: expected true or false"),
        ("boot_id", "", "clock.boot_id: expected a string"),
        ("boot_id", "b\udfff", "clock.boot_id: not valid Unicode text"),
        ("mono_ns", -1, "clock.mono_ns: expected an integer of 0 or more"),
        ("mono_ns", True, "clock.mono_ns: expected an integer of 0 or more"),
    ],
)
def test_the_clock_is_still_checked(key: str, value: Any, problem: str) -> None:
    scan = a_scan(5)
    scan["clock"] = scan["clock"] | {key: value}
    assert scan_problem(scan) == problem


def _rebuilt(moment: datetime, sep: str, digits: int, extra: str, zulu: str) -> str:
    """``moment`` written the many ways RFC 3339 allows."""
    text = moment.strftime(f"%Y-%m-%d{sep}%H:%M:%S")
    if digits:
        text += "." + f"{moment.microsecond:06d}"[:digits] + extra
    offset = moment.utcoffset() or timedelta()
    if not offset and zulu:
        return text + zulu
    sign, minutes = ("-", -offset) if offset < timedelta() else ("+", offset)
    hours, rest = divmod(int(minutes.total_seconds()) // 60, 60)
    return f"{text}{sign}{hours:02d}:{rest:02d}"


@given(
    moment=st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9998, 12, 30)).map(
        lambda d: d.replace(microsecond=d.microsecond)
    ),
    minutes=st.integers(-23 * 60 - 59, 23 * 60 + 59),
    sep=st.sampled_from(["T", "t", " "]),
    digits=st.sampled_from([0, 1, 3, 5, 6]),
    extra=st.sampled_from(["", "9", "999"]),
    zulu=st.sampled_from(["", "Z", "z"]),
)
def test_every_form_of_a_time_reads_as_the_same_moment(
    moment: datetime, minutes: int, sep: str, digits: int, extra: str, zulu: str
) -> None:
    aware = moment.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    text = _rebuilt(aware, sep, digits, extra if digits == 6 else "", zulu)
    truncated = aware.replace(
        microsecond=int(f"{aware.microsecond:06d}"[:digits] or 0) * 10 ** (6 - digits)
    )
    parsed = parse_rfc3339(text)
    assert parsed == truncated
    assert utc_key(text) == truncated.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
