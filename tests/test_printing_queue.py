"""`station printer`'s loop against a real store, a real Station and a simulated
printer on loopback TCP: labels follow receives, wait while the printer is down, and
come out in order when it is back; REPRINT cards and routing by desk."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.config import Config
from edge.devices.printers import tspl
from edge.devices.printers.queue import printer_for, queue_reprint
from edge.devices.printers.raster import Text, font_path
from edge.devices.printers.settings import PrinterSection, PrintingSection
from edge.devices.printers.simulator import SimulatedPrinter
from edge.devices.printers.worker import PrintWorker
from edge.station import ScanRequest, Station
from edge.store import Store
from tests.conftest import ManualClock


class Now:
    """Unix time for the queue's backoff, moved by hand."""

    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimulatedPrinter]:
    printer = SimulatedPrinter(tmp_path / "labels").start()
    yield printer
    printer.close()


def free_port() -> int:
    """A loopback port nobody listens on: connecting to it is refused, like a printer off."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def worker(
    store: Store, config: Config, clock: ManualClock, printers: list[PrinterSection], now: Now
) -> PrintWorker:
    settings = PrintingSection(retry_first_s=2, retry_max_s=60, timeout_s=2)
    return PrintWorker(store, printers, settings, config.tz, clock=clock, now=now)


def receive(station: Station, waybill: str, device: str = "desk-1", phone: str = "5678") -> str:
    out = station.scan(ScanRequest("receive", waybill, device, phone_last4=phone))
    assert out.status == "accepted", out.message_en
    return str(out.pickup_code)


def texts(job: bytes) -> list[str]:
    return [e.text for e in tspl.decode(job, font_path()).elements if isinstance(e, Text)]


def test_each_accepted_receive_prints_one_label(
    store: Store, station: Station, config: Config, clock: ManualClock, sim: SimulatedPrinter
) -> None:
    p = PrinterSection(name="label-1", device=sim.device, chinese="font")
    # While no printer is configured the journal is followed and nothing queued, so
    # adding a printer later prints no backlog.
    receive(station, "773000000000001")
    assert worker(store, config, clock, [], Now()).turn().queued == 0
    w = worker(store, config, clock, [p], Now())
    assert w.turn().queued == 0
    code = receive(station, "773000000000002")
    station.scan(ScanRequest("receive", "773000000000002", "desk-1"))  # duplicate: no label
    station.scan(ScanRequest("sign", "773000000000001", "desk-1", phone_last4="5678"))
    result = w.turn()
    assert (result.queued, result.printed, result.failed) == (1, 1, 0)
    assert sim.wait_for(1)
    assert texts(sim.printed[0].data)[0] == code
    assert sim.printed[0].path.is_file() and sim.printed[0].language == "tspl"
    assert "11-23" in texts(sim.printed[0].data)[2]  # the receive's date, station time
    assert w.turn().queued == 0  # nothing new: nothing queued twice
    (printer,) = store.printing_printers()
    assert (printer["name"], printer["state"], printer["waiting"]) == ("label-1", "ok", 0)


def test_a_printer_that_is_off_holds_labels_and_never_the_scan(
    store: Store, station: Station, config: Config, clock: ManualClock, tmp_path: Path
) -> None:
    port, now = free_port(), Now()
    p = PrinterSection(name="label-1", device=f"tcp://127.0.0.1:{port}", chinese="font")
    w = worker(store, config, clock, [p], now)
    w.follow()
    codes = [receive(station, f"77300000000001{i}") for i in range(3)]
    result = w.turn()
    assert (result.queued, result.printed, result.failed) == (3, 0, 1)
    (printer,) = store.printing_trouble()
    assert printer["state"] == "failing" and "refused" in printer["detail"]
    assert printer["waiting"] == 3
    # Scans go on meanwhile; their labels queue behind.
    codes.append(receive(station, "773000000000020"))
    assert w.turn().printed == 0
    jobs = store.printing_jobs()
    assert [j["attempts"] for j in reversed(jobs)] == [1, 0, 0, 0]  # not due again yet
    now.t += 2.0
    w.turn()
    now.t += 3.9
    assert w.turn().failed == 0  # backoff doubled: the third try waits 4 s
    now.t += 0.1
    assert w.turn().failed == 1
    assert store.printing_job(jobs[-1]["id"])["attempts"] == 3  # type: ignore[index]
    # The printer comes back on the same address: all four print, in arrival order.
    sim = SimulatedPrinter(tmp_path / "labels", port=port).start()
    try:
        now.t += 60
        assert w.turn().printed == 4
        assert sim.wait_for(4)
        assert [texts(x.data)[0] for x in sim.printed] == codes
    finally:
        sim.close()
    assert store.printing_trouble() == []
    assert [dict(r)["state"] for r in store.printing_printers()] == ["ok"]


def test_reprint_card_repeats_the_desks_last_label(
    store: Store, station: Station, config: Config, clock: ManualClock, sim: SimulatedPrinter
) -> None:
    p = PrinterSection(name="label-1", device=sim.device, chinese="font")
    w = worker(store, config, clock, [p], Now())
    w.follow()
    desk = station.desk("desk-1")
    assert station.read("REPRINT", desk).status == "accepted"  # nothing printed yet
    assert w.turn().queued == 0
    receive(station, "773000000000031")
    code = receive(station, "773000000000032")
    receive(station, "773000000000033", device="desk-2")
    clock.advance(5)
    out = station.read("REPRINT", desk)
    assert (out.status, out.message_en) == ("accepted", "Reprinting the last label")
    assert w.turn().printed == 4
    assert sim.wait_for(4)
    assert sim.printed[3].data == sim.printed[1].data  # the same label, byte for byte
    assert texts(sim.printed[3].data)[0] == code
    kinds = [j["kind"] for j in store.printing_jobs()]
    assert kinds == ["reprint", "receive", "receive", "receive"]
    audit = store.one("SELECT actor, subject FROM audit WHERE action = 'label.reprint'")
    assert audit is not None and audit["subject"] == "773000000000032"


def test_reprint_from_the_page_and_cancel(
    store: Store, station: Station, config: Config, clock: ManualClock
) -> None:
    code = receive(station, "773000000000041")
    assert queue_reprint(store, "nope", "label-1", "web:op", "op", "t") is None
    job_id = queue_reprint(store, "773000000000041", "label-1", "web:op", "op", "t")
    assert job_id is not None
    job = store.printing_job(job_id)
    assert job is not None and (job["pickup_code"], job["phone_last4"]) == (code, "5678")
    assert store.printing_cancel(job_id, "op", "t") is True
    assert store.printing_cancel(job_id, "op", "t") is False
    assert store.printing_printers() == []


def test_labels_go_to_the_printer_of_their_desk() -> None:
    a = PrinterSection(name="a", device="tcp://x", desks=["desk-1", "web:*"])
    b = PrinterSection(name="b", device="tcp://y", desks=["desk-2"])
    rest = PrinterSection(name="rest", device="tcp://z")
    printers = [a, b, rest]
    assert printer_for("desk-1", printers) is a
    assert printer_for("web:op7", printers) is a
    assert printer_for("desk-2", printers) is b
    assert printer_for("desk-9", printers) is rest
    assert printer_for("desk-9", [a, b]) is None


def test_a_job_that_cannot_be_rendered_waits_instead_of_crashing(
    store: Store, station: Station, config: Config, clock: ManualClock, sim: SimulatedPrinter
) -> None:
    p = PrinterSection(name="label-1", device=sim.device, size="bad")
    w = worker(store, config, clock, [p], Now())
    w.follow()
    receive(station, "773000000000051")
    assert w.turn().failed == 1
    (printer,) = store.printing_trouble()
    assert "WIDTHxHEIGHT" in printer["detail"]


@pytest.mark.parametrize("language", ["tspl", "escpos"])
def test_a_network_printer_out_of_paper_is_asked_first_and_nothing_is_lost(
    store: Store,
    station: Station,
    config: Config,
    clock: ManualClock,
    sim: SimulatedPrinter,
    language: str,
) -> None:
    now = Now()
    p = PrinterSection(name="label-1", device=sim.device, language=language)
    w = worker(store, config, clock, [p], now)
    sim.paper_out = True
    receive(station, "773000000000061")
    assert w.turn().failed == 1
    (printer,) = store.printing_trouble()
    assert printer["detail"].endswith("out of paper") and printer["waiting"] == 1
    assert sim.printed == [] and sim.errors == []  # the job was never sent
    sim.paper_out = False
    now.t += 60
    assert w.turn().printed == 1
    assert sim.wait_for(1)
    assert sim.printed[0].language == language
    # With status_query off nothing is asked: the job goes straight out.
    p.status_query = False
    receive(station, "773000000000062")
    assert w.turn().printed == 1 and sim.wait_for(2)


def test_labels_done_long_ago_are_forgotten_waiting_ones_never(
    store: Store, station: Station, config: Config, clock: ManualClock, sim: SimulatedPrinter
) -> None:
    good = PrinterSection(name="label-1", device=sim.device)
    dead = PrinterSection(name="dead", device=f"tcp://127.0.0.1:{free_port()}", desks=["desk-9"])
    w = worker(store, config, clock, [good, dead], Now())
    receive(station, "773000000000071")
    receive(station, "773000000000072", device="desk-9")
    w.turn()
    assert sim.wait_for(1)
    clock.advance(29 * 86400)
    worker(store, config, clock, [good, dead], Now()).turn()
    assert len(store.printing_jobs()) == 2  # 29 days: kept
    clock.advance(2 * 86400)
    worker(store, config, clock, [good, dead], Now()).turn()
    (left,) = store.printing_jobs()
    assert (left["waybill"], left["state"]) == ("773000000000072", "pending")


def test_undoing_a_receive_cancels_its_waiting_label(
    store: Store, station: Station, config: Config, clock: ManualClock
) -> None:
    dead = PrinterSection(name="dead", device=f"tcp://127.0.0.1:{free_port()}")
    w = worker(store, config, clock, [dead], Now())
    receive(station, "773000000000081")
    receive(station, "773000000000082")
    w.turn()
    clock.advance(5)
    assert station.read("UNDO", station.desk("desk-1")).message_key == "undone"
    w.turn()
    states = {j["waybill"]: j["state"] for j in store.printing_jobs()}
    assert states == {"773000000000081": "pending", "773000000000082": "cancelled"}
    audit = store.one("SELECT subject FROM audit WHERE action = 'label.cancel'")
    assert audit is not None and audit["subject"] == "773000000000082"
    # REPRINT now repeats the label that still stands.
    clock.advance(5)
    station.read("REPRINT", station.desk("desk-1"))
    w.turn()
    assert store.printing_jobs()[0]["waybill"] == "773000000000081"


def test_a_first_start_prints_no_history_and_a_restart_prints_what_came_meanwhile(
    store: Store, station: Station, config: Config, clock: ManualClock, sim: SimulatedPrinter
) -> None:
    p = PrinterSection(name="label-1", device=sim.device)
    receive(station, "773000000000071")  # before any printer process ever ran
    assert worker(store, config, clock, [p], Now()).turn().queued == 0
    receive(station, "773000000000072")  # while the printer process is down
    assert worker(store, config, clock, [p], Now()).turn().queued == 1
    assert [job["waybill"] for job in store.printing_jobs()] == ["773000000000072"]
