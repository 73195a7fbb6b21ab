"""Head office under hostile input: photo roles, malformed bodies, privacy of recipient
fields, the station's seq high-water mark, and re-sending a scan the station can correct."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.store import Store
from sync.contract import mask_numbers, scan_problem
from sync.headoffice.manifest_csv import parse_manifest_csv
from sync.station.manifest import manifest_parcels
from tests.sync_fixtures import (  # noqa: F401
    STATION,
    Env,
    Receiver,
    ScriptedServer,
    Seen,
    a_scan,
    all_accepted,
    batch,
    env_fixture,
    jpeg,
    make_uploader,
    post,
    receiver_fixture,
    station_config,
    write_token,
)
from tests.sync_fixtures import (
    answer as script_answer,
)

WHOLE_NUMBERS = ("张三 13812345678", "+86 139-1234-5678", "110101199003071234", "王 1234567")


def other_station(rec: Receiver, name: str = "SZ-OTHER-1") -> str:
    from sync.headoffice.app import hash_token, new_token

    token = new_token()
    rec.running.storage.add_token(name, hash_token(token), "station")
    return token


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "image/jpeg"}


# -- item 7: photos ---------------------------------------------------------------------------
def test_only_a_station_token_may_put_a_photo(receiver: Receiver) -> None:
    data = jpeg("query token tries")
    url = f"{receiver.url}/v1/photos/{hashlib.sha256(data).hexdigest()}"
    refused = requests.put(url, data=data, headers=auth(receiver.query_token()), timeout=5)
    assert refused.status_code == 403
    assert not receiver.running.storage.has_photo(hashlib.sha256(data).hexdigest(), None)


@pytest.mark.parametrize(
    "body", [b"\xff\xd8\xff not really a jpeg", b"\x89PNG\r\n\x1a\n....", b"GIF89a", b""]
)
def test_a_photo_must_be_a_jpeg(receiver: Receiver, body: bytes) -> None:
    url = f"{receiver.url}/v1/photos/{hashlib.sha256(body).hexdigest()}"
    resp = requests.put(url, data=body, headers=auth(receiver.token), timeout=5)
    assert resp.status_code == 415 and "JPEG" in resp.json()["error"]


def test_no_station_learns_whether_another_holds_a_photo(receiver: Receiver) -> None:
    data = jpeg("station one's parcel")
    url = f"{receiver.url}/v1/photos/{hashlib.sha256(data).hexdigest()}"
    other = other_station(receiver)
    assert requests.put(url, data=data, headers=auth(receiver.token), timeout=5).status_code == 201
    assert requests.head(url, headers=auth(receiver.token), timeout=5).status_code == 200
    # The other station sees exactly what it would see for a photo nobody holds.
    assert requests.head(url, headers=auth(other), timeout=5).status_code == 404
    assert requests.put(url, data=data, headers=auth(other), timeout=5).status_code == 201
    assert requests.put(url, data=data, headers=auth(other), timeout=5).status_code == 200
    assert requests.head(url, headers=auth(receiver.query_token()), timeout=5).status_code == 200


def test_a_photo_head_office_refuses_as_not_jpeg_is_reported_not_resent(env: Env) -> None:
    from tests.test_sync_uploader import add_photo

    sha = add_photo(env, b"\xff\xd8 not a jpeg at all")
    env.scan("problem", "SF1234567890123", reason="damaged", photos=(sha,))
    assert env.uploader().turn().accepted == 1
    failed = {p["sha256"]: p["upload_error"] for p in env.store.failed_photos()}
    assert "JPEG" in failed[sha]
    assert env.uploader().turn().photos == 0


# -- item 8: malformed bodies -----------------------------------------------------------------
def test_json_nested_a_thousand_deep_is_400(receiver: Receiver) -> None:
    resp = post(receiver, None, raw=b"[" * 1000 + b"]" * 1000, gz=False)
    assert resp.status_code == 400 and "deep" in resp.json()["error"]
    resp = post(receiver, None, raw=b'{"a":' * 100_000 + b"1" + b"}" * 100_000, gz=False)
    assert resp.status_code == 400


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"type": ["receive"]}, "type"),
        ({"type": {"a": 1}}, "type"),
        ({"dispatch_reason": ["delivery"], "type": "dispatch"}, "dispatch_reason"),
        ({"problem_code": {"x": 1}, "type": "problem"}, "problem_code"),
        ({"signer": {"relation": ["self"]}, "type": "sign"}, "signer.relation"),
        ({"scanned_at": "0001-01-01T00:00:00+08:00"}, "scanned_at"),
        ({"scanned_at": "9999-12-31T23:59:59-08:00"}, "scanned_at"),
        ({"event_id": ["x"]}, "event_id"),
        ({"seq": 10**30}, "seq"),
        ({"clock": []}, "clock"),
        ({"photos": [["a"]]}, "photos"),
    ],
)
def test_a_bad_field_rejects_only_its_scan(
    receiver: Receiver, fields: dict[str, Any], reason: str
) -> None:
    resp = post(receiver, batch(a_scan(1), a_scan(2) | fields, a_scan(3)))
    assert resp.status_code == 200, resp.text
    results = resp.json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "accepted"]
    assert results[1]["reason"].startswith(reason)


@pytest.mark.parametrize(
    "envelope",
    [
        {"sent_at": "0001-01-01T00:00:00+01:00"},
        {"sent_at": "9999-12-31T23:59:59-01:00"},
        {"batch_id": "\ud800"},
        {"station": "\udfff"},
        {"scans": {"0": 1}},
    ],
)
def test_a_bad_envelope_is_422_not_500(receiver: Receiver, envelope: dict[str, Any]) -> None:
    body = batch(a_scan(1)) | envelope
    raw = json.dumps(body).encode()  # ensure_ascii keeps lone surrogates as \\u escapes
    assert post(receiver, None, raw=raw, gz=False).status_code == 422


def test_an_event_id_echoed_back_is_always_a_short_string(receiver: Receiver) -> None:
    raw = json.dumps(batch(a_scan(1, event_id="\ud800" * 3), a_scan(2, event_id="x" * 5000)))
    resp = post(receiver, None, raw=raw.encode(), gz=False)
    assert resp.status_code == 200
    assert [r["event_id"] for r in resp.json()["results"]] == ["\ud800" * 3, None]


@pytest.mark.parametrize("after", ["1" * 30, "-1", "abc", "1e5", "9" * 19])
def test_a_manifest_cursor_out_of_range_is_400(receiver: Receiver, after: str) -> None:
    resp = requests.get(
        f"{receiver.url}/v1/stations/{STATION}/manifest",
        params={"after": after},
        headers={"Authorization": f"Bearer {receiver.token}"},
        timeout=5,
    )
    assert resp.status_code == 400 and "after" in resp.json()["error"]


@pytest.mark.parametrize("bound", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00"])
def test_query_bounds_at_the_ends_of_time_are_400(receiver: Receiver, bound: str) -> None:
    resp = requests.get(
        f"{receiver.url}/v1/query/scans",
        params={"station": STATION, "from": bound},
        headers={"Authorization": f"Bearer {receiver.query_token()}"},
        timeout=5,
    )
    assert resp.status_code == 400


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
FIELDS = st.sampled_from(sorted(a_scan()))


@st.composite
def hostile_bodies(draw: st.DrawFn) -> Any:
    """Arbitrary JSON, or a nearly right batch with some fields replaced by arbitrary JSON
    (the shape that reaches deepest into the receiver)."""
    if draw(st.booleans()):
        return draw(JSON)
    scans = []
    for seq in range(1, draw(st.integers(1, 3)) + 1):
        scan = a_scan(seq)
        for name in draw(st.lists(FIELDS, max_size=3)):
            scan[name] = draw(JSON)
        scans.append(scan)
    body = batch(*scans)
    for name in draw(st.lists(st.sampled_from(sorted(body)), max_size=1)):
        body[name] = draw(JSON)
    return body


@settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=hostile_bodies())
def test_arbitrary_json_at_scans_never_gets_a_5xx(receiver: Receiver, body: Any) -> None:
    resp = post(receiver, None, raw=json.dumps(body).encode(), gz=False)
    assert resp.status_code < 500, resp.text
    if resp.status_code == 200:
        results = resp.json()["results"]
        assert len(results) == len(body["scans"])
        for scan, result in zip(body["scans"], results, strict=True):
            if scan_problem(scan) is not None:  # valid ones may still reuse a seq
                assert result["status"] == "rejected"


# -- item 9: privacy of recipient fields ------------------------------------------------------
@pytest.mark.parametrize("text", WHOLE_NUMBERS)
def test_no_recipient_field_keeps_a_run_of_seven_digits(text: str) -> None:
    masked = mask_numbers(text)
    assert masked != text
    assert not any(
        len(run) >= 7 for run in "".join(c if c.isdigit() else " " for c in masked).split()
    )
    assert masked.endswith(text.replace("-", "")[-4:])


def test_masked_text_is_left_as_it_is() -> None:
    for text in ("张*三 138****5678", "3-2-1045", "Room 1203", "王*"):
        assert mask_numbers(text) == text


def test_manifest_import_masks_whole_numbers(receiver: Receiver) -> None:
    rows = ["station,waybill,recipient_masked"]
    rows += [f'{STATION},SF{i:010d},"{text}"' for i, text in enumerate(WHOLE_NUMBERS)]
    receiver.running.storage.import_manifest(
        parse_manifest_csv("\n".join(rows)), "2026-11-22T01:00:00Z"
    )
    resp = requests.get(
        f"{receiver.url}/v1/stations/{STATION}/manifest",
        headers={"Authorization": f"Bearer {receiver.token}"},
        timeout=5,
    )
    held = [p["recipient_masked"] for p in resp.json()["parcels"]]
    assert held == ["张三 138****5678", "139****5678", "****1234", "王 ****4567"]


def test_the_station_masks_again_what_a_foreign_receiver_sends(tmp_path: Path) -> None:
    parcels = [
        {"waybill": f"SF{i:010d}", "recipient_masked": text} for i, text in enumerate(WHOLE_NUMBERS)
    ]

    def script(seen: Seen, handler: Any) -> None:
        if "/manifest" in seen.path:
            script_answer(handler, 200, {"parcels": parcels, "next": None})
        else:
            all_accepted(seen, handler)

    store = Store(tmp_path / "station.db", create=True)
    try:
        with ScriptedServer(script) as server:
            config = station_config(
                server.url, write_token(tmp_path / "t", "t" * 43), manifest_interval_s=600.0
            )
            make_uploader(store, config, tmp_path).turn()
        held = [r["recipient_masked"] for r in store.all("SELECT * FROM manifest ORDER BY waybill")]
    finally:
        store.close()
    assert held == [p["recipient_masked"] for p in manifest_parcels(parcels)]
    assert held == ["张三 138****5678", "139****5678", "****1234", "王 ****4567"]


# -- item 11: the seq high-water mark ---------------------------------------------------------
def test_head_office_tells_a_station_its_highest_seq(receiver: Receiver) -> None:
    headers = {"Authorization": f"Bearer {receiver.token}"}
    url = f"{receiver.url}/v1/stations/{STATION}"
    assert requests.get(url, headers=headers, timeout=5).json()["station_seq"] is None
    resp = post(receiver, batch(a_scan(7), a_scan(41)))
    assert resp.json()["station_seq"] == 41
    assert requests.get(url, headers=headers, timeout=5).json() == {
        "station": STATION,
        "station_seq": 41,
    }
    other = other_station(receiver)
    other_headers = {"Authorization": f"Bearer {other}"}
    assert requests.get(url, headers=other_headers, timeout=5).status_code == 403


# -- item 10: a rejection the station can correct ---------------------------------------------
def test_a_scan_refused_for_its_carrier_is_resent_corrected_by_retry(env: Env) -> None:
    out = env.scan("receive", "JT1234567890123")
    with env.store.transaction() as conn:  # as a desk typo stored it before cards were checked
        conn.execute("UPDATE scans SET carrier = 'J&T' WHERE seq = ?", (out.seq,))
    env.store.apply_sync_results([(out.seq or 0, "rejected", "carrier: not of the expected form")])
    assert env.states()[out.event_id or ""] == "rejected"
    assert env.store.retry_rejected_scan(out.event_id or "", actor="cli") == "rejected"
    assert env.uploader().turn().accepted == 1
    held = env.held()[out.event_id or ""]
    assert held["carrier"] is None and held["waybill"] == "JT1234567890123"


def test_a_fresh_station_numbers_its_scans_above_head_offices_highest(
    env: Env, tmp_path: Path
) -> None:
    for i in range(3):
        env.scan("receive", f"SF140000000000{i}")
    assert env.uploader().turn().accepted == 3
    # The card is replaced by an empty copy: sync asks head office when it starts.
    fresh = Store(tmp_path / "copied.db", create=True)
    try:
        make_uploader(fresh, env.config(), tmp_path, env.clock).learn_seq_floor()
        assert fresh.seq_high_water() == 3
    finally:
        fresh.close()


def test_the_batch_answer_raises_the_floor_too(env: Env) -> None:
    env.scan("receive", "SF1400000000001")
    up = env.uploader()
    assert up.turn().accepted == 1
    other = post(env.receiver, batch(a_scan(90)))  # a scan from an older copy of this card
    assert other.json()["station_seq"] == 90
    env.scan("receive", "SF1400000000002")
    assert up.turn().accepted == 1
    assert env.store.seq_high_water() >= 90
    assert env.scan("receive", "SF1400000000003").seq == 91
