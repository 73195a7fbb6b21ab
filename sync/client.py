"""HTTP to head office: one keep-alive session, timeouts always set, bytes counted.

The client only speaks HTTP; what an answer means for the station is the uploader's call.
A head office that misbehaves cannot hold the station: redirects are never followed, an
answer is read up to MAX_ANSWER_BYTES and must be complete within the read timeout.
"""

from __future__ import annotations

import gzip
import http.client
import json
import math
import socket
import threading
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from importlib import metadata
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

GZIP_LEVEL = 6
# A batch's answer is about 100 bytes a scan; a manifest page is far smaller than this.
MAX_ANSWER_BYTES = 4 * 1024 * 1024
_CHUNK = 16 * 1024  # small, so a gzip bomb cannot inflate much past the limit in one read


def user_agent() -> str:
    try:
        version = metadata.version("station-edge")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"station-edge/{version}"


class LinkError(RuntimeError):
    """No answer from head office: refused, reset, timed out, TLS failure."""


@dataclass
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def __post_init__(self) -> None:
        self.headers = CaseInsensitiveDict(self.headers)

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON (HTML, empty, nested too deep)."""
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            return None

    def reason(self) -> str:
        """Head office's own words for a refusal, kept short and on one line."""
        data = self.json()
        if isinstance(data, dict):
            for key in ("reason", "error", "message"):
                if isinstance(data.get(key), str):
                    return plain(data[key], 200)
        return plain(self.body[:200].decode("utf-8", "replace"), 200)


def plain(text: object, limit: int) -> str:
    """Text from head office made fit for one log line: whitespace folded, length capped."""
    return " ".join(str(text).split())[:limit]


@dataclass
class WireCount:
    """HTTP bytes both ways (request line, headers and bodies as sent; not TCP/IP)."""

    sent: int = 0
    received: int = 0
    requests: int = 0

    @property
    def total(self) -> int:
        return self.sent + self.received


@dataclass
class HeadOfficeClient:
    base_url: str
    token: str = field(repr=False)  # never in a repr, a traceback or a log
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0
    ca_bundle: str = ""
    wire: WireCount = field(default_factory=WireCount)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.session = requests.Session()
        adapter = _DeadlineAdapter()
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update(
            {
                "User-Agent": user_agent(),
                "Accept-Encoding": "gzip",
            }
        )
        self.session.verify = self.ca_bundle or True
        self.session.trust_env = False  # no proxy from the environment for head office

    def set_token(self, token: str) -> None:
        self.token = token

    def close(self) -> None:
        self.session.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> Reply:
        all_headers = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        deadline = _Deadline(self.read_timeout_s)
        _armed.deadline = deadline
        resp = None
        try:
            resp = self.session.request(
                method,
                self.base_url + path,
                data=body,
                headers=all_headers,
                params=params,
                timeout=(self.connect_timeout_s, self.read_timeout_s),
                allow_redirects=False,
                stream=True,
            )
            content = _read_capped(resp, MAX_ANSWER_BYTES)
            if deadline.expired:  # a cut-off answer without a length can look complete
                raise OSError("answer cut off")
        except (
            requests.RequestException,
            urllib3.exceptions.HTTPError,
            http.client.HTTPException,
            OSError,
            ValueError,
        ) as exc:
            if deadline.expired:
                why = f"no complete answer within {self.read_timeout_s:g} s (read_timeout_s)"
            elif isinstance(exc, requests.exceptions.SSLError):
                why = _tls_problem(exc)
            else:
                # The exception text names the URL and the cause, never the headers.
                why = f"{type(exc).__name__}: {_short(exc)}"
            raise LinkError(why) from None
        finally:
            deadline.cancel()
            _armed.deadline = None
            if resp is not None:
                resp.close()  # a connection with an answer left unread is not used again
        self._count(resp, body)
        return Reply(resp.status_code, resp.headers, content)

    def _count(self, resp: requests.Response, body: bytes | None) -> None:
        req = resp.request
        head = len(f"{req.method} {req.path_url} HTTP/1.1\r\n")
        head += sum(len(k) + len(str(v)) + 4 for k, v in req.headers.items()) + 2
        self.wire.sent += head + len(body or b"")
        raw_body = resp.raw.tell() if resp.raw is not None else len(resp.content)
        self.wire.received += (
            len(f"HTTP/1.1 {resp.status_code} {resp.reason}\r\n")
            + sum(len(k) + len(v) + 4 for k, v in resp.headers.items())
            + 2
            + raw_body
        )
        self.wire.requests += 1

    def post_json(self, path: str, payload: bytes, *, compress: bool = True) -> Reply:
        headers = {"Content-Type": "application/json"}
        if compress:
            payload = gzip.compress(payload, GZIP_LEVEL, mtime=0)
            headers["Content-Encoding"] = "gzip"
        return self.request("POST", path, body=payload, headers=headers)


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 300 else text[:300] + "…"


def _tls_problem(exc: Exception) -> str:
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" not in text:
        return f"TLS failure talking to head office: {_short(exc)}"
    why = text.split("certificate verify failed:", 1)[-1].split("(_ssl", 1)[0].strip(" ')")
    return (
        f"head office's TLS certificate is not trusted ({why or 'verify failed'}); if your own "
        "CA signed it, set [head_office] ca_bundle to that CA's PEM file"
    )


class _TooLarge(OSError):
    pass


def _read_capped(resp: requests.Response, limit: int) -> bytes:
    declared = resp.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _TooLarge(f"answer of {declared} bytes is over the {limit} byte limit; not read")
    chunks, size = [], 0
    for chunk in resp.iter_content(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise _TooLarge(f"answer over the {limit} byte limit; not read further")
        chunks.append(chunk)
    return b"".join(chunks)


# The deadline of the request this thread is making (requests offers no per-request hook).
_armed = threading.local()


class _Deadline:
    """Ends an answer that is not complete in time by shutting its socket down: requests'
    read timeout bounds each recv, so a server trickling a byte a second holds us forever."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._timer: threading.Timer | None = None

    def arm(self, sock: socket.socket | None) -> None:
        if sock is None or self._timer is not None:
            return
        self._timer = threading.Timer(self.seconds, self._expire, (sock,))
        self._timer.daemon = True
        self._timer.start()

    def _expire(self, sock: socket.socket) -> None:
        self.expired = True
        with suppress(OSError):
            # The plain socket's shutdown, also under TLS: the reading thread sees EOF.
            socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


def _answer(conn: HTTPConnection, getresponse: Callable[[], Any]) -> Any:
    """The request is sent: the answer's clock starts now."""
    deadline = getattr(_armed, "deadline", None)
    if deadline is not None:
        deadline.arm(conn.sock)
    method = getattr(conn, "_method", None)  # http.client's record of the request
    resp = getresponse()
    if method == "HEAD":
        conn.close()  # bytes a broken server sends after a HEAD answer must not be read next
    return resp


class _HTTPConnection(HTTPConnection):
    def getresponse(self) -> Any:
        return _answer(self, super().getresponse)


class _HTTPSConnection(HTTPSConnection):
    def getresponse(self) -> Any:
        return _answer(self, super().getresponse)


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _DeadlineAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


def retry_after_s(reply: Reply) -> float | None:
    """Seconds to wait from Retry-After: delta-seconds, or an HTTP date read against Date.
    None when absent or unusable (negative, garbage, no Date to read a date against)."""
    value = reply.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(value)
        sent = parsedate_to_datetime(reply.headers["Date"])
        return max(0.0, (when - sent).total_seconds())
    except (KeyError, TypeError, ValueError, IndexError, OverflowError):
        return None
