"""The label commands as a clerk types them, against a real data folder, a simulated
printer on loopback and, for `station printer`, a NOTIFY_SOCKET as systemd gives it."""

from __future__ import annotations

import os
import pty
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from edge.cli import main
from edge.config import Config
from edge.devices.printers import tspl
from edge.devices.printers.raster import font_path
from edge.devices.printers.simulator import SimulatedPrinter
from edge.devices.printers.transport import PrinterError, send
from edge.station import ScanRequest, Station
from edge.store import Store
from tests.test_appliance_watchdog import closed_port, freeze_and_thaw, notify_socket

__all__ = ["notify_socket"]  # the fixture, used by name


def run(data: Path, *words: str) -> int:
    return main(["--data", str(data), *words])


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimulatedPrinter]:
    printer = SimulatedPrinter(tmp_path / "sim").start()
    yield printer
    printer.close()


@pytest.fixture
def data(tmp_path: Path, sim: SimulatedPrinter) -> Path:
    folder = tmp_path / "st"
    assert run(folder, "init", "--station", "SZ-NS-0042") == 0
    with (folder / "station.toml").open("a") as f:
        f.write(f'\n[[printers]]\nname = "label-1"\ndevice = "{sim.device}"\nsize = "60x40"\n')
    return folder


def received(data: Path, waybill: str) -> str:
    from edge import config as config_mod

    config: Config = config_mod.load(data / "station.toml")
    with Store(data / "station.db") as store:
        out = Station(store, config).scan(
            ScanRequest("receive", waybill, "desk-1", phone_last4="1234")
        )
    return str(out.pickup_code)


def test_preview_writes_exactly_what_would_print(
    data: Path, tmp_path: Path, sim: SimulatedPrinter, capsys: pytest.CaptureFixture[str]
) -> None:
    received(data, "773000000000077")
    out = tmp_path / "label.png"
    assert run(data, "label", "preview", "773000000000077", "--out", str(out)) == 0
    assert "60x40 mm" in capsys.readouterr().out
    png = Image.open(out)
    assert png.size == (480, 320)
    # What the print process would send for it, decoded as the printer does.
    assert run(data, "label", "reprint", "773000000000077") == 0
    assert "queued on label-1" in capsys.readouterr().out
    from edge import config as config_mod
    from edge.devices.printers.worker import PrintWorker

    config = config_mod.load(data / "station.toml")
    with Store(data / "station.db") as store:
        PrintWorker(store, config.printers, config.printing, config.tz).turn()
    assert sim.wait_for(1)
    printed = tspl.decode(sim.printed[0].data, font_path()).image
    assert ImageChops.difference(png.convert("L"), printed.convert("L")).getbbox() is None


def test_preview_of_an_unknown_waybill_says_so(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(data, "label", "preview", "NOPE1234", "--out", str(tmp_path / "x.png")) == 1
    assert "no pickup code yet" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()
    assert run(data, "label", "preview", "NOPE1234", "--out", "x.png", "--printer", "zz") == 2
    assert "no printer named 'zz'" in capsys.readouterr().err


def test_label_test_prints_or_says_why_not(
    data: Path, sim: SimulatedPrinter, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(data, "label", "test") == 0
    assert "label-1: test label sent" in capsys.readouterr().out
    assert sim.wait_for(1)
    assert sim.printed[0].image.size == (480, 320)
    elements = tspl.decode(sim.printed[0].data, font_path()).elements
    assert any(getattr(e, "data", "") == "TEST1234567890" for e in elements)
    config = data / "station.toml"
    config.write_text(config.read_text().replace(sim.device, f"tcp://127.0.0.1:{closed_port()}"))
    assert run(data, "label", "test", "--printer", "label-1") == 1
    said = capsys.readouterr().out
    assert "NOT printed" in said and "refused the connection" in said


def test_queue_lists_printers_and_waiting_labels(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(data, "label", "queue") == 0
    assert "no labels queued" in capsys.readouterr().out
    received(data, "773000000000078")
    assert run(data, "label", "reprint", "773000000000078") == 0
    capsys.readouterr()
    assert run(data, "label", "queue", "--json") == 0
    assert '"waiting": 1' in capsys.readouterr().out


def test_device_file_and_serial_transports(tmp_path: Path) -> None:
    # A FIFO stands in for /dev/usb/lp0: a reader on the other end gets the bytes.
    fifo = tmp_path / "lp0"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        send(str(fifo), b"SIZE 40 mm,30 mm\r\nPRINT 1\r\n", timeout=5)
        assert os.read(reader, 100) == b"SIZE 40 mm,30 mm\r\nPRINT 1\r\n"
    finally:
        os.close(reader)
    with pytest.raises(PrinterError, match="missing"):
        send(str(tmp_path / "lp9"), b"x", timeout=1)
    # A FIFO nobody reads is a printer that takes nothing: the deadline holds.
    stuck = tmp_path / "stuck"
    os.mkfifo(stuck)
    keep = os.open(stuck, os.O_RDONLY | os.O_NONBLOCK)  # open, never read
    try:
        with pytest.raises(PrinterError, match="took no data"):
            send(str(stuck), b"x" * 200_000, timeout=0.3)
    finally:
        os.close(keep)
    # A pty stands in for a USB-serial printer.
    controller, worker = pty.openpty()
    try:
        tty = os.ttyname(worker)
        send(f"serial:{tty}", b"PRINT 1\r\n", timeout=2, baud=115200)
        assert os.read(controller, 100).replace(b"\r\r", b"\r").startswith(b"PRINT 1")
    finally:
        os.close(controller)
        os.close(worker)
    with pytest.raises(PrinterError):
        send("serial:/dev/nonexistent-tty", b"x", timeout=1)
    with pytest.raises(PrinterError, match="refused"):
        send(f"tcp://127.0.0.1:{closed_port()}", b"x", timeout=1)


def test_a_printer_that_never_answers_status_still_gets_the_job() -> None:
    got: list[bytes] = []
    with socket.create_server(("127.0.0.1", 0)) as server:

        def accept() -> None:
            conn, _ = server.accept()
            with conn:
                got.append(b"".join(iter(lambda: conn.recv(4096), b"")))

        reader = threading.Thread(target=accept)
        reader.start()
        port = server.getsockname()[1]
        send(f"tcp://127.0.0.1:{port}", b"PRINT 1\r\n", timeout=5, status=(b"\x1b!?", str))
        reader.join(5)
    assert got == [b"\x1b!?PRINT 1\r\n"]


def test_printer_loop_pings_and_stops_pinging_when_frozen(
    tmp_path: Path, notify_socket: tuple[socket.socket, str]
) -> None:
    sock, path = notify_socket
    (tmp_path / "station.toml").write_text(
        '[station]\ncode = "SZ-NS-0042"\n'
        f'[[printers]]\nname = "label-1"\ndevice = "tcp://127.0.0.1:{closed_port()}"\n'
        "[printing]\npoll_ms = 100\ntimeout_s = 0.5\n"
    )
    freeze_and_thaw(sock, path, tmp_path, ["printer"])
