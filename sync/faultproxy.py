"""A fault-injecting HTTP reverse proxy on 127.0.0.1, for fault tests and the benchmark.

It stands between the uploader and a real receiver and, per request, may answer 500,
503 or 429 with Retry-After (seconds or an HTTP date), 401, reset the connection before
forwarding or *after* the receiver answered (so the receiver committed and the answer is
lost), or hold the answer longer than the client waits. It counts what it did and the
bytes that crossed it.
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import random
import socket
import struct
import sys
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from email.message import Message
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

FAULTS = ("500", "503", "429-date", "reset-before", "reset-after", "slow")
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "proxy-connection",
    "host",
    "te",
    "trailer",
    "upgrade",
    "proxy-authorization",
    "proxy-authenticate",
}


@dataclass
class FaultPlan:
    """Which fault, if any, each request meets: queued ones first, then at random."""

    rate: float = 0.0
    kinds: tuple[str, ...] = FAULTS
    seed: int = 0
    retry_after_s: int = 1
    slow_s: float = 2.0
    paths: tuple[str, ...] = ("/v1/",)
    queued: deque[str] = field(default_factory=deque)
    # A receiver stricter than ours: 422 for a whole batch holding this text, 413 for a
    # batch of more scans than this.
    poison: str | None = None
    max_batch: int | None = None

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def queue(self, *kinds: str) -> None:
        with self._lock:
            self.queued.extend(kinds)

    def choose(self, path: str) -> str | None:
        if not path.startswith(self.paths):
            return None
        with self._lock:
            if self.queued:
                return self.queued.popleft()
            if self.rate and self._rng.random() < self.rate:
                return self._rng.choice(self.kinds)
        return None


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that vanish (killed, timed out) are part of the test, not errors."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class FaultProxy:
    def __init__(self, upstream: str, plan: FaultPlan | None = None, port: int = 0) -> None:
        self.upstream = urlsplit(upstream)
        self.plan = plan or FaultPlan()
        self.counts: Counter[str] = Counter()
        self.bytes_in = 0  # client -> proxy
        self.bytes_out = 0  # proxy -> client
        self._lock = threading.Lock()
        self.server = _Server(("127.0.0.1", port), _handler(self))
        self.server.daemon_threads = True
        self._thread = threading.Thread(
            target=self.server.serve_forever, daemon=True, name="fault-proxy"
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def count(self, kind: str | None, bytes_in: int = 0, bytes_out: int = 0) -> None:
        with self._lock:
            if kind:
                self.counts[kind] += 1
            self.bytes_in += bytes_in
            self.bytes_out += bytes_out

    def forward(
        self, method: str, path: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(
            self.upstream.hostname or "127.0.0.1", self.upstream.port or 80, timeout=60
        )
        try:
            conn.request(method, path, body=body or None, headers=dict(headers))
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, resp.reason, resp.getheaders(), data
        finally:
            conn.close()


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: requests carry tokens in headers and tests print enough."""

        def do_GET(self) -> None:
            self._relay()

        do_POST = do_PUT = do_HEAD = do_DELETE = do_GET

        def _relay(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            size_in = len(self.requestline) + 2 + len(bytes(self.headers)) + len(body)
            fault = proxy.plan.choose(self.path)
            proxy.count(fault)  # now: a slow answer may never finish
            if fault == "reset-before":
                proxy.count(None, size_in)
                self._reset()
                return
            if fault in ("500", "401"):
                self._answer(int(fault), [], b'{"error":"injected"}', None, size_in)
                return
            if fault == "503":
                retry = [("Retry-After", str(proxy.plan.retry_after_s))]
                self._answer(503, retry, b'{"error":"busy"}', None, size_in)
                return
            if fault == "429-date":
                now = time.time()
                date = [
                    ("Date", formatdate(now, usegmt=True)),
                    ("Retry-After", formatdate(now + proxy.plan.retry_after_s, usegmt=True)),
                ]
                self._answer(429, date, b'{"error":"slow down"}', None, size_in)
                return
            refusal = _strict(proxy.plan, self.command, self.path, self.headers, body)
            if refusal:
                self._answer(
                    refusal, [], b'{"error":"refused by the proxy"}', str(refusal), size_in
                )
                return
            headers = [(k, v) for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP]
            try:
                status, _, resp_headers, data = proxy.forward(
                    self.command, self.path, headers, body
                )
            except OSError:
                proxy.count("upstream-down", size_in)
                self._reset()
                return
            if fault == "reset-after":
                proxy.count(None, size_in)
                self._reset()
                return
            if fault == "slow":
                time.sleep(proxy.plan.slow_s)
            kept = [
                (k, v)
                for k, v in resp_headers
                if k.lower() not in HOP_BY_HOP and k.lower() != "content-length"
            ]
            self._answer(
                status,
                kept,
                data,
                None if fault else "passed",
                size_in,
                head_only=self.command == "HEAD",
            )

        def _answer(
            self,
            status: int,
            headers: list[tuple[str, str]],
            body: bytes,
            kind: str | None,
            size_in: int,
            head_only: bool = False,
        ) -> None:
            lines = [f"HTTP/1.1 {status} {http.client.responses.get(status, '')}"]
            if not any(k.lower() == "date" for k, _ in headers):
                headers = [*headers, ("Date", formatdate(time.time(), usegmt=True))]
            lines += [f"{k}: {v}" for k, v in headers]
            lines.append(f"Content-Length: {len(body)}")
            raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
            if not head_only:
                raw += body
            proxy.count(kind, size_in, len(raw))
            try:
                self.wfile.write(raw)
                self.wfile.flush()
            except OSError:
                self.close_connection = True

        def _reset(self) -> None:
            """Close with RST, not FIN: the client sees 'connection reset'."""
            self.close_connection = True
            try:
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()
            except OSError:
                pass

        def finish(self) -> None:
            with contextlib.suppress(OSError, ValueError):
                super().finish()

    return Handler


def _strict(plan: FaultPlan, method: str, path: str, headers: Message, body: bytes) -> int:
    """The whole-batch refusal a stricter receiver would give, or 0."""
    if method != "POST" or not path.startswith("/v1/scans"):
        return 0
    if plan.poison is None and plan.max_batch is None:
        return 0
    if headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    if plan.poison is not None and plan.poison.encode() in body:
        return 422
    if plan.max_batch is not None and len(json.loads(body)["scans"]) > plan.max_batch:
        return 413
    return 0
