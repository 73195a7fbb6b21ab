"""Record and replay: the JSON-lines format, virtual time, the CLI commands."""

from __future__ import annotations

import io
import json
import threading
import time

import pytest

from edge import cli
from edge.devices.recording import BadRecording, record_input, replay
from edge.devices.scales import cas, xk3190a9
from edge.devices.simulate import FakeInputDevice, Typist, key_events
from tests.devices_fixtures import K, press


def evdev_recording(parts, layout="us"):
    """A recording: header, then (text, terminator, pause after) typed 3 ms per event."""
    lines = [json.dumps({"kind": "evdev", "name": "Honeywell 1450g", "layout": layout})]
    t = 0.0
    for chunk_list, pause in parts:
        for chunk in chunk_list:
            for type_, code, value in chunk:
                lines.append(
                    json.dumps({"t": round(t, 6), "type": type_, "code": code, "value": value})
                )
                t += 0.003 if type_ == K.EV_KEY else 0
        t += pause
    return lines


def test_replay_decodes_with_the_recorded_timing():
    lines = evdev_recording(
        [
            (key_events("]C10109501101530003\x1d10ABC"), 0.05),
            (key_events("SF1234567890123", enter=None), 0.5),  # no terminator: idle gap ends it
            (key_events("YT9876543210987", enter=None), 0.0),  # ends with the recording
        ]
    )
    assert list(replay(lines)) == [
        {"barcode": "0109501101530003\x1d10ABC", "aim": "]C1"},
        {"barcode": "SF1234567890123", "aim": None},
        {"barcode": "YT9876543210987", "aim": None},
    ]


def test_replay_gap_shorter_than_idle_joins_codes():
    lines = evdev_recording(
        [
            (key_events("ABCD", enter=None), 0.05),
            (key_events("EFGH", enter=None), 0.0),
        ]
    )
    assert [r["barcode"] for r in replay(lines)] == ["ABCDEFGH"]


def test_layout_from_header_or_option():
    lines = evdev_recording(
        [([press(K.KEY_Y, K.KEY_Z, K.KEY_1, K.KEY_2, K.KEY_ENTER)], 0)], layout="de"
    )
    assert [r["barcode"] for r in replay(lines)] == ["zy12"]
    assert [r["barcode"] for r in replay(lines, layout="us")] == ["yz12"]


def test_serial_replay_reports_stability_on_the_recorded_clock():
    frames = [cas.frame(1234, stable=False)] + [cas.frame(1234)] * 3
    lines = [json.dumps({"kind": "serial", "protocol": "cas", "baud": 9600})]
    lines += [json.dumps({"t": 0.1 * i, "rx": f.hex()}) for i, f in enumerate(frames)]
    lines.append(json.dumps({"t": 0.5, "tx": "57"}))
    assert list(replay(lines)) == [
        {"weight_g": 1234, "stable": False},
        {"weight_g": 1234, "stable": False},
        {"weight_g": 1234, "stable": False},
        {"weight_g": 1234, "stable": True},
    ]


def test_serial_replay_with_bytes_split_anywhere():
    data = b"".join(xk3190a9.frame(w) for w in (500, 500, 500, 500))
    lines = [json.dumps({"kind": "serial", "protocol": "xk3190a9", "baud": 9600})]
    lines += [
        json.dumps({"t": i * 0.01, "rx": data[i : i + 5].hex()}) for i in range(0, len(data), 5)
    ]
    assert [r["stable"] for r in replay(lines)] == [False, False, True, True]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "first line"),
        (['{"kind":"tape"}'], "unknown recording kind"),
        (['{"kind":"evdev","name":"x","layout":"us"}', '{"type":1}'], "line 2"),
        (['{"kind":"serial","protocol":"cas","baud":9600}', '{"t":0,"rx":"zz"}'], "not hex"),
    ],
)
def test_bad_recordings_say_where(lines, message):
    with pytest.raises(BadRecording, match=message):
        list(replay(lines))


def test_record_input_writes_the_exact_format():
    device = FakeInputDevice("/sim/input/event9", name="Zebra DS2208")
    out = io.StringIO()
    stop = threading.Event()
    recorder = threading.Thread(target=record_input, args=(device, out, "us", stop.is_set))
    recorder.start()
    Typist(device).type("SF1234567890123")
    time.sleep(0.3)
    stop.set()
    recorder.join()
    device.close()
    lines = out.getvalue().splitlines()
    assert lines[0] == '{"kind":"evdev","name":"Zebra DS2208","layout":"us"}'
    first = json.loads(lines[1])
    assert set(first) == {"t", "type", "code", "value"} and first["t"] == 0
    assert list(replay(lines)) == [{"barcode": "SF1234567890123", "aim": None}]


def test_cli_replay_json(tmp_path, capsys):
    path = tmp_path / "gun.jsonl"
    path.write_text("\n".join(evdev_recording([(key_events("]E09780201379629"), 0)])) + "\n")
    assert cli.main(["--data", str(tmp_path), "devices", "replay", str(path), "--json"]) == 0
    assert capsys.readouterr().out == '{"barcode":"9780201379629","aim":"]E0"}\n'
    assert cli.main(["--data", str(tmp_path), "devices", "replay", str(path)]) == 0
    assert "9780201379629" in capsys.readouterr().out


def test_cli_replay_of_a_broken_file_fails_with_a_message(tmp_path, capsys):
    path = tmp_path / "bad.jsonl"
    path.write_text("not json\n")
    assert cli.main(["--data", str(tmp_path), "devices", "replay", str(path)]) == 1
    assert "JSON header" in capsys.readouterr().err


def test_cli_devices_lists_what_it_can_see(tmp_path, capsys):
    assert cli.main(["--data", str(tmp_path), "devices"]) == 0
    out = capsys.readouterr().out
    assert "Input devices" in out and "Serial ports" in out


def test_cli_scale_tare_without_a_running_scanner_says_so(tmp_path, capsys):
    assert cli.main(["--data", str(tmp_path), "init"]) == 0
    capsys.readouterr()
    args = ["--data", str(tmp_path), "scale", "tare", "scale-1", "--wait", "0.2"]
    assert cli.main(args) == 1
    assert "Is `station scanner` running?" in capsys.readouterr().err
