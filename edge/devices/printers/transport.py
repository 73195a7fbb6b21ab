"""Sending a job's bytes to a printer: raw TCP (port 9100), a device file (/dev/usb/lp*)
or a serial port. Every send has a deadline; every failure is a PrinterError whose
message says what to check, in plain words."""

from __future__ import annotations

import errno
import os
import select
import socket
import time
from collections.abc import Callable
from urllib.parse import urlsplit

RAW_PORT = 9100


class PrinterError(OSError):
    """The printer did not take the job (unplugged, offline, out of paper, busy)."""


StatusCheck = tuple[bytes, Callable[[int], str | None]]
STATUS_WAIT_S = 1.0  # a printer that answers status does so at once


def send(
    device: str,
    data: bytes,
    *,
    timeout: float,
    baud: int = 9600,
    status: StatusCheck | None = None,
) -> None:
    """Deliver ``data`` whole to ``device`` within ``timeout`` seconds, or raise.

    ``status`` (network printers): a query and how to read its one-byte answer. A
    printer out of paper still takes a job over TCP and loses it, so it is asked first;
    one that does not answer is sent the job anyway.
    """
    if device.startswith("tcp://"):
        _tcp(device, data, timeout, status)
    elif device.startswith("serial:"):
        _serial(device.removeprefix("serial:"), data, timeout, baud)
    else:
        _device_file(device, data, timeout)


def tcp_address(device: str) -> tuple[str, int]:
    parts = urlsplit(device)
    if not parts.hostname:
        raise PrinterError(f"{device}: no host (expected tcp://HOST:PORT)")
    return parts.hostname, parts.port or RAW_PORT


def _tcp(device: str, data: bytes, timeout: float, status: StatusCheck | None) -> None:
    host, port = tcp_address(device)
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            if status is not None:
                _check_status(sock, status, f"{host}:{port}")
            sock.settimeout(timeout)
            sock.sendall(data)
            # A clean close tells the printer the job is complete.
            sock.shutdown(socket.SHUT_WR)
    except TimeoutError as exc:
        raise PrinterError(f"{host}:{port} did not answer in {timeout:g} s") from exc
    except ConnectionRefusedError as exc:
        raise PrinterError(f"{host}:{port} refused the connection (printer off?)") from exc
    except OSError as exc:
        raise PrinterError(f"{host}:{port}: {exc.strerror or exc}") from exc


def _check_status(sock: socket.socket, status: StatusCheck, where: str) -> None:
    query, problem_of = status
    sock.sendall(query)
    sock.settimeout(STATUS_WAIT_S)
    try:
        answer = sock.recv(1)
    except TimeoutError:
        return  # no status support: print as before
    problem = problem_of(answer[0]) if answer else None
    if problem:
        raise PrinterError(f"{where}: {problem}")


def _device_file(path: str, data: bytes, timeout: float) -> None:
    """Write to a printer device without ever blocking past the deadline: usblp blocks
    a writer while the printer is out of paper, so the fd is non-blocking."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_APPEND)
    except FileNotFoundError as exc:
        raise PrinterError(f"{path} is missing (printer unplugged?)") from exc
    except OSError as exc:
        raise PrinterError(f"cannot open {path}: {exc.strerror}") from exc
    deadline = time.monotonic() + timeout
    view = memoryview(data)
    try:
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                raise PrinterError(f"{path} took no data for {timeout:g} s (out of paper?)")
            _, ready, _ = select.select([], [fd], [], left)
            if not ready:
                continue
            try:
                view = view[os.write(fd, view) :]
            except BlockingIOError:
                continue
    except OSError as exc:
        if isinstance(exc, PrinterError):
            raise
        if exc.errno in (errno.ENODEV, errno.EIO):
            raise PrinterError(f"{path} went away (printer unplugged?)") from exc
        raise PrinterError(f"{path}: {exc.strerror}") from exc
    finally:
        os.close(fd)


def _serial(port: str, data: bytes, timeout: float, baud: int) -> None:
    import serial  # only the serial printers' process needs pyserial loaded

    try:
        with serial.serial_for_url(port, baudrate=baud, write_timeout=timeout) as link:
            link.write(data)
            link.flush()
    except serial.SerialTimeoutException as exc:
        raise PrinterError(f"{port} took no data for {timeout:g} s (out of paper?)") from exc
    except (serial.SerialException, OSError, ValueError) as exc:
        raise PrinterError(f"{port}: {exc}") from exc
