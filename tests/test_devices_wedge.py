"""Keystroke decoding with real evdev.InputEvent objects, from realistic sequences."""

from __future__ import annotations

import pytest
from evdev import InputEvent
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.devices.keymaps import LAYOUTS, UnknownLayout, keymap
from edge.devices.wedge import Barcode, Rejected, WedgeDecoder, WedgeSettings, alt_code_char
from tests.devices_fixtures import SYN, K, events, press, typed


def decode(pairs, decoder=None, flush=True):
    decoder = decoder or WedgeDecoder()
    out = []
    for event, t in pairs:
        out += decoder.feed(event, t)
    if flush and pairs:
        out += decoder.poll(pairs[-1][1] + 10)
    return out


def codes(results):
    return [r.text for r in results if isinstance(r, Barcode)]


@pytest.mark.parametrize(
    "text",
    [
        "SF1234567890123",
        "JT3012345678901",
        "ab-CD_ef.gh/12:34",
        "1Z999AA10123456784",
        'a!@#$%^&*()_+{}|:"<>?~b',
        "RB123456785GB",
    ],
)
def test_round_trip_of_printable_codes(text):
    results = decode(typed(text))
    assert codes(results) == [text]
    assert results[0].ended_by == "enter"


def test_shift_applies_only_while_held():
    seq = [(K.EV_KEY, K.KEY_LEFTSHIFT, 1), SYN, *press(K.KEY_S, K.KEY_F)]
    seq += [(K.EV_KEY, K.KEY_LEFTSHIFT, 0), SYN, *press(K.KEY_1, K.KEY_2, K.KEY_ENTER)]
    assert codes(decode(events(seq))) == ["SF12"]


def test_capslock_is_tracked_by_us_and_inverts_shift_for_letters_only():
    seq = press(K.KEY_CAPSLOCK, K.KEY_A, K.KEY_B, K.KEY_1)
    seq += [(K.EV_KEY, K.KEY_RIGHTSHIFT, 1), *press(K.KEY_C, K.KEY_1)]
    seq += [(K.EV_KEY, K.KEY_RIGHTSHIFT, 0), *press(K.KEY_CAPSLOCK, K.KEY_D, K.KEY_ENTER)]
    decoder = WedgeDecoder()
    assert codes(decode(events(seq), decoder)) == ["AB1c!d"]
    assert decoder.capslock is False


def test_alt_numpad_types_gs_and_latin1():
    # ]C1 + 01 09501101530003 + GS (Alt+029) + 10 ABC + é via Alt+0233 (code page 1252)
    seq = []
    for char in "]C10109501101530003":
        seq += [e for e in typed(char, enter=None)]
    raw = [(e.type, e.code, e.value) for e, _ in seq]
    raw += [(K.EV_KEY, K.KEY_LEFTALT, 1), *press(K.KEY_KP0, K.KEY_KP2, K.KEY_KP9)]
    raw += [(K.EV_KEY, K.KEY_LEFTALT, 0), SYN]
    raw += [(e.type, e.code, e.value) for e, _ in typed("10ABC", enter=None)]
    raw += [(K.EV_KEY, K.KEY_LEFTALT, 1), *press(K.KEY_KP0, K.KEY_KP2, K.KEY_KP3, K.KEY_KP3)]
    raw += [(K.EV_KEY, K.KEY_LEFTALT, 0), SYN, *press(K.KEY_ENTER)]
    results = decode(events(raw))
    assert codes(results) == ["]C10109501101530003\x1d10ABCé"]
    assert results[0].aim == "]C1"
    assert results[0].data == "0109501101530003\x1d10ABCé"


def test_alt_code_pages_follow_windows():
    assert alt_code_char("29") == "\x1d"
    assert alt_code_char("0233") == "é"  # cp1252 with a leading zero
    assert alt_code_char("130") == "é"  # cp437 without
    assert alt_code_char("321") == "A"  # wraps at 256


def test_ctrl_bracket_is_gs():
    seq = [*press(K.KEY_A, K.KEY_B), (K.EV_KEY, K.KEY_LEFTCTRL, 1), *press(K.KEY_RIGHTBRACE)]
    seq += [(K.EV_KEY, K.KEY_LEFTCTRL, 0), *press(K.KEY_C, K.KEY_D, K.KEY_ENTER)]
    assert codes(decode(events(seq))) == ["ab\x1dcd"]


def test_auto_repeat_and_key_up_type_nothing():
    seq = [(K.EV_KEY, K.KEY_1, 1), (K.EV_KEY, K.KEY_1, 2), (K.EV_KEY, K.KEY_1, 2)]
    seq += [(K.EV_KEY, K.KEY_1, 0), *press(K.KEY_2, K.KEY_3, K.KEY_4, K.KEY_ENTER)]
    assert codes(decode(events(seq))) == ["1234"]


def test_missing_terminator_is_ended_by_the_idle_gap():
    decoder = WedgeDecoder()
    first = typed("ABCD1234", enter=None, start=10.0)
    second = typed("EFGH5678", enter=None, start=10.5)  # 0.5 s later: a new code
    out = decode(first, decoder, flush=False)
    assert out == []  # still within the gap
    last_down = max(t for ev, t in first if ev.value == 1)
    assert decoder.poll(last_down + 0.09) == []
    out = decode(second, decoder, flush=False)
    assert codes(out) == ["ABCD1234"] and out[0].ended_by == "idle"
    out = decoder.poll(second[-1][1] + 0.1)
    assert codes(out) == ["EFGH5678"]


def test_slow_typing_within_the_gap_stays_one_code():
    assert codes(decode(typed("SLOW1234", step=0.02))) == ["SLOW1234"]


def test_idle_gap_can_be_disabled():
    decoder = WedgeDecoder(WedgeSettings(idle_gap_s=0))
    assert decode(typed("ABCD", enter=None), decoder) == []
    assert decoder.pending


@pytest.mark.parametrize(
    ("terminator", "key"), [("enter", K.KEY_ENTER), ("kpenter", K.KEY_KPENTER), ("tab", K.KEY_TAB)]
)
def test_each_terminator(terminator, key):
    results = decode(events(press(K.KEY_A, K.KEY_B, K.KEY_C, K.KEY_D, key)), flush=False)
    assert codes(results) == ["abcd"] and results[0].ended_by == terminator


def test_tab_is_a_character_when_not_a_terminator():
    decoder = WedgeDecoder(WedgeSettings(terminators=("enter",)))
    seq = press(K.KEY_A, K.KEY_TAB, K.KEY_B, K.KEY_ENTER)
    assert codes(decode(events(seq), decoder)) == ["a\tb"]


def test_syn_dropped_discards_the_partial_code_its_tail_and_modifiers():
    decoder = WedgeDecoder()
    seq = [(K.EV_KEY, K.KEY_LEFTSHIFT, 1), *press(K.KEY_A, K.KEY_B)]
    seq += [(K.EV_SYN, K.SYN_DROPPED, 0), (K.EV_KEY, K.KEY_C, 1), SYN]
    seq += press(K.KEY_D, K.KEY_E, K.KEY_F, K.KEY_G, K.KEY_ENTER)  # the rest of that code
    results = decode(events(seq), decoder, flush=False)
    assert results == [Rejected("AB", "SYN_DROPPED")]
    # the next scan is read, and Shift (held when events were lost) was forgotten
    later = events(press(K.KEY_W, K.KEY_X, K.KEY_Y, K.KEY_Z, K.KEY_ENTER), start=200.0)
    assert codes(decode(later, decoder)) == ["wxyz"]


def test_syn_dropped_tail_without_terminator_ends_at_the_idle_gap():
    decoder = WedgeDecoder()
    first = typed("SF1234", enter=None, start=1.0)
    decode(first, decoder, flush=False)
    drop = first[-1][1]
    decoder.feed(InputEvent(1, 0, K.EV_SYN, K.SYN_DROPPED, 0), drop)
    tail = typed("567890", enter=None, start=drop + 0.003)
    assert decode(tail, decoder) == []
    assert codes(decode(typed("YT9876543210987", start=5.0), decoder)) == ["YT9876543210987"]


def test_two_guns_interleaved_keep_their_own_state():
    a, b = WedgeDecoder(), WedgeDecoder()
    left = typed("AAAA1111", start=1.0, step=0.003)
    right = typed("bbbb2222", start=1.0015, step=0.003)
    merged = sorted(
        [(ev, t, a) for ev, t in left] + [(ev, t, b) for ev, t in right], key=lambda x: x[1]
    )
    out = {id(a): [], id(b): []}
    for ev, t, decoder in merged:
        out[id(decoder)] += decoder.feed(ev, t)
    assert codes(out[id(a)]) == ["AAAA1111"]
    assert codes(out[id(b)]) == ["bbbb2222"]


def test_unplug_mid_code_discards_it():
    decoder = WedgeDecoder()
    decode(typed("HALFCODE", enter=None), decoder, flush=False)
    assert decoder.reset("device lost") == [Rejected("HALFCODE", "device lost")]
    assert decoder.poll(1e9) == []


def test_min_and_max_length_ignore_the_aim_prefix():
    decoder = WedgeDecoder(WedgeSettings(min_length=4, max_length=6))
    assert isinstance(decode(typed("]C1abc"), decoder)[0], Rejected)
    assert codes(decode(typed("]C1abcd"), decoder)) == ["]C1abcd"]
    assert codes(decode(typed("abcdef"), decoder)) == ["abcdef"]
    over = decode(typed("abcdefghijklmnop"), decoder)
    assert codes(over) == [] and isinstance(over[0], Rejected)
    assert codes(decode(typed("QRST"), decoder)) == ["qrst".upper()]


def test_german_layout_swaps_y_and_z():
    decoder = WedgeDecoder(WedgeSettings(layout="de"))
    assert codes(decode(events(press(K.KEY_Y, K.KEY_Z, K.KEY_MINUS, K.KEY_ENTER)), decoder)) == [
        "zyß"
    ]


def test_layouts_are_tables_with_a_clear_error():
    assert set(LAYOUTS) >= {"us", "de", "fr", "uk"}
    assert keymap("fr")[K.KEY_Q].plain == "a"
    with pytest.raises(UnknownLayout, match="known: de, fr, uk, us"):
        keymap("xx")


_EVENT_TYPES = st.sampled_from([K.EV_KEY, K.EV_KEY, K.EV_KEY, K.EV_SYN, K.EV_MSC, K.EV_LED])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(_EVENT_TYPES, st.integers(0, 300), st.integers(-1, 3), st.floats(0, 0.5)),
        max_size=200,
    )
)
def test_fuzz_any_event_stream_decodes_without_exceptions(stream):
    decoder = WedgeDecoder(WedgeSettings(min_length=1, max_length=50))
    t = 0.0
    for type_, code, value, gap in stream:
        t += gap
        for result in decoder.feed(InputEvent(int(t), 0, type_, code, value), t):
            assert isinstance(result, Barcode | Rejected)
            if isinstance(result, Barcode):
                assert 1 <= len(result.data) <= 50
    decoder.poll(t + 1)
    assert decoder.deadline() is None
