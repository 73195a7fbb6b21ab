"""HTTP to head office: one keep-alive session, timeouts always set, bytes counted.

The client only speaks HTTP; what an answer means for the station is the uploader's call.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from importlib import metadata
from typing import Any

import requests

GZIP_LEVEL = 6


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
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def reason(self) -> str:
        """Head office's own words for a refusal, kept short."""
        data = self.json()
        if isinstance(data, dict):
            for key in ("reason", "error", "message"):
                if isinstance(data.get(key), str):
                    return str(data[key])[:200]
        return self.body[:200].decode("utf-8", "replace").strip()


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
            content = resp.content
        except requests.RequestException as exc:
            # The exception text names the URL and the cause, never the headers.
            raise LinkError(f"{type(exc).__name__}: {_short(exc)}") from None
        self._count(resp, body)
        return Reply(resp.status_code, dict(resp.headers), content)

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


def retry_after_s(reply: Reply) -> float | None:
    """Seconds to wait from Retry-After: delta-seconds, or an HTTP date read against Date."""
    value = reply.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
        sent = parsedate_to_datetime(reply.headers["Date"])
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    return max(0.0, (when - sent).total_seconds())
