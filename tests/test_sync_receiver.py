"""The reference receiver over real HTTP: auth, per-item validation, idempotency, gzip,
photos, manifest and the query API."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

import pytest
import requests

from sync.contract import scan_problem
from sync.headoffice.manifest_csv import ManifestError, parse_manifest_csv
from tests.sync_fixtures import (  # noqa: F401
    STATION,
    Receiver,
    a_scan,
    batch,
    jpeg,
    post,
    receiver_fixture,
)


def statuses(resp: requests.Response) -> list[str]:
    assert resp.status_code == 200, resp.text
    return [r["status"] for r in resp.json()["results"]]


def test_health_needs_no_token(receiver: Receiver) -> None:
    resp = requests.get(receiver.url + "/v1/health", timeout=5)
    assert resp.status_code == 200 and resp.json() == {"ok": True}


def test_unknown_or_missing_token_is_401(receiver: Receiver) -> None:
    assert post(receiver, batch(a_scan()), token="x" * 40).status_code == 401
    resp = requests.post(receiver.url + "/v1/scans", json=batch(a_scan()), timeout=5)
    assert resp.status_code == 401


def test_token_of_another_station_is_403(receiver: Receiver) -> None:
    resp = post(receiver, batch(a_scan(), station="SZ-OTHER-1"))
    assert resp.status_code == 403
    assert "SZ-OTHER-1" in resp.json()["error"]


def test_gzip_and_plain_bodies_are_both_accepted(receiver: Receiver) -> None:
    assert statuses(post(receiver, batch(a_scan(1)), gz=True)) == ["accepted"]
    assert statuses(post(receiver, batch(a_scan(2)), gz=False)) == ["accepted"]


def test_resent_scans_are_duplicates_and_held_once(receiver: Receiver) -> None:
    scans = [a_scan(i) for i in range(1, 6)]
    assert statuses(post(receiver, batch(*scans))) == ["accepted"] * 5
    again = statuses(post(receiver, batch(*scans[2:], a_scan(6))))
    assert again == ["duplicate", "duplicate", "duplicate", "accepted"]
    assert receiver.rows("SELECT count(*) AS n FROM scans")[0]["n"] == 6


def test_concurrent_resends_store_one_row_each(receiver: Receiver) -> None:
    scans = [a_scan(i) for i in range(1, 201)]
    results: list[list[str]] = []

    def send() -> None:
        results.append(statuses(post(receiver, batch(*scans))))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert receiver.rows("SELECT count(*) AS n FROM scans")[0]["n"] == 200
    # Each scan was accepted exactly once over the four racing requests.
    for i in range(200):
        assert sorted(r[i] for r in results) == ["accepted"] + ["duplicate"] * 3


def test_each_item_gets_its_own_answer(receiver: Receiver) -> None:
    good = a_scan(1)
    bad = [
        a_scan(2, waybill="X" * 41),
        a_scan(3, event_id="not-a-uuid"),
        a_scan(4, clock={"synced": "yes", "corrected": False, "boot_id": "b", "mono_ns": 1}),
        a_scan(5, scanned_at="2026-11-22 09:15:02"),
        a_scan(6, phone_last4="13812345678"),
    ]
    resp = post(receiver, batch(good, *bad))
    results = resp.json()["results"]
    assert [r["status"] for r in results] == ["accepted"] + ["rejected"] * 5
    assert [r["event_id"] for r in results] == [good["event_id"]] + [b["event_id"] for b in bad]
    reasons = [r["reason"] for r in results[1:]]
    assert reasons[0].startswith("waybill:")
    assert reasons[1].startswith("event_id:")
    assert reasons[2].startswith("clock.synced:")
    assert reasons[3].startswith("scanned_at:")
    assert reasons[4].startswith("phone_last4:")


def test_a_seq_used_by_another_event_is_rejected(receiver: Receiver) -> None:
    assert statuses(post(receiver, batch(a_scan(7)))) == ["accepted"]
    resp = post(receiver, batch(a_scan(7)))
    assert resp.json()["results"][0]["status"] == "rejected"
    assert "seq" in resp.json()["results"][0]["reason"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"station": STATION, "scans": []}, 422),
        ({"station": STATION, "batch_id": "b", "sent_at": "2026-11-22T09:15:03Z"}, 422),
        ([1, 2, 3], 422),
    ],
)
def test_a_malformed_batch_is_refused_whole(receiver: Receiver, body: Any, status: int) -> None:
    assert post(receiver, body).status_code == status


def test_not_json_and_bad_gzip_are_400(receiver: Receiver) -> None:
    assert post(receiver, None, raw=b"{nope").status_code == 400
    headers = {"Authorization": f"Bearer {receiver.token}", "Content-Encoding": "gzip"}
    resp = requests.post(receiver.url + "/v1/scans", data=b"not gzip", headers=headers, timeout=5)
    assert resp.status_code == 400


def test_a_batch_of_more_than_1000_is_refused(receiver: Receiver) -> None:
    assert post(receiver, batch(*[a_scan(i) for i in range(1, 1002)])).status_code == 422


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"seq": 0}, "seq"),
        ({"seq": True}, "seq"),
        ({"type": "deliver"}, "type"),
        ({"waybill": "SF1"}, "waybill"),
        ({"waybill": "SF 12345"}, "waybill"),
        ({"carrier": "S F"}, "carrier"),
        ({"device": ""}, "device"),
        ({"weight_g": -5}, "weight_g"),
        ({"weight_g": 1.5}, "weight_g"),
        ({"dispatch_reason": "lost"}, "dispatch_reason"),
        ({"problem_code": "bad"}, "problem_code"),
        ({"signer": {"relation": "friend", "id_last4": None}}, "signer.relation"),
        ({"signer": {"relation": "proxy", "id_last4": "12"}}, "signer.id_last4"),
        ({"photos": ["ABC"]}, "photos"),
        ({"note": "x" * 501}, "note"),
        ({"clock": {"synced": True, "corrected": False, "boot_id": "b"}}, "clock.mono_ns"),
        (
            {"clock": {"synced": True, "corrected": False, "boot_id": "b", "mono_ns": 2**64}},
            "clock.mono_ns",
        ),
        ({"note": "bad \ud800 text"}, "note"),
        ({"operator": "\udfff"}, "operator"),
    ],
)
def test_scan_problem_names_the_field(fields: dict[str, Any], field: str) -> None:
    problem = scan_problem(a_scan(**fields))
    assert problem is not None and problem.startswith(field + ":")


def test_scan_problem_accepts_every_contract_shape() -> None:
    assert scan_problem(a_scan()) is None
    assert scan_problem(a_scan(type="sign", signer={"relation": "self", "id_last4": None})) is None
    assert scan_problem(a_scan(scanned_at="1970-01-01T00:00:05Z", carrier=None)) is None
    assert scan_problem(a_scan(photos=["a" * 64], future_field=1)) is None


def test_photos_are_content_addressed(receiver: Receiver) -> None:
    data = jpeg("content addressed")
    sha = hashlib.sha256(data).hexdigest()
    url = f"{receiver.url}/v1/photos/{sha}"
    auth = {"Authorization": f"Bearer {receiver.token}", "Content-Type": "image/jpeg"}
    assert requests.head(url, headers=auth, timeout=5).status_code == 404
    assert requests.put(url, data=data + b"x", headers=auth, timeout=5).status_code == 422
    assert requests.put(url, data=data, headers=auth, timeout=5).status_code == 201
    assert requests.put(url, data=data, headers=auth, timeout=5).status_code == 200
    assert requests.head(url, headers=auth, timeout=5).status_code == 200
    big = b"x" * (4 * 1024 * 1024 + 1)
    big_url = f"{receiver.url}/v1/photos/{hashlib.sha256(big).hexdigest()}"
    assert requests.put(big_url, data=big, headers=auth, timeout=10).status_code == 413


def test_manifest_is_paged_by_cursor(receiver: Receiver, tmp_path: Path) -> None:
    rows = ["station,waybill,carrier,phone_last4,recipient_masked,declared_weight_g,valuable"]
    rows += [f"{STATION},SF{i:010d},sf,{5600 + i % 100},张*,{1000 + i},{i % 2}" for i in range(700)]
    rows.append("SZ-OTHER-1,ZT0000000001,zto,1111,李*,500,0")
    parcels = parse_manifest_csv("\n".join(rows))
    receiver.running.storage.import_manifest(parcels, "2026-11-22T01:00:00Z")
    auth = {"Authorization": f"Bearer {receiver.token}"}
    url = f"{receiver.url}/v1/stations/{STATION}/manifest"
    first = requests.get(url, headers=auth, timeout=5).json()
    assert len(first["parcels"]) == 500
    assert first["parcels"][0] == {
        "waybill": "SF0000000000",
        "carrier": "sf",
        "phone_last4": "5600",
        "recipient_masked": "张*",
        "declared_weight_g": 1000,
        "valuable": False,
        # Version 6: a CSV without these columns says nothing about them.
        "consent": "unknown",
        "receipt": None,
        "hops": None,
    }
    second = requests.get(url, params={"after": first["next"]}, headers=auth, timeout=5).json()
    assert len(second["parcels"]) == 200
    third = requests.get(url, params={"after": second["next"]}, headers=auth, timeout=5).json()
    assert third["parcels"] == [] and third["next"] == second["next"]
    other = requests.get(f"{receiver.url}/v1/stations/SZ-OTHER-1/manifest", headers=auth, timeout=5)
    assert other.status_code == 403


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("waybill\nSF1234567", "header"),
        ("station,waybill,mobile\nS,SF1234567,1", "unknown mobile"),
        ("station,waybill,phone_last4\nS,SF1234567,13812345678", "line 2: phone_last4"),
        ("station,waybill\nS,SF 1", "line 2: waybill"),
    ],
)
def test_manifest_csv_errors_say_where(text: str, problem: str) -> None:
    with pytest.raises(ManifestError, match=problem):
        parse_manifest_csv(text)


def test_query_api_by_station_time_waybill_and_timeline(receiver: Receiver) -> None:
    other = "SZ-FT-0007"
    other_token = "o" * 43
    from sync.headoffice.app import hash_token

    receiver.running.storage.add_token(other, hash_token(other_token), "station")
    waybill = "SF777000111"
    post(
        receiver,
        batch(
            a_scan(1, waybill=waybill, scanned_at="2026-11-22T08:00:00+08:00"),
            a_scan(2, scanned_at="2026-11-22T12:00:00+08:00"),
        ),
    )
    post(
        receiver,
        batch(
            a_scan(
                1,
                waybill=waybill,
                type="dispatch",
                dispatch_reason="transfer",
                scanned_at="2026-11-22T01:30:00Z",
            ),
            station=other,
        ),
        token=other_token,
    )
    post(
        receiver,
        batch(
            a_scan(
                2,
                waybill=waybill,
                type="sign",
                signer={"relation": "self", "id_last4": None},
                scanned_at="2026-11-23T10:00:00+08:00",
            ),
            station=other,
        ),
        token=other_token,
    )

    station_auth = {"Authorization": f"Bearer {receiver.token}"}
    assert (
        requests.get(
            receiver.url + "/v1/query/scans",
            params={"waybill": waybill},
            headers=station_auth,
            timeout=5,
        ).status_code
        == 403
    )
    auth = {"Authorization": f"Bearer {receiver.query_token()}"}
    in_range = requests.get(
        receiver.url + "/v1/query/scans",
        params={
            "station": STATION,
            "from": "2026-11-22T00:00:00+08:00",
            "to": "2026-11-22T10:00:00+08:00",
        },
        headers=auth,
        timeout=5,
    ).json()["scans"]
    assert [s["waybill"] for s in in_range] == [waybill]
    by_waybill = requests.get(
        receiver.url + "/v1/query/scans", params={"waybill": waybill}, headers=auth, timeout=5
    ).json()["scans"]
    assert len(by_waybill) == 3
    timeline = requests.get(
        f"{receiver.url}/v1/query/parcels/{waybill}/timeline", headers=auth, timeout=5
    ).json()
    assert [(e["station"], e["type"]) for e in timeline["events"]] == [
        (STATION, "receive"),
        (other, "dispatch"),
        (other, "sign"),
    ]
    assert timeline["stations"] == [STATION, other] and timeline["last"] == "sign"
    bad = requests.get(
        receiver.url + "/v1/query/scans",
        params={"station": STATION, "from": "yesterday"},
        headers=auth,
        timeout=5,
    )
    assert bad.status_code == 400


def test_text_the_database_cannot_hold_is_rejected_not_a_500(receiver: Receiver) -> None:
    resp = post(receiver, batch(a_scan(1, note="\ud800"), a_scan(2)))
    assert statuses(resp) == ["rejected", "accepted"]
