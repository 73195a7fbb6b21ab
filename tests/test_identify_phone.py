"""A mobile number scanned at receive is refused: 这是手机号，请扫面单上的运单号."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from edge.carriers import recognise
from edge.identify import Identified, identify
from edge.messages import Message
from edge.station import ScanRequest, Station
from edge.store import Store

PHONE_ZH = "这是手机号，请扫面单上的运单号"
PHONE_EN = "This is a phone number: scan the waybill number on the label"


# (code, batch carrier, refused as a phone)
TABLE = [
    ("13800138000", None, True),
    ("19912345678", None, True),
    ("15012345678", None, True),
    ("]C013800138000", None, True),  # the gun's AIM prefix (Code 128) in front
    ("13800138000", "zto", True),  # ZTO has no 11-digit numbers
    ("13800138000", "yunda", True),
    ("13800138000", "deppon", True),
    ("13800138000", "jtexpress", True),
    # JD's old 11-digit numbers can look like a mobile: a real one, with a JD batch.
    ("17309087617", "jd", False),
    ("13800138000", "jd", False),
    # DHL's 11 digits carry a mod 7 check digit: a number passing it, and one failing.
    ("13800138004", "dhl", False),
    ("13800138000", "dhl", True),
    # Not a mobile: 1 then 0-2, other lengths.
    ("12345678901", None, False),
    ("10012345678", None, False),
    ("1380013800", None, False),
    ("138001380001", None, False),
]


@pytest.mark.parametrize(("code", "batch", "refused"), TABLE)
def test_a_mobile_number_is_not_a_waybill_at_receive(
    code: str, batch: str | None, refused: bool
) -> None:
    found = identify(code, "receive", batch)
    if refused:
        assert isinstance(found, Message) and found.key == "phone_number"
        assert (found.zh, found.en) == (PHONE_ZH, PHONE_EN)
        assert found.params["masked"].count("*") == 4
    else:
        assert not (isinstance(found, Message) and found.key == "phone_number")


@pytest.mark.parametrize("scan_type", ["dispatch", "sign", "problem", "stocktake"])
def test_only_receive_refuses_a_phone(scan_type: str) -> None:
    # Elsewhere the number is looked up among the parcels, which a phone never matches.
    assert isinstance(identify("13800138000", scan_type, None), Identified)


@pytest.mark.parametrize("phone", ["13812345678", "13800138000", "19912345678"])
def test_a_phone_has_no_carrier_candidate_without_a_batch(phone: str) -> None:
    # Elsewhere than receive (a return batch, say) a number no carrier's format claims
    # is no stray parcel: a mobile number must not pick up a JD candidate.
    assert "jd" not in recognise(phone).carriers


def test_the_refusal_keeps_only_the_masked_number(
    station: Station, store: Store, tmp_path: Path
) -> None:
    out = station.scan(ScanRequest(type="receive", code="13800138000", device="d1"))
    assert (out.status, out.message_key, out.message_zh) == ("refused", "phone_number", PHONE_ZH)
    assert out.pickup_code is None and out.shelf is None
    assert store.parcel("13800138000") is None
    with sqlite3.connect(tmp_path / "station.db") as db:
        dump = "\n".join(db.iterdump())
    assert "138****8000" in dump
    assert "13800138000" not in dump
