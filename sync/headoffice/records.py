"""Contract version 3 at the receiver: POST /v1/records (the station's other records,
checked per item), GET /v1/stations/{station}/records (the query API) and
GET /v1/stations/{station}/updates (what head office sends back). A blueprint of its own,
registered by ``create_app``; a storage without records tables answers 404, as a
version-1 receiver does."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, g, request

from sync.contract_records import record_key, record_problem, records_envelope_problem
from sync.headoffice.app import CURSOR, MAX_BODY, BadBody, read_json, utc_now
from sync.headoffice.records_sqlite import Records, SQLiteRecords
from sync.headoffice.sqlite import SQLiteStorage
from sync.headoffice.storage import Principal, Storage

log = logging.getLogger(__name__)

PAGE = 500


def records_for(storage: Storage) -> Records | None:
    """The records tables beside a storage, or None when its backend has none yet."""
    if isinstance(storage, SQLiteStorage):
        return SQLiteRecords(storage)
    pool = getattr(storage, "pool", None)  # the PostgreSQL backend's connection pool
    if pool is not None:
        from sync.headoffice.records_pg import PostgresRecords  # only where psycopg is

        return PostgresRecords(pool)
    return None


def _answer(status: int, body: dict[str, Any]) -> Response:
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "replace")
    return Response(data, status=status, mimetype="application/json")


def _refuse(status: int, reason: str) -> Response:
    return _answer(status, {"error": reason})


def _after() -> int | None:
    """The `after` cursor (0 when absent), or None when it is not one."""
    after = request.args.get("after") or "0"
    return int(after) if CURSOR.fullmatch(after) else None


View = Callable[..., Response]


def blueprint(storage: Storage, admitted: Callable[[View], View]) -> Blueprint:
    """The routes; ``admitted`` is the app's admission control, which uploads go through."""
    bp = Blueprint("records", __name__)
    records = records_for(storage)

    def who() -> Principal:
        p: Principal = g.principal
        return p

    @bp.before_request
    def known() -> Response | None:
        return _refuse(404, "this receiver keeps no records") if records is None else None

    @bp.post("/v1/records")
    @admitted
    def post_records() -> Response:
        assert records is not None
        me = who()
        if me.role != "station":
            return _refuse(403, "this token is not a station's")
        try:
            body = read_json(MAX_BODY)
        except BadBody as exc:
            return _refuse(exc.status, str(exc))
        problem = records_envelope_problem(body)
        if problem:
            return _refuse(422, problem)
        if body["station"] != me.name:
            return _refuse(403, f"this token belongs to station {me.name}, not {body['station']}")
        items = body["records"]
        problems = [record_problem(item) for item in items]
        valid = [i for i, p in zip(items, problems, strict=True) if p is None]
        stored = iter(records.add_records(me.name, valid, utc_now()))
        results = []
        for item, problem in zip(items, problems, strict=True):
            key = record_key(item)
            named = dict(zip(("kind", "id", "version"), key or (None, None, None), strict=True))
            if problem is not None:
                log.info("record from %s rejected: %s", me.name, problem)
                results.append(named | {"status": "rejected", "reason": problem})
            else:
                results.append(named | {"status": next(stored)})
        return _answer(200, {"results": results, "server_time": utc_now()})

    def page_of(station: str, name: str, fetch: Callable[[int], list[dict[str, Any]]]) -> Response:
        """A station's page after the `after` cursor, to its own token or a query token."""
        me = who()
        if me.role != "query" and me.name != station:
            return _refuse(403, f"this token belongs to station {me.name}")
        after = _after()
        if after is None:
            return _refuse(400, "after: expected the cursor a previous page gave")
        page = fetch(after)
        nxt = page[-1]["cursor"] if page else (str(after) if after else None)
        return _answer(200, {name: page, "next": nxt})

    @bp.get("/v1/stations/<station>/records")
    def query_records(station: str) -> Response:
        assert records is not None
        kind = request.args.get("kind") or None
        if kind is not None and len(kind) > 64:
            return _refuse(400, "kind: too long")
        return page_of(station, "records", lambda a: records.records(station, kind, a, PAGE))

    @bp.get("/v1/stations/<station>/updates")
    def updates(station: str) -> Response:
        assert records is not None
        return page_of(station, "updates", lambda a: records.updates(station, a, PAGE))

    return bp
