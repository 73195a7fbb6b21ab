"""The reference head-office receiver: a Flask app over a Storage (HEAD-OFFICE-API.md).

Beyond the contract it offers a query API for head office's own use (a token of role
"query"): scans by station and time range, by waybill, and a parcel's timeline.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import json
import logging
import random
import re
import secrets
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request

from sync.contract import (
    SHA256,
    batch_problem,
    heartbeat_problem,
    parse_rfc3339,
    scan_problem,
)
from sync.headoffice.principals import CachedPrincipals
from sync.headoffice.rows import scan_rows
from sync.headoffice.storage import Principal, Storage

log = logging.getLogger(__name__)

MAX_BODY = 16 * 1024 * 1024  # after gzip is undone: 1000 scans fit many times over
MAX_PHOTO = 4 * 1024 * 1024
MANIFEST_PAGE = 500
GZIP_ABOVE = 1024
CURSOR = re.compile(r"[0-9]{1,18}")  # a manifest row id, within a 64-bit integer
BEARER = re.compile(r"Bearer ([A-Za-z0-9._~+/=-]{16,200})")


def hash_token(token: str) -> str:
    """Tokens are long random strings, so a plain SHA-256 is enough to store them."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class BadBody(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class Admission:
    """At most ``in_flight`` uploads (batches, photos) at once in this process; beyond it
    head office answers 503 at once with a Retry-After drawn from ``retry_after_s``, so a
    fleet that reconnects together spreads out instead of queueing past its timeouts."""

    in_flight: int = 4
    retry_after_s: tuple[int, int] = (1, 10)


def create_app(
    storage: Storage, admission: Admission | None = None, data_dir: Path | None = None
) -> Flask:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    admission = admission or Admission()
    slots = threading.BoundedSemaphore(admission.in_flight)
    rng = random.Random()
    principals = CachedPrincipals(storage.principal)

    def admitted(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Response:
            if not slots.acquire(blocking=False):
                wait = rng.randint(*admission.retry_after_s)
                log.info(
                    "busy: %d uploads in flight; asked to retry in %d s", admission.in_flight, wait
                )
                resp = refuse(503, "head office is busy; retry after the time given")
                resp.headers["Retry-After"] = str(wait)
                return resp
            try:
                return view(*args, **kwargs)
            finally:
                slots.release()

        return guarded

    def answer(status: int, body: dict[str, Any], **headers: str) -> Response:
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        try:
            data = text.encode()
        except UnicodeEncodeError:  # a lone surrogate echoed back: escape it instead
            data = json.dumps(body, separators=(",", ":")).encode()
        resp = Response(data, status=status, mimetype="application/json")
        if len(data) > GZIP_ABOVE and "gzip" in request.headers.get("Accept-Encoding", ""):
            resp.set_data(gzip.compress(data, 6, mtime=0))
            resp.headers["Content-Encoding"] = "gzip"
            resp.headers["Vary"] = "Accept-Encoding"
        resp.headers.update(headers)
        return resp

    def refuse(status: int, reason: str) -> Response:
        return answer(status, {"error": reason})

    def principal() -> Principal:
        p: Principal = g.principal
        return p

    @app.before_request
    def authenticate() -> Response | None:
        # The page (dashboard/) signs its operators in itself; the pickup page (扫码取件) is the
        # recipient's, and its signed token is its own proof.
        if request.path == "/v1/health" or request.path.split("/")[1] in ("ho", "collect"):
            return None
        match = BEARER.fullmatch(request.headers.get("Authorization", ""))
        found = principals(hash_token(match.group(1))) if match else None
        if found is None:
            return refuse(401, "unknown or missing token")
        g.principal = found
        return None

    @app.get("/v1/health")
    def health() -> Response:
        return answer(200, {"ok": True})

    @app.post("/v1/scans")
    @admitted
    def post_scans() -> Response:
        who = principal()
        if who.role != "station":
            return refuse(403, "this token is not a station's")
        try:
            body = read_json(MAX_BODY)
        except BadBody as exc:
            return refuse(exc.status, str(exc))
        problem = batch_problem(body)
        if problem:
            return refuse(422, problem)
        if body["station"] != who.name:
            return refuse(403, f"this token belongs to station {who.name}, not {body['station']}")
        scans = body["scans"]
        problems = [scan_problem(s) for s in scans]
        valid = [s for s, p in zip(scans, problems, strict=True) if p is None]
        rows = scan_rows(who.name, body["batch_id"], valid, utc_now())
        held, station_seq = storage.accept(who.name, rows)
        stored = iter(held)
        results = []
        for scan, problem in zip(scans, problems, strict=True):
            event_id = scan.get("event_id") if isinstance(scan, dict) else None
            event_id = event_id if isinstance(event_id, str) and len(event_id) <= 64 else None
            if problem is not None:
                results.append({"event_id": event_id, "status": "rejected", "reason": problem})
                continue
            status, reason = next(stored)
            item = {"event_id": event_id, "status": status}
            if reason:
                item["reason"] = reason
            results.append(item)
        # Version 2: head office's highest seq for the station, so a restored station
        # numbers its next scans above it.
        body = {"results": results, "server_time": utc_now()}
        return answer(200, body | {"station_seq": station_seq})

    @app.get("/v1/stations/<station>")
    def station_info(station: str) -> Response:
        who = principal()
        if who.role != "query" and who.name != station:
            return refuse(403, f"this token belongs to station {who.name}")
        return answer(200, {"station": station, "station_seq": storage.station_seq(station)})

    @app.post("/v1/stations/<station>/heartbeat")
    def heartbeat(station: str) -> Response:
        """Version 4: how a station is doing; the latest one per station is kept."""
        who = principal()
        if who.role != "station" or who.name != station:
            return refuse(403, f"this token is not station {station}'s")
        try:
            body = read_json(64 * 1024)
        except BadBody as exc:
            return refuse(exc.status, str(exc))
        problem = heartbeat_problem(body)
        if problem:
            return refuse(422, problem)
        storage.put_heartbeat(station, body, utc_now())
        return answer(200, {"ok": True, "server_time": utc_now()})

    @app.get("/v1/query/stations")
    def fleet() -> Response:
        if principal().role != "query":
            return refuse(403, "queries need a token of role query")
        return answer(200, {"stations": storage.heartbeats()})

    @app.route("/v1/photos/<sha>", methods=["HEAD", "PUT"])
    @admitted
    def photo(sha: str) -> Response:
        if not SHA256.fullmatch(sha):
            return refuse(404, "not a lowercase hex SHA-256")
        who = principal()
        # A station learns only about photos it sent itself: no cross-station oracle.
        holder = None if who.role == "query" else who.name
        if request.method == "HEAD":
            return Response(status=200 if storage.has_photo(sha, holder) else 404)
        if who.role != "station":
            return refuse(403, "only a station's token may store photos")
        if request.content_length and request.content_length > MAX_PHOTO:
            return refuse(413, "a photo may be at most 4 MiB")
        try:
            data = _body(MAX_PHOTO)
        except BadBody as exc:
            return refuse(exc.status, str(exc))
        if hashlib.sha256(data).hexdigest() != sha:
            return refuse(422, "the body's SHA-256 differs from the path")
        if not is_jpeg(data):
            return refuse(415, "body: not a JPEG image")
        created = storage.put_photo(sha, data, utc_now(), who.name)
        return answer(201 if created else 200, {"sha256": sha, "size": len(data)})

    @app.get("/v1/stations/<station>/manifest")
    def manifest(station: str) -> Response:
        who = principal()
        if who.role != "query" and who.name != station:
            return refuse(403, f"this token belongs to station {who.name}")
        after = request.args.get("after") or None
        if after is not None and not CURSOR.fullmatch(after):
            return refuse(400, "after: expected the cursor a previous page gave")
        page = storage.manifest(station, after, MANIFEST_PAGE)
        return answer(200, {"parcels": page.parcels, "next": page.next})

    @app.get("/v1/query/scans")
    def query_scans() -> Response:
        if principal().role != "query":
            return refuse(403, "queries need a token of role query")
        station, waybill = request.args.get("station"), request.args.get("waybill")
        since, until = request.args.get("from"), request.args.get("to")
        if not station and not waybill:
            return refuse(400, "give station (with from/to) or waybill")
        for name, value in (("from", since), ("to", until)):
            if value is not None and parse_rfc3339(value) is None:
                return refuse(400, f"{name}: expected RFC 3339 with an offset")
        try:
            limit = min(10000, max(1, int(request.args.get("limit", "1000"))))
        except ValueError:
            return refuse(400, "limit: expected a number")
        rows = storage.scans(
            station=station, waybill=waybill, since=since, until=until, limit=limit
        )
        return answer(200, {"scans": rows})

    @app.get("/v1/query/parcels/<waybill>/timeline")
    def timeline(waybill: str) -> Response:
        if principal().role != "query":
            return refuse(403, "queries need a token of role query")
        rows = storage.scans(waybill=waybill, limit=10000)
        events = [
            {
                "at": r["scanned_at"],
                "station": r["station"],
                "type": r["type"],
                "seq": r["seq"],
                "event_id": r["event_id"],
                "clock_synced": r["clock_synced"],
                "shelf": r["shelf"],
                "dispatch_reason": r["dispatch_reason"],
                "problem_code": r["problem_code"],
                "signer": r["signer"],
                "photos": r["photos"],
            }
            for r in rows
        ]
        stations = list(dict.fromkeys(e["station"] for e in events))
        last = events[-1]["type"] if events else None
        return answer(
            200, {"waybill": waybill, "stations": stations, "last": last, "events": events}
        )

    from sync.headoffice.records import blueprint  # version 3; imports this module

    app.register_blueprint(blueprint(storage, admitted))
    from sync.headoffice.dashboard.pages import blueprint as page  # head office's own page

    app.register_blueprint(page(storage))
    if data_dir is not None:  # scan-to-collect: its key and page live in the data folder
        from sync.headoffice.notify.page import blueprint as collect_pages

        app.register_blueprint(collect_pages(data_dir))
    return app


def is_jpeg(data: bytes) -> bool:
    """The body starts a JPEG (SOI, then a marker) and Pillow reads its header as one;
    only the header is read, never the pixels."""
    if not data.startswith(b"\xff\xd8\xff"):
        return False
    from PIL import Image  # only a process that receives photos loads Pillow

    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.format == "JPEG"
    except (OSError, ValueError, Image.DecompressionBombError):
        return False


def read_json(limit: int) -> Any:
    """The request's body as JSON; BadBody when it cannot be read (400, 413, 415)."""
    try:
        return json.loads(_body(limit))
    except ValueError:
        raise BadBody(400, "body: not JSON") from None
    except RecursionError:
        raise BadBody(400, "body: JSON nested too deep") from None


def _body(limit: int) -> bytes:
    """The request body, gzip undone, refusing more than ``limit`` bytes after it."""
    data = request.get_data(cache=False)
    encoding = request.headers.get("Content-Encoding", "identity").lower()
    if encoding == "gzip":
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            data = inflater.decompress(data, limit + 1)
        except zlib.error:
            raise BadBody(400, "body: not valid gzip") from None
        if len(data) > limit or inflater.unconsumed_tail:
            raise BadBody(413, f"body: more than {limit} bytes once unzipped")
    elif encoding != "identity":
        raise BadBody(415, f"Content-Encoding {encoding} not supported (use gzip)")
    if len(data) > limit:
        raise BadBody(413, f"body: more than {limit} bytes")
    return data
