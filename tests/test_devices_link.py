"""Scales on real pty pairs: simulators speaking each protocol, broken frames, a swinging
scale, an unplug mid-frame and the reconnect, tare/zero, recording a serial line."""

from __future__ import annotations

import io
import select
import time

import pytest

from edge.devices.recording import record_serial, replay
from edge.devices.scales import cas
from edge.devices.scales.frames import Reading, Reply
from edge.devices.scales.link import ScaleLink, Unsupported
from edge.devices.scales.stability import StabilityTracker
from edge.devices.simulate import SimulatedScale
from tests.devices_fixtures import scale

PROTOCOLS = ["cas", "toledo8217", "sics", "toledo_continuous", "xk3190a9"]


@pytest.fixture
def sims():
    made: list[SimulatedScale] = []
    yield made
    for sim in made:
        sim.close()


def start(sims, tmp_path, protocol, weight_g=1234):
    sim = SimulatedScale(protocol, tmp_path / f"scale-{protocol}", weight_g)
    sims.append(sim)
    link = ScaleLink(scale("s", sim.link, protocol))
    return sim, link


def pump(link, done, timeout=3.0):
    """Run the link as the scanner does until done(items) or the timeout."""
    items = []
    end = time.monotonic() + timeout
    while time.monotonic() < end and not done(items):
        now = time.monotonic()
        link.tick(now)
        fd = link.fileno()
        if fd is None:
            time.sleep(0.02)
            continue
        select.select([fd], [], [], 0.05)
        items += link.read(time.monotonic())
    return items


def weights(items):
    return [i.weight_g for i in items if isinstance(i, Reading) and i.weight_g is not None]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_each_protocol_reads_the_weight_over_a_pty(sims, tmp_path, protocol):
    _, link = start(sims, tmp_path, protocol)
    items = pump(link, lambda items: len(weights(items)) >= 2)
    assert weights(items)[-2:] == [1234, 1234]
    assert link.state == "connected"
    link.close()


@pytest.mark.parametrize("protocol", ["cas", "toledo_continuous", "xk3190a9"])
def test_broken_frames_between_good_ones_are_skipped(sims, tmp_path, protocol):
    sim, link = start(sims, tmp_path, protocol, 2500)
    sim.garbage = True
    items = pump(link, lambda items: len(weights(items)) >= 3)
    assert set(weights(items)) == {2500}
    assert link.parser.errors > 0
    link.close()


def test_a_swinging_scale_is_stable_only_once_settled(sims, tmp_path):
    sim, link = start(sims, tmp_path, "cas", 0)
    tracker = StabilityTracker(readings=3, window_s=1.0)
    sim.set_weight(3200, swing_s=0.5)
    stable_seen: list[int] = []

    def done(items):
        for item in items[len(done.seen) :]:
            if isinstance(item, Reading) and tracker.update(item, time.monotonic()):
                stable_seen.append(item.weight_g)
        done.seen = list(items)
        return bool(stable_seen)

    done.seen = []
    items = pump(link, done)
    assert any(isinstance(i, Reading) and not i.stable for i in items)  # it did swing
    assert stable_seen == [3200]
    link.close()


def test_unplug_mid_frame_then_replug_reconnects(sims, tmp_path):
    sim, link = start(sims, tmp_path, "cas", 1000)
    assert weights(pump(link, lambda items: bool(weights(items))))[-1] == 1000
    sim.unplug(mid_frame=True)
    items = pump(link, lambda items: link.state == "disconnected")
    assert link.state == "disconnected" and "failed" in link.detail
    assert set(weights(items)) <= {1000}  # the half frame yielded nothing
    sim.weight_g = 1700
    sim.plug()
    items = pump(link, lambda items: bool(weights(items)), timeout=4.0)
    assert link.state == "connected"
    assert weights(items)[-1] == 1700
    link.close()


def test_missing_port_backs_off_and_logs_the_first_failure_only(tmp_path, caplog):
    link = ScaleLink(scale("s", tmp_path / "nothing-here", "cas"))
    assert link.open(0.0) is False
    assert link.state == "disconnected" and "cannot open" in link.detail
    assert link.open(0.1) is False and link.deadline(0.1) == pytest.approx(0.5)
    for now in (0.5, 1.5, 3.5, 8.5, 18.5):
        assert link.open(now) is False
    assert link.deadline(18.5) == pytest.approx(48.5)  # backoff capped at 30 s
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "nothing-here" in warnings[0].getMessage()


def test_sics_tare_and_zero_are_answered(sims, tmp_path):
    sim, link = start(sims, tmp_path, "sics", 800)
    pump(link, lambda items: bool(weights(items)))
    link.command("tare", time.monotonic())
    items = pump(link, lambda items: any(isinstance(i, Reply) for i in items))
    assert [i for i in items if isinstance(i, Reply)] == [Reply("tare", True, "T S      0.800 kg")]
    assert sim.tared == 800
    link.close()


def test_streaming_indicators_refuse_tare(sims, tmp_path):
    _, link = start(sims, tmp_path, "cas")
    pump(link, lambda items: bool(items))
    with pytest.raises(Unsupported, match="cas scales take no tare"):
        link.command("tare", time.monotonic())
    link.close()


def test_record_a_polled_scale_then_replay_it(sims, tmp_path):
    sim = SimulatedScale("toledo8217", tmp_path / "scale-8217", 2345)
    sims.append(sim)
    out = io.StringIO()
    end = time.monotonic() + 1.5
    record_serial(scale("s", sim.link, "toledo8217"), out, lambda: time.monotonic() > end)
    lines = out.getvalue().splitlines()
    assert lines[0] == '{"kind":"serial","protocol":"toledo8217","baud":9600}'
    assert any('"tx":"57"' in line for line in lines)  # the W polls
    results = list(replay(lines))
    assert results and all(r["weight_g"] == 2345 for r in results)
    assert results[-1]["stable"] is True and results[0]["stable"] is False


def test_an_open_scale_that_sends_nothing_is_silent(tmp_path):
    import os
    import pty

    master, slave = pty.openpty()
    link_path = tmp_path / "quiet"
    link_path.symlink_to(os.ttyname(slave))
    link = ScaleLink(scale("s", link_path, "cas"))
    try:
        assert link.open(100.0) and link.state == "connected"
        link.tick(101.0)
        assert link.state == "connected"
        link.tick(102.5)
        assert link.state == "silent" and "protocol (cas) and baud rate (9600)" in link.detail
        os.write(master, cas.frame(500))
        select.select([link.fileno()], [], [], 1.0)
        assert weights(link.read(103.0)) == [500] and link.state == "connected"
    finally:
        link.close()
        os.close(master)
        os.close(slave)


def test_a_hotplug_event_cuts_the_backoff_short(sims, tmp_path):
    port = tmp_path / "scale-late"
    link = ScaleLink(scale("s", port, "cas"))
    for now in (0.0, 0.5, 1.5, 3.5):
        link.open(now)
    assert link.deadline(4.0) == pytest.approx(8.5)  # waiting 5 s for the next try
    sims.append(SimulatedScale("cas", port, 700))  # plugged in
    link.retry_soon(4.0)
    assert link.open(4.0) is True
    link.close()
