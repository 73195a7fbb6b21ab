"""Scale frame parsers (tables of real device strings), the stability tracker, fuzzing."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from edge.devices.scales import (
    PARSERS,
    UnknownProtocol,
    cas,
    parser_for,
    sics,
    toledo8217,
    toledo_continuous,
    xk3190a9,
)
from edge.devices.scales.frames import Reading, Reply
from edge.devices.scales.stability import StabilityTracker


def weights(protocol: str, data: bytes, unit: str = "kg") -> list[tuple[int | None, bool]]:
    return [
        (r.weight_g, r.stable)
        for r in parser_for(protocol, unit).feed(data)
        if isinstance(r, Reading)
    ]


# --- CAS / generic Chinese indicators ---


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"ST,GS,+  1.234kg\r\n", Reading(1234, True)),
        (b"US,GS,+  0.870kg\r\n", Reading(870, False)),
        (b"ST,NT,+  0.500kg\r\n", Reading(500, True, net=True)),
        (b"ST,GS,-  0.020kg\r\n", Reading(-20, True, negative=True)),
        (b"OL,GS,+  -----kg\r\n", Reading(None, False, overload=True)),
        (b"ST,GS,+00012.50kg\r\n", Reading(12500, True)),
        (b"ST,GS   245.6 g\r\n", Reading(246, True)),
        (b"ST,GS,   245.6 g\r\n", Reading(246, True)),
        (b"\x02ST,GS,+  1.234kg\r\n", Reading(1234, True)),
        (b"ST,GS,\x01,\xa0,+  2.000 kg\r\n", Reading(2000, True)),
        (b"ST,GS,+  2.20lb\r\n", Reading(998, True)),
        (b"ST,GS,+  0.000kg\n", Reading(0, True)),
        (b"ST,GS,+  0.250kg\r", Reading(250, True)),  # CR alone ends a line too
    ],
)
def test_cas_lines(line, expected):
    assert parser_for("cas").feed(line) == [expected]


def test_cas_resyncs_after_garbage_and_broken_lines():
    p = parser_for("cas")
    data = b"\xff\x00garbage\r\nST,GS,+  1.2" + b"ST,GS,+  1.234kg\r\nST,GS,+ abc kg\r\n"
    assert [r.weight_g for r in p.feed(data)] == [1234]
    assert p.errors == 2


def test_cas_frames_split_across_reads():
    p = parser_for("cas")
    line = cas.frame(4321)
    assert p.feed(line[:7]) == [] and p.feed(line[7:]) == [Reading(4321, True)]


# --- Toledo 8217 ---


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x0201.234\r", Reading(1234, True)),
        (b"\x02001.23\r", Reading(1230, True)),
        (b"\x02?\x61\r", Reading(None, False)),  # motion
        (b"\x02?\x62\r", Reading(None, True, overload=True)),
        (b"\x02?\x64\r", Reading(None, True, underload=True)),
        (b"\x02?\xe1\r", Reading(None, False)),  # parity bit set (7E1 read as 8N1)
        (
            bytes(b | 0x80 if bin(b).count("1") % 2 else b for b in b"\x0200.500\r"),
            Reading(500, True),
        ),
    ],
)
def test_toledo8217_frames(data, expected):
    assert parser_for("toledo8217").feed(data) == [expected]


def test_toledo8217_lb_unit_and_broken_frames():
    assert weights("toledo8217", b"\x02002.20\r", unit="lb") == [(998, True)]
    p = parser_for("toledo8217")
    assert p.feed(b"\x0201.2\x0201.500\r\x02?\x01\r\x02XY\r") == [Reading(1500, True)]
    assert p.errors == 3


# --- MT-SICS ---


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"S S      1.234 kg\r\n", Reading(1234, True)),
        (b"S D      0.200 kg\r\n", Reading(200, False)),
        (b"S S     -0.010 kg\r\n", Reading(-10, True, negative=True)),
        (b"S S    123.45 g\r\n", Reading(123, True)),
        (b"S +\r\n", Reading(None, False, overload=True)),
        (b"S -\r\n", Reading(None, False, underload=True)),
        (b"T S      0.150 kg\r\n", Reply("tare", True, "T S      0.150 kg")),
        (b"Z A\r\n", Reply("zero", True, "Z A")),
        (b"Z I\r\n", Reply("zero", False, "busy or not stable")),
        (b"T +\r\n", Reply("tare", False, "above range")),
    ],
)
def test_sics_answers(line, expected):
    assert parser_for("sics").feed(line) == [expected]


def test_sics_errors_are_not_weights():
    p = parser_for("sics")
    assert p.feed(b"S I\r\nES\r\nEL\r\nS S 1.0 furlong\r\n") == []
    assert p.errors == 4 and "unit" in p.last_error


# --- Toledo continuous ---


def test_toledo_continuous_with_checksum():
    frame = toledo_continuous.frame(1234)
    assert len(frame) == 18 and frame[16] == 0x0D
    assert sum(b & 0x7F for b in frame) & 0x7F == 0  # the checksum definition
    assert weights("toledo_continuous", frame * 2) == [(1234, True), (1234, True)]


def test_toledo_continuous_status_words():
    p = parser_for("toledo_continuous")
    frames = (
        toledo_continuous.frame(500, stable=False)
        + toledo_continuous.frame(-250, net=True)
        + toledo_continuous.frame(0, out_of_range=True)
    )
    assert p.feed(frames) == [
        Reading(500, False),
        Reading(-250, True, negative=True, net=True),
        Reading(None, False, overload=True),
    ]


def test_toledo_continuous_decimal_point_and_units():
    # SWA 0x22: no decimal; SWB 0x30: kg; 001234 -> 1234 kg
    body = b"\x02\x22\x30\x20001234000000\r"
    assert weights("toledo_continuous", body + bytes([toledo_continuous.checksum(body)])) == [
        (1234000, True)
    ]
    # SWA 0x24: two decimals; SWB 0x20: lb; 000220 -> 2.20 lb
    body = b"\x02\x24\x20\x20000220000000\r"
    assert weights("toledo_continuous", body + bytes([toledo_continuous.checksum(body)])) == [
        (998, True)
    ]


def test_toledo_continuous_bad_checksum_is_dropped_once_checksums_were_seen():
    good = toledo_continuous.frame(1000)
    bad = bytearray(toledo_continuous.frame(2000))
    bad[-1] ^= 0x01
    p = parser_for("toledo_continuous")
    assert [r.weight_g for r in p.feed(good + bytes(bad) + good)] == [1000, 1000]
    assert p.errors >= 1


def test_toledo_continuous_without_checksum():
    frames = b"".join(toledo_continuous.frame(w, with_checksum=False) for w in (10, 20, 30))
    assert [w for w, _ in weights("toledo_continuous", frames)] == [10, 20, 30]


def test_toledo_continuous_parity_bits_are_ignored():
    frame = bytes(b | 0x80 for b in toledo_continuous.frame(777))
    assert weights("toledo_continuous", frame) == [(777, True)]


# --- Yaohua XK3190-A9 ---


def test_xk3190a9_reference_frame():
    # +20.00 kg: 02 '+' '002000' '2' XOR=0x1B -> '1' 'B' 03
    frame = bytes.fromhex("022b30303230303032314203")
    assert xk3190a9.frame(20000, places=2) == frame
    assert weights("xk3190a9", frame) == [(20000, True)]


@pytest.mark.parametrize(("weight", "places"), [(0, 3), (1234, 3), (-560, 2), (15000, 0)])
def test_xk3190a9_round_trip(weight, places):
    assert weights("xk3190a9", xk3190a9.frame(weight, places=places)) == [(weight, True)]


def test_xk3190a9_checksum_as_0x30_plus_nibble_is_accepted():
    frame = bytearray(xk3190a9.frame(20000, places=2))
    frame[10] = 0x30 + 0x0B  # ';' instead of 'B'
    assert weights("xk3190a9", bytes(frame)) == [(20000, True)]


def test_xk3190a9_bad_checksum_and_resync():
    bad = bytearray(xk3190a9.frame(1000))
    bad[5] = ord("9")
    p = parser_for("xk3190a9")
    data = b"\x01\x02" + bytes(bad) + b"\x02+00" + xk3190a9.frame(1500)
    assert [r.weight_g for r in p.feed(data)] == [1500]
    assert p.errors >= 2


def test_unknown_protocol_names_the_known_ones():
    with pytest.raises(UnknownProtocol, match="known: cas, toledo8217"):
        parser_for("adam")


# --- stability ---


def test_swinging_scale_becomes_stable_only_after_n_equal_readings():
    tracker = StabilityTracker(readings=3, window_s=1.0)
    swing = [(1100, False), (980, False), (1010, True), (1000, True), (1000, True)]
    verdicts = [tracker.update(Reading(w, s), 0.1 * i) for i, (w, s) in enumerate(swing)]
    assert verdicts == [False] * 5
    assert tracker.update(Reading(1000, True), 0.5) is True
    assert tracker.stable is not None and tracker.stable.weight_g == 1000


def test_equal_readings_must_fall_within_the_window():
    tracker = StabilityTracker(readings=3, window_s=0.5)
    assert [tracker.update(Reading(800, True), t) for t in (0.0, 0.4, 0.8, 1.2)] == [False] * 4
    assert tracker.update(Reading(800, True), 1.35) is False
    assert tracker.update(Reading(800, True), 1.4) is True  # 1.2, 1.35, 1.4


def test_overload_and_out_of_range_are_never_stable():
    tracker = StabilityTracker(readings=1, window_s=1.0, max_weight_g=30000)
    assert tracker.update(Reading(None, False, overload=True), 0) is False
    assert tracker.update(Reading(31000, True), 0.1) is False
    assert tracker.update(Reading(29000, True), 0.2) is True


def test_weight_for_scan_only_fresh_positive_stable():
    tracker = StabilityTracker(readings=2, window_s=1.0)
    tracker.update(Reading(1500, True), 10.0)
    assert tracker.weight_for_scan(10.0, 3.0) is None  # not stable yet
    tracker.update(Reading(1500, True), 10.1)
    tracker.update(Reading(1400, False), 10.2)  # lifted off: the stable weight remains
    assert tracker.weight_for_scan(12.0, 3.0) == 1500
    assert tracker.weight_for_scan(13.2, 3.0) is None  # older than T
    tracker.update(Reading(0, True), 14.0)
    tracker.update(Reading(0, True), 14.1)
    assert tracker.weight_for_scan(14.2, 3.0) is None  # zero is not a parcel


# --- fuzzing: no exception escapes, garbage never yields a weight ---


@settings(max_examples=300, deadline=None)
@given(
    protocol=st.sampled_from(sorted(PARSERS)), chunks=st.lists(st.binary(max_size=64), max_size=20)
)
def test_fuzz_random_bytes_never_yield_a_weight(protocol, chunks):
    data = b"".join(chunks)
    # a random string may by chance be a valid plain-text frame; those are not garbage
    assume(not any(h in data for h in (b"ST,", b"US,", b"S S", b"S D")))
    p = parser_for(protocol)
    out = []
    for chunk in chunks:
        out += p.feed(chunk)
    assert all(r.weight_g is None for r in out if isinstance(r, Reading))


_GOOD = {
    "cas": cas.frame(1234),
    "toledo8217": toledo8217.weight_frame(1234),
    "sics": sics.weight_line(1234),
    "toledo_continuous": toledo_continuous.frame(1234),
    "xk3190a9": xk3190a9.frame(1234),
}


@settings(max_examples=300, deadline=None)
@given(protocol=st.sampled_from(sorted(PARSERS)), data=st.data())
def test_fuzz_corrupted_frames_never_yield_a_wrong_weight(protocol, data):
    frame = bytearray(_GOOD[protocol])
    flips = data.draw(
        st.lists(
            st.tuples(st.integers(0, len(frame) - 1), st.integers(1, 255)), min_size=1, max_size=3
        )
    )
    for index, mask in flips:
        frame[index] ^= mask
    noise = data.draw(st.binary(max_size=20))
    p = parser_for(protocol)
    # a damaged line end may swallow the next line: a second good frame always survives
    out = p.feed(noise + bytes(frame) + _GOOD[protocol] * 2)
    readings = [r for r in out if isinstance(r, Reading) and r.weight_g is not None]
    # the good frame after the damage is always read; checksummed protocols never accept
    # a corrupted weight
    assert readings and readings[-1].weight_g == 1234
    if protocol in ("toledo_continuous", "xk3190a9"):
        assert all(r.weight_g == 1234 for r in readings)


def test_more_field_variants():
    assert parser_for("cas").feed(b"ST,GS,  1.234,kg\r\n") == [Reading(1234, True)]
    assert parser_for("toledo8217").feed(b"\x02 01.234N\r") == [Reading(1234, True, net=True)]
    body = b"\x02\x22\x30\x21000123000000\r"  # no decimals; SWC unit code 1: grams
    assert weights("toledo_continuous", body + bytes([toledo_continuous.checksum(body)])) == [
        (123, True)
    ]
