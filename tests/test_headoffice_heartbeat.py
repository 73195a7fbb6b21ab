"""The station's heartbeat (contract version 4): sent when due, kept per station, shown to
query tokens; a receiver without it costs nothing."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.sync_fixtures import (  # noqa: F401
    STATION,
    Env,
    Receiver,
    ScriptedServer,
    Seen,
    all_accepted,
    env_fixture,
    receiver_fixture,
)


def beat(rec: Receiver, body: Any, station: str = STATION) -> requests.Response:
    return requests.post(
        f"{rec.url}/v1/stations/{station}/heartbeat",
        json=body,
        headers={"Authorization": f"Bearer {rec.token}"},
        timeout=5,
    )


def test_a_station_heartbeat_reaches_the_fleet_view(env: Env) -> None:
    env.scan("receive", "SF1234567890123")
    up = env.uploader(heartbeat_s=60.0, gather_s=5.0)  # the scan waits: backlog 1
    up.turn()
    fleet = requests.get(
        f"{env.receiver.url}/v1/query/stations",
        headers={"Authorization": f"Bearer {env.receiver.query_token()}"},
        timeout=5,
    ).json()["stations"]
    assert [s["station"] for s in fleet] == [STATION]
    sent = fleet[0]["heartbeat"]
    assert (sent["backlog"], sent["rejected"], sent["clock"]["synced"]) == (1, 0, True)
    assert sent["disk_free_bytes"] > 0 and sent["versions"]["station_edge"]
    assert fleet[0]["received_at"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"sent_at": "2026-11-28T09:00:00+08:00"}, 422),
        ([1, 2], 422),
        ({"sent_at": "0001-01-01T00:00:00+08:00", "backlog": 0, "rejected": 0}, 422),
        (
            {"sent_at": "2026-11-28T09:00:00+08:00", "backlog": True, "rejected": 0,
             "versions": {}, "clock": {"synced": True}},
            422,
        ),
        (
            {"sent_at": "2026-11-28T09:00:00+08:00", "backlog": 3, "rejected": 0,
             "oldest_unsent_age_s": 1.5, "last_error": None, "disk_free_bytes": None,
             "versions": {"station_edge": "0.1.0"}, "clock": {"synced": False}, "new": 1},
            200,
        ),
    ],
)  # fmt: skip
def test_a_heartbeat_is_checked_field_by_field(receiver: Receiver, body: Any, status: int) -> None:
    assert beat(receiver, body).status_code == status


def test_a_heartbeat_for_another_station_is_refused(receiver: Receiver) -> None:
    assert beat(receiver, {}, station="SZ-OTHER-1").status_code == 403
    raw = requests.post(
        f"{receiver.url}/v1/stations/{STATION}/heartbeat",
        data=b"[" * 5000,
        headers={"Authorization": f"Bearer {receiver.token}"},
        timeout=5,
    )
    assert raw.status_code == 400


def test_a_receiver_without_heartbeats_is_asked_again_only_hours_later(env: Env) -> None:
    env.scan("receive", "SF1234567890123")
    with ScriptedServer(all_accepted) as server:  # 404 to anything but scans
        up = env.uploader(server.url, heartbeat_s=1.0)
        now = [1_800_000_000.0]
        up.now = lambda: now[0]
        assert up.turn().accepted == 1
        now[0] += 3600
        up.turn()
        beats = server.requests("POST", f"/v1/stations/{STATION}/heartbeat")
    assert len(beats) == 1
