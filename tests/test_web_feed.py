"""The sorting screen's live feed over real HTTP (waitress on 127.0.0.1): reads arrive
as server-sent events in id order and a reconnect resumes from Last-Event-ID."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import requests

from tests.web_fixtures import (  # noqa: F401 (fixtures)
    CLERK,
    ZTO,
    Env,
    Served,
    app_fixture,
    served_fixture,
    web_env_fixture,
)


def signed_in(url: str) -> requests.Session:
    session = requests.Session()
    page = session.get(url + "/signin", timeout=5).text
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    r = session.post(
        url + "/signin",
        data={"operator": CLERK[0], "pin": CLERK[2], "csrf_token": token},
        allow_redirects=False,
        timeout=5,
    )
    assert r.status_code == 302
    return session


def events(response: requests.Response) -> Iterator[dict]:
    """Parse an event stream into {"id", "event", "data"} dicts (comments skipped)."""
    current: dict = {}
    for line in response.iter_lines(decode_unicode=True):
        if line == "":
            if "data" in current:
                yield current
            current = {}
        elif not line.startswith(":"):
            key, _, value = line.partition(": ")
            current[key] = value


def take(stream: Iterator[dict], n: int, kind: str = "read") -> list[dict]:
    """The next n events of one kind (the request's own timeout bounds the wait)."""
    wanted = (e for e in stream if e.get("event") == kind)
    return [next(wanted) for _ in range(n)]


def test_reads_arrive_in_order_and_resume_after_a_drop(served: Served, web_env: Env) -> None:
    session = signed_in(served.url)
    gun = web_env.station.desk("gun-1")
    for waybill in ZTO[:2]:
        web_env.clock.advance(3)
        web_env.station.read(waybill, gun)
    with session.get(served.url + "/feed?after=0", stream=True, timeout=10) as r:
        assert r.headers["Content-Type"].startswith("text/event-stream")
        stream = events(r)
        first = take(stream, 2)
        # A read committed while the stream is open arrives too.
        web_env.clock.advance(3)
        live = web_env.station.read(ZTO[2], gun)
        first += take(stream, 1)
    assert [int(e["id"]) for e in first] == [1, 2, 3]
    cards = [json.loads(e["data"]) for e in first]
    assert cards[2]["pickup_code"] == live.pickup_code and cards[2]["tone"] == "ok"
    assert cards[0]["device"] == "gun-1" and cards[0]["code"] == ZTO[0]
    # Dropped after id 1: the browser reconnects with Last-Event-ID and misses nothing.
    with session.get(
        served.url + "/feed?after=0", headers={"Last-Event-ID": "1"}, stream=True, timeout=10
    ) as r:
        again = take(events(r), 2)
    assert [int(e["id"]) for e in again] == [2, 3]


def test_refused_and_duplicate_reads_have_their_tones(served: Served, web_env: Env) -> None:
    session = signed_in(served.url)
    gun = web_env.station.desk("gun-1")
    web_env.station.read("hello world!", gun)
    web_env.clock.advance(3)
    web_env.station.read(ZTO[0], gun)
    web_env.clock.advance(3)
    web_env.station.read(ZTO[0], gun)
    with session.get(served.url + "/feed?after=0", stream=True, timeout=10) as r:
        cards = [json.loads(e["data"]) for e in take(events(r), 3)]
    assert [c["tone"] for c in cards] == ["bad", "ok", "warn"]
    assert cards[0]["message"].startswith("不是运单号")


def test_streams_are_capped_below_the_thread_count(served: Served, web_env: Env) -> None:
    session = signed_in(served.url)
    # 8 threads, 4 kept for pages: the fifth stream is refused, pages still answer.
    streams = [session.get(served.url + "/feed", stream=True, timeout=10) for _ in range(4)]
    try:
        refused = session.get(served.url + "/feed", stream=True, timeout=10)
        assert refused.status_code == 503
        assert "分拣屏太多" in refused.json()["error"]
        assert session.get(served.url + "/livez", timeout=5).status_code == 200
    finally:
        for s in streams:
            s.close()
    # Closed screens give their threads back at once, not at the next heartbeat.
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        again = session.get(served.url + "/feed", stream=True, timeout=10)
        again.close()
        if again.status_code == 200:
            break
        time.sleep(0.1)
    assert again.status_code == 200


def test_every_guns_mode_is_sent_and_follows_a_mode_card(served: Served, web_env: Env) -> None:
    session = signed_in(served.url)
    at = web_env.clock.wall.isoformat()
    web_env.store.set_device_state("desk-1", "gun", "connected", at, path=None, detail=None)
    gun = web_env.station.desk("desk-1")
    web_env.clock.advance(3)
    web_env.station.read(ZTO[0], gun)
    with session.get(served.url + "/feed", stream=True, timeout=10) as r:
        stream = events(r)
        (first,) = take(stream, 1, "desks")
        assert json.loads(first["data"]) == [
            {"device": "desk-1", "mode": "receive", "text": "入库模式", "operator": "未登录"}
        ]
        web_env.clock.advance(3)
        web_env.station.read("PROBLEM:DAMAGED", gun)
        (changed,) = take(stream, 1, "desks")
    (desk,) = json.loads(changed["data"])
    assert desk["mode"] == "problem" and desk["text"] == "问题件模式 · 破损"
