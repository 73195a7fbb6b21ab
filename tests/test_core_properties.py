"""No input string crashes the rules, and every answer carries a message."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge import barcode
from edge import config as config_mod
from edge.messages import Message
from edge.station import Desk, Station
from edge.store import Store
from tests.conftest import SMALL_CONFIG, ManualClock

codes = st.one_of(
    st.text(max_size=200),
    st.text(alphabet="0123456789ABCDEFGHJKLMNPQRSTUVWXYZ-:]\x1d\r\n\t ", max_size=60),
    st.sampled_from(
        [
            "MODE:SIGN",
            "UNDO",
            "OP:OUT",
            "]C100376130321109103420",
            "SF1234567890123",
            "]00\x1d0",
            "CARRIER:J&T",
            "CARRIER:ZTO",
            "CARRIER:",
            "PROBLEM:DAMAGED",
            "6901234567892",
            "]E01234567890128",
            "hello1234",
            "1234567890123",
            "1Z999AA10123456784",
        ]
    ),
)


@given(codes)
def test_normalise_and_commands_never_crash(raw: str) -> None:
    result = barcode.normalise(raw)
    if isinstance(result, Message):
        assert result.zh and result.en
    else:
        assert result.text and result.text == result.text.strip()
        command = barcode.parse_command(result.text)
        if isinstance(command, Message):
            assert command.zh and command.en


@settings(max_examples=300)
@given(st.lists(st.tuples(st.sampled_from(barcode.SCAN_TYPES), codes), max_size=8))
def test_station_answers_every_code_with_a_message(reads: list) -> None:
    clock = ManualClock()
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "p.db", create=True) as store:
        station = Station(store, config_mod.parse(SMALL_CONFIG), clock)
        for kind, raw in reads:
            out = station.read(raw, Desk("fuzz", mode=kind))
            assert out.status in ("accepted", "duplicate", "refused")
            assert out.message_zh and out.message_en
            assert (out.event_id is None) or out.status == "accepted"
            clock.advance(0.5)


def test_the_ci_profile_is_deterministic() -> None:
    current = settings.default
    assert current.derandomize and current.database is None


@pytest.mark.parametrize("raw", ["]00\x1d0", "]00\x1d0123", "]C1\x1d01234", "]e0019999"])
def test_gs1_data_the_parser_refuses_gets_an_answer(station: Station, raw: str) -> None:
    out = station.read(raw, Desk("gun"))
    assert out.status == "refused" and out.message_key == "not_waybill"
    assert out.read_id is not None


def test_an_unexpected_error_still_answers_the_gun(
    station: Station, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kw: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(barcode, "parse_command", broken)
    out = station.read("SF1234567890123", Desk("gun"))
    assert (out.status, out.message_zh) == ("refused", "读取出错，请重扫")
    assert out.read_id is not None  # journalled, so the page shows it too
    assert "SF1234567890123" in caplog.text
