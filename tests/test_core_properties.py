"""No input string crashes the rules, and every answer carries a message."""

from __future__ import annotations

import tempfile
from pathlib import Path

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
    st.sampled_from(["MODE:SIGN", "UNDO", "OP:OUT", "]C100376130321109103420", "SF1234567890123"]),
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
