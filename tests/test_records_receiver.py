"""The reference receiver's POST /v1/records on 127.0.0.1: per-record answers, idempotent
on (station, kind, id, version), bodies checked (no whole numbers, no unnamed fields),
whole-request refusals, and a checker that never raises on any JSON."""

from __future__ import annotations

import gzip
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import requests
from hypothesis import given
from hypothesis import strategies as st

from sync.contract_records import record_problem, update_problem
from sync.headoffice.app import Admission, hash_token, new_token
from sync.headoffice.server import start
from tests.records_fixtures import ho_rows
from tests.sync_fixtures import STATION, Receiver, receiver_fixture  # noqa: F401

AT = "2026-11-28T09:00:00+08:00"
RESOLUTION = {
    "problem_seq": 12,
    "waybill": "75123456789001",
    "resolution": "compensated",
    "note": "paid 20 yuan",
    "operator": "s1",
    "resolved_at": AT,
}
SENDING = {
    "waybill": "75123456789002",
    "carrier": "zto",
    "sender_name": "王**",
    "sender_phone_last4": "5678",
    "province": "广东",
    "zone": "near",
    "weight_g": 800,
    "price_fen": 1200,
    "payment": "cash",
    "sent_at": AT,
    "sent_by": "c1",
    "sign_due_at": "2026-11-30T09:00:00+08:00",
    "state": "open",
}


def record(kind: str, rid: str, body: dict[str, Any], version: str = AT) -> dict[str, Any]:
    return {"kind": kind, "id": rid, "version": version, "body": body}


def post(rec: Receiver, body: Any, token: str | None = None, raw: bytes | None = None) -> Any:
    data = raw if raw is not None else gzip.compress(json.dumps(body).encode())
    headers = {"Authorization": f"Bearer {token or rec.token}", "Content-Encoding": "gzip"}
    if raw is not None:
        del headers["Content-Encoding"]
    return requests.post(rec.url + "/v1/records", data=data, headers=headers, timeout=10)


def good() -> dict[str, Any]:
    return record("resolution", "1", RESOLUTION)


def envelope(*records: dict[str, Any], station: str = STATION) -> dict[str, Any]:
    return {"station": station, "sent_at": AT, "records": list(records)}


def statuses(reply: requests.Response) -> list[tuple[str, str | None]]:
    assert reply.status_code == 200, reply.text
    return [(r["status"], r.get("reason")) for r in reply.json()["results"]]


def test_each_version_is_held_once(receiver: Receiver) -> None:
    first = envelope(record("resolution", "1", RESOLUTION), record("sending", "3", SENDING))
    assert statuses(post(receiver, first)) == [("accepted", None), ("accepted", None)]
    assert statuses(post(receiver, first)) == [("duplicate", None), ("duplicate", None)]
    signed = SENDING | {"state": "signed", "signed_at": "2026-11-29T10:00:00+08:00"}
    newer = envelope(record("sending", "3", signed, "2026-11-29T10:00:00+08:00"))
    assert statuses(post(receiver, newer)) == [("accepted", None)]
    rows = ho_rows(receiver, "SELECT kind, id, version FROM records ORDER BY n")
    assert [(r["kind"], r["id"], r["version"]) for r in rows] == [
        ("resolution", "1", AT),
        ("sending", "3", AT),
        ("sending", "3", "2026-11-29T10:00:00+08:00"),
    ]


def test_bad_records_are_rejected_one_by_one(receiver: Receiver) -> None:
    reply = post(
        receiver,
        envelope(
            record("resolution", "1", RESOLUTION | {"note": "rang 138 1234 5678"}),
            record("sending", "3", SENDING | {"sender_name": "王小明"}),
            record("sending", "4", SENDING | {"address": "深圳市南山区…"}),
            record("parcel", "5", {}),
            record("resolution", "a b", RESOLUTION),
            record("resolution", "7", RESOLUTION | {"resolved_at": "yesterday"}),
            record("resolution", "8", RESOLUTION),
        ),
    )
    got = statuses(reply)
    assert got[-1] == ("accepted", None)
    reasons = [reason for _, reason in got[:-1]]
    assert reasons == [
        "body.note: holds a whole phone or ID number",
        "body.sender_name: not of the expected form",
        "body.address: not a field of this record",
        "kind: expected one of handover, dispatch_batch, resolution, monthly, ticket, receipt,"
        " receipt_batch, sending, notify_resend",
        "id: expected 1 to 64 of 0-9 A-Z a-z . _ : -",
        "body.resolved_at: expected RFC 3339 with an offset",
    ]
    # Each answer names its record, so the station matches answers by key.
    assert [r["id"] for r in reply.json()["results"]] == ["1", "3", "4", "5", "a b", "7", "8"]


def test_whole_requests_refused_plainly(receiver: Receiver) -> None:
    good = record("resolution", "1", RESOLUTION)
    assert post(receiver, envelope(good, station="OTHER-1")).status_code == 403
    assert post(receiver, envelope(good), token=receiver.query_token()).status_code == 403
    assert post(receiver, {"station": STATION, "records": []}).status_code == 422
    assert post(receiver, envelope(*[good] * 201)).status_code == 422
    assert post(receiver, None, raw=b"{not json").status_code == 400
    assert post(receiver, None, raw=b"[" * 100_000).status_code == 400
    assert post(receiver, envelope(good), token="x" * 40).status_code == 401


def test_updates_need_the_stations_own_token(receiver: Receiver) -> None:
    url = f"{receiver.url}/v1/stations/OTHER-1/updates"
    auth = {"Authorization": f"Bearer {receiver.token}"}
    assert requests.get(url, headers=auth, timeout=5).status_code == 403
    mine = f"{receiver.url}/v1/stations/{STATION}/updates"
    assert requests.get(mine, headers=auth, timeout=5).json() == {"updates": [], "next": None}
    bad = requests.get(mine, params={"after": "-1"}, headers=auth, timeout=5)
    assert bad.status_code == 400


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=20,
)


@given(
    st.sampled_from(["handover", "ticket", "monthly", "receipt", "dispatch_batch", "x"]),
    JSON,
)
def test_the_checks_answer_any_json_without_raising(kind: str, body: Any) -> None:
    problem = record_problem(record(kind, "1", body if isinstance(body, dict) else {"b": body}))
    assert problem is None or isinstance(problem, str)
    update = update_problem({"kind": "ticket_answer", "ref": "1", "at": AT, "body": body})
    assert update is None or isinstance(update, str)


def test_records_wait_their_turn_when_head_office_is_full(tmp_path: Path) -> None:
    data = tmp_path / "head-office"
    running = start(data, admission=Admission(in_flight=1, retry_after_s=(2, 9)))
    token = new_token()
    running.storage.add_token(STATION, hash_token(token), "station")
    rec = Receiver(running, token, data)
    blocker = sqlite3.connect(str(data / "head-office.db"), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # the first upload waits inside its slot
    first: list[requests.Response] = []
    thread = threading.Thread(target=lambda: first.append(post(rec, envelope(good()))))
    thread.start()
    time.sleep(0.5)  # until the first upload holds the one slot
    try:
        deadline = time.monotonic() + 10
        busy = None
        while busy is None and time.monotonic() < deadline:
            reply = post(rec, envelope(record("resolution", "2", RESOLUTION)))
            busy = reply if reply.status_code == 503 else None
        assert busy is not None and 2 <= int(busy.headers["Retry-After"]) <= 9
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        thread.join(timeout=30)
        running.close()
    assert statuses(first[0]) == [("accepted", None)]
