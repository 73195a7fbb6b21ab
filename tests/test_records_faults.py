"""The records job against a bad link, an old receiver and a hostile one: every record
reaches head office exactly once, a version-1 receiver (404) never holds a scan up, and
answers that make no sense leave records pending without touching the scans."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from edge.store import Store
from sync.faultproxy import FaultPlan, FaultProxy
from sync.station.loop import Uploader
from tests.records_fixtures import AT, RULES, ZTO, every_record, held
from tests.sync_fixtures import (  # noqa: F401
    STATION,
    Env,
    ScriptedServer,
    Seen,
    all_accepted,
    answer,
    config_text,
    env_fixture,
    receiver_fixture,
)

ROOT = Path(__file__).resolve().parent.parent
RECORD_FAULTS = ("500", "503", "429-date", "reset-before", "reset-after", "slow")


def pending(store: Store) -> int:
    return sum(store.outbox_counts().values())


def some_tickets(store: Store, n: int) -> None:
    from edge.service import tickets_desk

    for i in range(n):
        tickets_desk.open_ticket(store, RULES, AT, "c1", kind="inquiry", words=f"查件 {i}",
                                 waybills=[ZTO[i % len(ZTO)]])  # fmt: skip


def drain(up: Uploader, limit_s: float) -> int:
    deadline = time.monotonic() + limit_s
    turns = 0
    while (pending(up.store) or up.store.sync_status()["backlog"]) and (
        time.monotonic() < deadline
    ):
        up.turn()
        turns += 1
        due = up.store.outbox_state()["next_at"] or 0
        time.sleep(min(0.2, max(0.01, due - time.time())))
    return turns


def test_every_record_arrives_exactly_once_under_faults(env: Env) -> None:
    out = env.scan("problem", ZTO[5], reason="damaged")
    every_record(env.store, env.tmp, out.seq)
    some_tickets(env.store, 60)
    expected = {(r.kind, r.id) for kind in env.store.outbox_counts()
                for r in env.store.outbox_pending(kind, 1000)}  # fmt: skip
    plan = FaultPlan(rate=0.4, kinds=RECORD_FAULTS, seed=11, retry_after_s=0, slow_s=0.5,
                     paths=("/v1/records",))  # fmt: skip
    plan.queue("reset-after")  # the first answer is lost after head office stored it
    with FaultProxy(env.receiver.url, plan) as proxy:
        up = env.uploader(proxy.url, read_timeout_s=0.3, batch_max_bytes=4096)
        turns = drain(up, limit_s=90)
        up.close()
    records = held(env.receiver)
    got = [(r["kind"], r["id"]) for r in records]
    report = {
        "expected": len(expected),
        "held": len(set(got)),
        "held_twice": len(got) - len(set(got)),
        "missing": len(expected - set(got)),
        "pending": pending(env.store),
        "turns": turns,
    }
    print("records fault report:", report, "faults:", dict(proxy.counts))
    assert report["missing"] == 0 and report["pending"] == 0
    assert report["held_twice"] == 0 and report["held"] == len(expected) == 69
    assert proxy.counts["reset-after"] >= 1 and proxy.counts["500"] >= 1
    assert env.store.sync_status()["backlog"] == 0


def version_1(seen: Seen, handler: BaseHTTPRequestHandler) -> None:
    """Scans and photos as version 1 takes them; 404 for anything it does not know."""
    if seen.path.startswith("/v1/photos/"):
        answer(handler, 404 if seen.method == "HEAD" else 201)
    else:
        all_accepted(seen, handler)


def test_a_version_1_receiver_never_holds_scans_up(env: Env) -> None:
    out = env.scan("problem", ZTO[5], reason="damaged")
    every_record(env.store, env.tmp, out.seq)
    with ScriptedServer(version_1) as ho:
        up = env.uploader(ho.url, manifest_interval_s=300.0)
        for i in range(3):
            env.scan("receive", ZTO[10 + i])
            up.turn()
            assert set(env.states().values()) == {"sent"}
        # Asked once, then left alone: records wait, scans go.
        assert len(ho.requests("POST", "/v1/records")) == 1
        assert len(ho.requests("GET", f"/v1/stations/{STATION}/updates")) == 1
        assert pending(env.store) == 9
        status = env.store.outbox_status()
        assert status["unsupported_until"] is not None and status["last_error"] is None
        # Hours later the station asks again.
        up.records.now = lambda: time.time() + 7 * 3600
        up.turn()
        assert len(ho.requests("POST", "/v1/records")) == 2
        up.close()


def records_script(reply: Callable[[Seen, BaseHTTPRequestHandler], None]) -> Any:
    def script(seen: Seen, handler: BaseHTTPRequestHandler) -> None:
        if seen.path == "/v1/records":
            reply(seen, handler)
        else:
            all_accepted(seen, handler)

    return script


def answered(how: str) -> Callable[[Seen, BaseHTTPRequestHandler], None]:
    def reply(seen: Seen, handler: BaseHTTPRequestHandler) -> None:
        items = seen.json()["records"]
        keys = [{k: r[k] for k in ("kind", "id", "version")} for r in items]
        if how == "no-results":
            answer(handler, 200, {"ok": True})
        elif how == "html":
            answer(handler, 200, b"<html>maintenance</html>")
        elif how == "others":
            answer(handler, 200, {"results": [k | {"id": "999", "status": "accepted"}
                                              for k in keys]})  # fmt: skip
        elif how == "contradicting":
            results = [k | {"status": s} for k in keys for s in ("accepted", "rejected")]
            answer(handler, 200, {"results": results})
        elif how == "half":
            answer(handler, 200, {"results": [k | {"status": "accepted"} for k in keys[:1]]})
        elif how == "bogus-status":
            answer(handler, 200, {"results": [k | {"status": "maybe"} for k in keys]})
        elif how == "401":
            answer(handler, 401, {"error": "who are you"})
        elif how == "429":
            answer(handler, 429, b"", {"Retry-After": "120"})
        elif how == "500":
            answer(handler, 500, b"oops")
        elif how == "redirect":
            answer(handler, 302, b"", {"Location": "http://127.0.0.1:9/x"})

    return reply


@pytest.mark.parametrize(
    "how",
    ["no-results", "html", "others", "contradicting", "half", "bogus-status", "401", "429",
     "500", "redirect"],
)  # fmt: skip
def test_hostile_answers_leave_records_pending_and_scans_alone(env: Env, how: str) -> None:
    some_tickets(env.store, 2)
    with ScriptedServer(records_script(answered(how))) as ho:
        up = env.uploader(ho.url, backoff_initial_s=30.0, backoff_max_s=60.0)
        env.scan("receive", ZTO[1])
        result = up.turn()
        assert result.state in ("sent", "idle") and result.detail == ""
        assert set(env.states().values()) == {"sent"}
        left = 1 if how == "half" else 2
        assert env.store.outbox_counts()["ticket"] == left
        state = env.store.outbox_state()
        assert state["attempts"] == 1 and state["next_at"] > time.time()
        if how == "429":
            assert state["next_at"] > time.time() + 100
        assert env.store.outbox_rejected() == []
        # Scans recorded while records wait still go at once.
        env.scan("receive", ZTO[2])
        up.turn()
        assert set(env.states().values()) == {"sent"}
        assert len(ho.requests("POST", "/v1/records")) == 1
        up.close()


def test_a_refused_request_is_split_to_find_the_one_bad_record(env: Env) -> None:
    some_tickets(env.store, 5)
    bad = env.store.outbox_pending("ticket")[3]

    def reply(seen: Seen, handler: BaseHTTPRequestHandler) -> None:
        items = seen.json()["records"]
        if any(r["id"] == bad.id for r in items):
            answer(handler, 422, {"error": "something in there"})
            return
        results = [{k: r[k] for k in ("kind", "id", "version")} | {"status": "accepted"}
                   for r in items]  # fmt: skip
        answer(handler, 200, {"results": results})

    with ScriptedServer(records_script(reply)) as ho:
        up = env.uploader(ho.url)
        up.turn()
        assert env.store.outbox_counts()["ticket"] == 0
        (rejected,) = env.store.outbox_rejected()
        assert (rejected["id"], rejected["reason"]) == (bad.id, "422: something in there")
        assert len(ho.requests("POST", "/v1/records")) > 1
        up.turn()  # a refused version is not sent again …
        before = len(ho.requests("POST", "/v1/records"))
        env.store.service_ticket_update(
            int(bad.id),
            "open",
            {"state": "answered"},
            ["answered"],
            "2026-11-23T09:01:00+08:00",
            "c1",
            "ok",
        )
        up.turn()  # … but its next version is
        assert len(ho.requests("POST", "/v1/records")) == before + 1
        up.close()


def updates_script(pages: list[dict[str, Any]]) -> Any:
    def script(seen: Seen, handler: BaseHTTPRequestHandler) -> None:
        if "/updates" in seen.path:
            answer(handler, 200, pages.pop(0) if pages else {"updates": [], "next": None})
        elif seen.path == "/v1/records":
            items = seen.json()["records"]
            results = [{k: r[k] for k in ("kind", "id", "version")} | {"status": "accepted"}
                       for r in items]  # fmt: skip
            answer(handler, 200, {"results": results})
        else:
            all_accepted(seen, handler)

    return script


def test_hostile_updates_are_checked_masked_and_bounded(env: Env) -> None:
    some_tickets(env.store, 1)
    tid = str(env.store.all("SELECT id FROM tickets")[0][0])
    good = {
        "kind": "ticket_answer",
        "ref": tid,
        "at": AT.isoformat(),
        "body": {"words": "打 13912345678"},
    }
    pages: list[dict[str, Any]] = [
        {"updates": [{"kind": "explode"}, "x", good | {"ref": "1; DROP"}, good], "next": "7"},
        {
            "updates": [{"kind": "sign_record", "ref": "NOPE0000", "at": AT.isoformat()}],
            "next": "7",
        },
    ]
    with ScriptedServer(updates_script(pages)) as ho:
        up = env.uploader(ho.url, manifest_interval_s=300.0)
        up.turn()
        events = env.store.service_ticket_events(int(tid))
        assert [(e["action"], e["words"]) for e in events][-1] == ("answered", "打 139****5678")
        # A cursor that comes back is not followed round and round.
        assert env.store.outbox_state()["updates_cursor"] == "7"
        assert len(ho.requests("GET", f"/v1/stations/{STATION}/updates")) == 2
        assert env.store.service_ticket(int(tid))["state"] == "answered"  # type: ignore[index]
        up.close()


@pytest.mark.slow
def test_sync_killed_again_and_again_sends_each_record_once(env: Env) -> None:
    out = env.scan("problem", ZTO[5], reason="damaged")
    every_record(env.store, env.tmp, out.seq)
    some_tickets(env.store, 200)
    expected = sum(env.store.outbox_counts().values())
    plan = FaultPlan(rate=0.3, kinds=RECORD_FAULTS, seed=5, retry_after_s=0, slow_s=0.5,
                     paths=("/v1/records",))  # fmt: skip
    rng = random.Random(9)
    with FaultProxy(env.receiver.url, plan) as proxy:
        config = env.config(proxy.url, read_timeout_s=0.3, batch_max_bytes=8192)
        (env.tmp / "station.toml").write_text(config_text(config), encoding="utf-8")
        command = [sys.executable, "-m", "edge.cli", "--data", str(env.tmp), "sync", "run"]
        left_at_kills = []
        for _ in range(6):
            before = pending(env.store)
            child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)  # fmt: skip
            started = time.monotonic()
            while pending(env.store) == before and time.monotonic() - started < 15:
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 0.3))
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            left_at_kills.append(pending(env.store))
            if not left_at_kills[-1]:
                break
        plan.rate = 0.0
        child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)  # fmt: skip
        started = time.monotonic()
        while pending(env.store) and time.monotonic() - started < 60:
            time.sleep(0.1)
        child.send_signal(signal.SIGTERM)
        child.wait(timeout=30)
    got = [(r["kind"], r["id"]) for r in held(env.receiver)]
    print("records left at each kill:", left_at_kills, "faults:", dict(proxy.counts))
    assert sum(1 for n in left_at_kills if n) >= 3, "killed while work was left"
    assert pending(env.store) == 0
    assert len(got) == len(set(got)) == expected == 209
