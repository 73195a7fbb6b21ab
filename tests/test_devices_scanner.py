"""The scanning loop end to end: simulated guns at the evdev boundary (real fds, real
InputEvents), simulated scales on ptys, the real scan core and a real SQLite store."""

from __future__ import annotations

import os
import socket
import sys
import threading

import pytest

from edge.devices.simulate import FakeSource, SimulatedScale, Typist
from tests.devices_fixtures import gun, make_scanner, run_until, scale


@pytest.fixture
def source():
    return FakeSource()


@pytest.fixture
def sims():
    made: list[SimulatedScale] = []
    yield made
    for sim in made:
        sim.close()


def test_a_typed_code_is_recorded_through_the_scan_core(config, store, station, source):
    device = source.plug()
    scanner, deliveries = make_scanner(config, store, station, source, [gun()])
    assert device.grabbed
    Typist(device).type("SF1234567890123")
    assert run_until(scanner, lambda: deliveries)
    outcome = deliveries[0].outcome
    assert outcome is not None and outcome.status == "accepted"
    row = store.one("SELECT device, raw, status FROM reads WHERE id = ?", (outcome.read_id,))
    assert dict(row) == {"device": "desk-1", "raw": "SF1234567890123", "status": "accepted"}
    assert store.device("desk-1")["last_code"] == "SF1234567890123"
    scanner.close()


def test_a_phone_number_scanned_by_mistake_is_masked_in_the_log_and_the_device_row(
    config, store, station, source, caplog
):
    caplog.set_level("INFO")
    device = source.plug()
    scanner, deliveries = make_scanner(config, store, station, source, [gun()])
    Typist(device).type("13812348000")
    assert run_until(scanner, lambda: deliveries)
    assert deliveries[0].outcome is not None and deliveries[0].outcome.status == "refused"
    assert "13812348000" not in caplog.text and "138****8000" in caplog.text
    assert store.device("desk-1")["last_code"] == "138****8000"
    scanner.close()


def test_the_read_is_committed_before_the_sound_plays(config, store, station, source, tmp_path):
    # The "sound" is a program that counts the committed read in another connection.
    marker = tmp_path / "played"
    probe = tmp_path / "probe.py"
    probe.write_text(
        f"import sqlite3\nc = sqlite3.connect({str(store.path)!r})\n"
        "n = c.execute(\"SELECT count(*) FROM reads WHERE raw = 'SF5555555555555'\")"
        f".fetchone()[0]\nopen({str(marker)!r}, 'w').write(str(n))\n"
    )
    section = gun(sound_accepted=f"{sys.executable} {probe}")
    device = source.plug()
    scanner, deliveries = make_scanner(config, store, station, source, [section])
    Typist(device).type("SF5555555555555")
    assert run_until(
        scanner, lambda: deliveries and marker.exists() and marker.read_text(), timeout=10
    )
    assert marker.read_text() == "1"
    scanner.close()


def test_paired_scale_weight_goes_with_a_receive_scan(
    config, store, station, source, sims, tmp_path
):
    sim = SimulatedScale("cas", tmp_path / "scale-1", 0)
    sims.append(sim)
    device = source.plug()
    scanner, deliveries = make_scanner(
        config, store, station, source, [gun(scale="scale-1")], [scale("scale-1", sim.link)]
    )
    sim.set_weight(1500, swing_s=0.3)
    unit = scanner.scale_units["scale-1"]
    assert run_until(scanner, lambda: unit.tracker.stable and unit.tracker.stable.weight_g == 1500)
    assert run_until(scanner, lambda: (store.device("scale-1")["stable_g"] or 0) == 1500)
    row = store.device("scale-1")
    assert row["state"] == "connected" and row["stable_at"] and row["weight_g"] == 1500
    Typist(device).type("SF1234567890123")
    assert run_until(scanner, lambda: deliveries)
    assert deliveries[0].weight_g == 1500
    read = store.one("SELECT weight_g FROM reads WHERE id = ?", (deliveries[0].outcome.read_id,))
    assert read["weight_g"] == 1500
    scanner.close()


def test_a_stale_weight_is_not_attached(config, store, station, source, sims, tmp_path):
    sim = SimulatedScale("cas", tmp_path / "scale-1", 900)
    sims.append(sim)
    device = source.plug()
    section = gun(scale="scale-1", weight_max_age_s=0.3)
    scanner, deliveries = make_scanner(
        config, store, station, source, [section], [scale("scale-1", sim.link)]
    )
    unit = scanner.scale_units["scale-1"]
    assert run_until(scanner, lambda: unit.tracker.stable is not None)
    sim.set_weight(900, swing_s=30)  # someone leans on it: no fresh stable reading
    stable_at = unit.tracker.stable.at
    assert run_until(scanner, lambda: scanner.clock() - stable_at > 0.5)
    Typist(device).type("SF1234567890123")
    assert run_until(scanner, lambda: deliveries)
    assert deliveries[0].weight_g is None
    scanner.close()


def test_unplugged_gun_shows_within_2s_others_unaffected_and_replug_resumes(
    config, store, station, source
):
    a = source.plug(name="Gun A", uniq="A1")
    b = source.plug(name="Gun B", uniq="B1")
    scanner, deliveries = make_scanner(
        config,
        store,
        station,
        source,
        [gun("desk-a", "name:Gun A"), gun("desk-b", "serial:B1")],
    )
    assert store.device("desk-a")["state"] == "connected"
    Typist(a).type("SF12345", enter=None)  # half a code, then the cable comes out
    source.unplug(a)
    assert run_until(
        scanner, lambda: store.device("desk-a")["state"] == "disconnected", timeout=2.0
    )
    assert "unplugged" in store.device("desk-a")["detail"]
    assert deliveries == []  # the partial code was discarded, not sent
    Typist(b).type("YT9876543210987")
    assert run_until(scanner, lambda: deliveries)
    assert [(d.gun, d.barcode.text) for d in deliveries] == [("desk-b", "YT9876543210987")]
    a2 = source.plug(name="Gun A", uniq="A1")
    assert run_until(scanner, lambda: store.device("desk-a")["state"] == "connected", timeout=3)
    Typist(a2).type("SF1234567890123")
    assert run_until(scanner, lambda: len(deliveries) == 2)
    assert deliveries[1].gun == "desk-a"
    scanner.close()


def test_two_guns_typing_at_once_and_command_cards_change_one_desk(config, store, station, source):
    a = source.plug(name="Gun A")
    b = source.plug(name="Gun B")
    scanner, deliveries = make_scanner(
        config,
        store,
        station,
        source,
        [gun("desk-a", "name:Gun A"), gun("desk-b", "name:Gun B")],
    )
    threads = [
        threading.Thread(target=Typist(a).type, args=("MODE:SIGN",)),
        threading.Thread(target=Typist(b).type, args=("JT3012345678901",)),
    ]
    for t in threads:
        t.start()
    assert run_until(scanner, lambda: len(deliveries) == 2)
    for t in threads:
        t.join()
    got = {d.gun: d.barcode.text for d in deliveries}
    assert got == {"desk-a": "MODE:SIGN", "desk-b": "JT3012345678901"}
    assert station.desk("desk-a").mode == "sign"
    assert station.desk("desk-b").mode == "receive"
    scanner.close()


def test_a_gun_that_is_not_there_is_a_warning_not_a_crash(config, store, station, source, caplog):
    scanner, _ = make_scanner(config, store, station, source, [gun("desk-x", "name:Nothing")])
    scanner.turn(max_wait=0.01)
    row = store.device("desk-x")
    assert row["state"] == "disconnected" and "no input device matches" in row["detail"]
    scanner.rescan(scanner.clock())
    warnings = [r for r in caplog.records if "no input device matches" in r.getMessage()]
    assert len(warnings) == 1  # the first failure is logged, not every retry
    scanner.close()


def test_scale_unplug_is_visible_and_clears_the_weight(
    config, store, station, source, sims, tmp_path
):
    sim = SimulatedScale("xk3190a9", tmp_path / "scale-1", 2000)
    sims.append(sim)
    scanner, _ = make_scanner(
        config, store, station, source, [], [scale("scale-1", sim.link, "xk3190a9")]
    )
    assert run_until(scanner, lambda: store.device("scale-1")["weight_g"] == 2000)
    sim.unplug()
    assert run_until(scanner, lambda: store.device("scale-1")["state"] == "disconnected")
    row = store.device("scale-1")
    assert row["weight_g"] is None and row["stable_g"] is None
    scanner.close()


def test_tare_requested_through_the_store_reaches_the_scale(
    config, store, station, source, sims, tmp_path
):
    sim = SimulatedScale("sics", tmp_path / "scale-1", 600)
    sims.append(sim)
    scanner, _ = make_scanner(
        config, store, station, source, [], [scale("scale-1", sim.link, "sics")]
    )
    assert run_until(scanner, lambda: store.device("scale-1")["weight_g"] == 600)
    tare = store.request_device_command("scale-1", "tare", "2026-11-23T09:00:00+08:00", "test")
    refused = store.request_device_command("nope", "zero", "2026-11-23T09:00:00+08:00", "test")
    assert run_until(scanner, lambda: store.device_command(tare)["done_at"] is not None)
    assert store.device_command(tare)["ok"] == 1 and sim.tared == 600
    assert store.device_command(refused)["ok"] == 0
    scanner.close()


def test_ready_once_then_watchdog_each_turn(config, store, station, source, tmp_path, monkeypatch):
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(1)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    scanner, _ = make_scanner(config, store, station, source, [])
    scanner.turn(max_wait=0.01)
    scanner.turn(max_wait=0.01)
    got = [sock.recv(100) for _ in range(3)]
    assert got == [b"READY=1", b"WATCHDOG=1", b"WATCHDOG=1"]
    sock.close()
    scanner.close()


@pytest.mark.skipif(
    not os.access("/dev/uinput", os.W_OK),
    reason="/dev/uinput is not writable here (needs the uinput module and "
    "write access); the fake InputDevice tests cover the same loop",
)
def test_a_uinput_keyboard_is_read_like_a_gun(config, store, station):
    from evdev import UInput, ecodes

    from edge.devices.guns import EvdevSource
    from edge.devices.simulate import key_events

    with UInput(name="Station UInput Test Gun") as ui:
        scanner, deliveries = make_scanner(
            config, store, station, EvdevSource(), [gun("desk-u", "name:Station UInput Test Gun")]
        )
        for chunk in key_events("SF1234567890123"):
            for type_, code, value in chunk:
                if type_ == ecodes.EV_KEY:
                    ui.write(type_, code, value)
                    ui.syn()
        assert run_until(scanner, lambda: deliveries)
        assert deliveries[0].barcode.text == "SF1234567890123"
        scanner.close()


def test_station_scanner_simulate_types_stdin_lines_through_the_whole_path(tmp_path):
    import signal
    import sqlite3
    import subprocess
    import time

    from edge.store import Store

    Store(tmp_path / "station.db", create=True).close()  # as `station init` does
    proc = subprocess.Popen(
        [sys.executable, "-m", "edge.cli", "--data", str(tmp_path), "scanner", "--simulate"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        proc.stdin.write("#weight 2100\n")
        proc.stdin.flush()
        db = tmp_path / "station.db"
        end = time.monotonic() + 15
        stable = None
        while time.monotonic() < end and not stable:
            time.sleep(0.1)
            try:
                with sqlite3.connect(db) as c:
                    stable = c.execute(
                        "SELECT stable_g FROM devices WHERE name = 'scale-1' AND stable_g = 2100"
                    ).fetchone()
            except sqlite3.OperationalError:
                continue  # not created or migrated yet
        assert stable, "the simulated scale never settled"
        proc.stdin.write("SF1234567890123\n")
        proc.stdin.flush()
        row = None
        while time.monotonic() < end and not row:
            time.sleep(0.1)
            with sqlite3.connect(db) as c:
                row = c.execute("SELECT device, raw, status, weight_g FROM reads").fetchone()
        assert row == ("desk-1", "SF1234567890123", "accepted", 2100)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err


def test_syn_dropped_through_the_loop_records_no_fragment(config, store, station, source):
    from evdev import ecodes

    from edge.devices.simulate import key_events

    device = source.plug()
    scanner, deliveries = make_scanner(config, store, station, source, [gun()])
    chunks = key_events("SF1234567890123")
    for chunk in chunks[:6]:
        device.write(chunk)
    device.write([(ecodes.EV_SYN, ecodes.SYN_DROPPED, 0)])
    for chunk in chunks[6:]:
        device.write(chunk)
    scanner.turn(max_wait=0.05)
    Typist(device).type("YT9876543210987")  # the next scan
    assert run_until(scanner, lambda: deliveries)
    assert [d.barcode.text for d in deliveries] == ["YT9876543210987"]
    # The lost code was answered "scan again", and no fragment of it was recorded.
    reads = store.all("SELECT code, message_key FROM reads ORDER BY id")
    assert [tuple(r) for r in reads] == [
        (None, "incomplete_read"),
        ("YT9876543210987", "received"),
    ]
    assert store.one("SELECT count(*) FROM scans")[0] == 1
    scanner.close()


def test_a_short_read_gets_an_answer_and_the_error_tone(config, store, station, source, tmp_path):
    probe = tmp_path / "tone.py"
    marks = tmp_path / "tones"
    probe.write_text(f"import sys\nopen({str(marks)!r}, 'a').write(sys.argv[1] + '\\n')\n")
    device = source.plug()
    section = gun(sound_refused=f"{sys.executable} {probe} refused", min_length=6)
    scanner, deliveries = make_scanner(config, store, station, source, [section])
    Typist(device).type("SF12")  # half a label
    assert run_until(scanner, lambda: marks.exists())
    read = store.one("SELECT * FROM reads")
    assert read is not None and read["message_zh"] == "读取不完整，请重扫"
    assert (read["status"], read["raw"]) == ("refused", "SF12")
    assert deliveries == [] and marks.read_text() == "refused\n"
    scanner.close()


def test_stopping_marks_every_device_disconnected(config, store, station, source, sims, tmp_path):
    sim = SimulatedScale("cas", tmp_path / "scale-1", 400)
    sims.append(sim)
    source.plug()
    scanner, _ = make_scanner(config, store, station, source, [gun()], [scale("scale-1", sim.link)])
    assert run_until(scanner, lambda: store.device("scale-1")["weight_g"] == 400)
    assert store.device("desk-1")["state"] == "connected"
    scanner.close()
    for name in ("desk-1", "scale-1"):
        row = store.device(name)
        assert row["state"] == "disconnected" and row["detail"] == "the scanning process stopped"
    assert store.device("scale-1")["weight_g"] is None


def test_a_fast_gun_through_a_delayed_loop_gives_every_code_whole(
    config, store, station, source, monkeypatch
):
    """The idle gap is measured on the kernel's event timestamps: a loop that is busy for
    longer than the gap (here each answer takes 250 ms, and keys arrive in reads of 64
    events) still sees the 3 ms between keys, and splits no code."""
    import time

    from edge.devices.simulate import key_events

    device = source.plug()
    scanner, deliveries = make_scanner(config, store, station, source, [gun()])
    slow_read = station.read

    def busy(*args, **kw):
        time.sleep(0.25)  # a loaded Pi: the loop gets round to the gun late
        return slow_read(*args, **kw)

    monkeypatch.setattr(station, "read", busy)
    codes = [f"75{n:012d}" for n in range(1, 7)] + ["SF1234567890123", "YT8962646785389"]
    stamp = time.time() - 4  # typed over the last seconds; the loop is behind
    for i, code in enumerate(codes):
        # Half the codes end on Enter, half only by the idle gap; 0.4 s between labels.
        for chunk in key_events(code, enter="enter" if i % 2 else None):
            device.write(chunk, when=stamp)
            stamp += 0.003
        stamp += 0.4
    assert run_until(scanner, lambda: len(deliveries) >= len(codes), timeout=10)
    scanner.turn(max_wait=0.2)
    assert [d.barcode.text for d in deliveries] == codes
    scanner.close()


def test_every_gun_has_a_desk_row_from_the_start(config, store, station, source):
    scanner, _ = make_scanner(
        config, store, station, source, [gun("desk-1"), gun("desk-2", mode="sign")]
    )
    rows = {r["device"]: (r["mode"], r["operator"]) for r in store.all("SELECT * FROM desks")}
    assert rows == {"desk-1": ("receive", None), "desk-2": ("sign", None)}
    scanner.close()
