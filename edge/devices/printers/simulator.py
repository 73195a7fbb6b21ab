"""A simulated network label printer for the demo and the tests: a loopback TCP
listener (port 9100 by default) that reads each job to the end, decodes its TSPL or
ESC/POS and saves what would come out as a PNG, with the job's raw bytes beside it."""

from __future__ import annotations

import logging
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from edge.devices.printers import escpos, tspl
from edge.devices.printers.raster import font_path

log = logging.getLogger(__name__)

MAX_JOB_BYTES = 4 * 1024 * 1024
IDLE_S = 2.0  # a sender that goes quiet this long has finished its job


@dataclass
class Printed:
    language: str
    path: Path
    image: Image.Image
    data: bytes


def decode_job(data: bytes, font: str | None = None) -> tuple[str, Image.Image]:
    """(language, image) of one job; ValueError when it is neither TSPL nor ESC/POS."""
    if data[:1] in (b"\x1b", b"\x1d"):
        return "escpos", escpos.decode(data).image
    return "tspl", tspl.decode(data, font).image


@dataclass
class SimulatedPrinter:
    """Listen on ``host:port`` (0 = any free port) and save each job in ``out_dir``."""

    out_dir: Path
    host: str = "127.0.0.1"
    port: int = 0
    font: str = ""
    printed: list[Printed] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    offline: bool = False  # close every connection at once, as a printer gone offline
    paper_out: bool = False  # answer status queries "out of paper"

    def __post_init__(self) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._sock = socket.create_server((self.host, self.port))
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="sim-printer", daemon=True)
        self._lock = threading.Lock()
        self.changed = threading.Condition(self._lock)

    @property
    def device(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    def start(self) -> SimulatedPrinter:
        self._thread.start()
        log.info("simulated printer on %s, labels in %s", self.device, self.out_dir)
        return self

    def close(self) -> None:
        self._stop.set()
        self._sock.close()
        self._thread.join(timeout=5)

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """True once ``count`` labels have come out."""
        with self.changed:
            return self.changed.wait_for(lambda: len(self.printed) >= count, timeout)

    def _serve(self) -> None:
        self._sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                if self.offline:
                    continue  # closed at once: the sender sees a reset or a short write
                self._job(self._read(conn))

    def _read(self, conn: socket.socket) -> bytes:
        conn.settimeout(IDLE_S)
        chunks, size = [], 0
        while size < MAX_JOB_BYTES:
            try:
                chunk = conn.recv(65536)
            except (TimeoutError, OSError):
                break
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            for query, answer in self._status_answers():
                if b"".join(chunks) == query:  # a status query before the job
                    conn.sendall(bytes([answer]))
                    chunks, size = [], 0
        return b"".join(chunks)

    def _status_answers(self) -> list[tuple[bytes, int]]:
        return [
            (tspl.STATUS_QUERY, 0x04 if self.paper_out else 0x00),
            (escpos.STATUS_QUERY, 0x12 | (escpos.PAPER_END if self.paper_out else 0)),
        ]

    def _job(self, data: bytes) -> None:
        if not data:
            return
        try:
            language, image = decode_job(data, font_path(self.font))
        except ValueError as exc:
            log.warning("simulated printer: cannot read a %d-byte job: %s", len(data), exc)
            with self.changed:
                self.errors.append(str(exc))
                self.changed.notify_all()
            return
        with self.changed:
            n = len(self.printed) + 1
            path = self.out_dir / f"label-{n:04d}.png"
            image.save(path)
            path.with_suffix(f".{language}").write_bytes(data)
            self.printed.append(Printed(language, path, image, data))
            self.changed.notify_all()
        log.info("simulated printer: %s label saved to %s", language, path)
