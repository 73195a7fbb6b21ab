"""Sessions live in the store and end for good; lockout holds under parallel sign-ins;
an anonymous client cannot lock everyone; the page's scan field never changes who is
signed in."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

import web.auth
from edge.pins import hash_pin, verify_pin
from tests.web_fixtures import (  # noqa: F401 (fixtures)
    CLERK,
    SUPERVISOR,
    Env,
    Served,
    app_fixture,
    csrf_of,
    served_fixture,
    sign_in,
    web_env_fixture,
)

Client = tuple[FlaskClient, str]


def _cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("station_session")
    assert cookie is not None
    return cookie.value


def _replay(app: Flask, cookie: str) -> int:
    """A fresh browser presenting a saved cookie: the status of the sorting screen."""
    other = app.test_client()
    other.set_cookie("station_session", cookie)
    return other.get("/").status_code


def _signed_in(app: Flask, who: tuple[str, str, str] = CLERK) -> tuple[FlaskClient, str, str]:
    client = app.test_client()
    token = sign_in(client, who)
    return client, token, _cookie(client)


def test_a_saved_cookie_is_refused_after_sign_out(app: Flask) -> None:
    client, token, saved = _signed_in(app)
    assert _replay(app, saved) == 200
    assert client.post("/signout", data={"csrf_token": token}).status_code == 302
    assert _replay(app, saved) == 302
    assert app.test_client().get("/api/session").status_code == 401


def test_a_pin_change_ends_every_session_of_that_operator(app: Flask, web_env: Env) -> None:
    _, _, saved = _signed_in(app)
    _, _, other = _signed_in(app, SUPERVISOR)
    # `station operator add` again, as a PIN reset is done.
    web_env.store.add_operator(CLERK[0], CLERK[1], "clerk", hash_pin("5555"))
    assert _replay(app, saved) == 302
    assert _replay(app, other) == 200


def test_disabling_an_operator_ends_their_sessions(app: Flask, web_env: Env) -> None:
    _, _, saved = _signed_in(app)
    boss, token, _ = _signed_in(app, SUPERVISOR)
    r = boss.post("/operators/c1/disable", data={"csrf_token": token})
    assert r.status_code == 302
    assert _replay(app, saved) == 302
    # Disabled: the right PIN no longer signs in, and enabling does not bring old cookies back.
    r2 = app.test_client()
    r2_token = csrf_of(r2)
    r = r2.post("/signin", data={"operator": CLERK[0], "pin": CLERK[2], "csrf_token": r2_token})
    assert r.status_code == 401
    assert boss.post("/operators/c1/enable", data={"csrf_token": token}).status_code == 302
    assert _replay(app, saved) == 302
    assert boss.post("/operators/s1/disable", data={"csrf_token": token}).status_code == 400
    actions = [r["action"] for r in web_env.store.all("SELECT action FROM audit ORDER BY id")]
    assert "web.operator_disable" in actions and "web.operator_enable" in actions


def test_an_idle_session_ends_and_a_used_one_lasts(app: Flask, web_env: Env) -> None:
    client, _, saved = _signed_in(app)
    for _ in range(3):  # 33 hours in all, never idle 12
        web_env.clock.advance(11 * 3600)
        assert client.get("/").status_code == 200
    web_env.clock.advance(12 * 3600 + 1)
    assert _replay(app, saved) == 302


def _attempt(client: FlaskClient, token: str, operator: str, pin: str) -> tuple[int, str]:
    r = client.post("/signin", data={"operator": operator, "pin": pin, "csrf_token": token})
    return r.status_code, r.get_data(as_text=True)


def test_wrong_pins_lock_and_a_locked_operator_is_refused_whatever_the_pin(
    app: Flask, web_env: Env
) -> None:
    client = app.test_client()
    token = csrf_of(client)
    answers = {_attempt(client, token, CLERK[0], "0000") for _ in range(5)}
    assert len(answers) == 1 and next(iter(answers))[0] == 401
    assert _attempt(client, token, CLERK[0], CLERK[2])[0] == 401
    row = web_env.store.operator(CLERK[0])
    assert row is not None and row["locked_until"]
    actions = [r["action"] for r in web_env.store.all("SELECT action FROM audit ORDER BY id")]
    assert actions.count("web.pin_wrong") == 4 and actions.count("web.pin_locked") == 1
    assert actions[-1] == "web.sign_in_locked"
    web_env.clock.advance(5 * 60 + 1)
    assert _attempt(client, token, CLERK[0], CLERK[2])[0] == 302


def test_known_and_unknown_ids_get_the_same_answer(app: Flask) -> None:
    client = app.test_client()
    token = csrf_of(client)
    known = _attempt(client, token, CLERK[0], "0000")
    unknown = _attempt(client, token, "nobody", "0000")
    assert known == unknown and known[0] == 401 and "工号或密码不对" in known[1]


def test_an_unknown_id_costs_a_pin_check_too(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[str] = []

    def counting(pin: str, stored: str) -> bool:
        checked.append(stored)
        return verify_pin(pin, stored)

    monkeypatch.setattr(web.auth, "verify_pin", counting)
    client = app.test_client()
    token = csrf_of(client)
    _attempt(client, token, "nobody", "1234")
    _attempt(client, token, CLERK[0], "0000")
    assert len(checked) == 2 and all(s.startswith("scrypt$") for s in checked)


def test_one_client_cannot_lock_every_operator(app: Flask, web_env: Env) -> None:
    web_env.config.web.client_attempts = 3
    client = app.test_client()
    token = csrf_of(client)
    for who in ("a", "b", "c"):
        assert _attempt(client, token, who, "0000")[0] == 401
    status, body = _attempt(client, token, CLERK[0], CLERK[2])
    assert status == 429 and "登录失败太多次" in body
    # The operators themselves were never locked by it.
    row = web_env.store.operator(CLERK[0])
    assert row is not None and not row["locked_until"] and row["failed_pins"] == 0


def _http_attempts(url: str, pins: list[str]) -> list[int]:
    def one(pin: str) -> int:
        s = requests.Session()
        page = s.get(url + "/signin", timeout=30).text
        token = page.split('name="csrf-token" content="')[1].split('"')[0]
        r = s.post(
            url + "/signin",
            data={"operator": CLERK[0], "pin": pin, "csrf_token": token},
            allow_redirects=False,
            timeout=60,
        )
        return r.status_code

    with ThreadPoolExecutor(len(pins)) as pool:
        return list(pool.map(one, pins))


def test_parallel_sign_ins_cannot_race_the_lock(served: Served, web_env: Env) -> None:
    web_env.config.web.client_attempts = 1000
    pins = ["0000"] * 23 + [CLERK[2]] + ["0000"] * 23
    statuses = _http_attempts(served.url, pins)
    assert statuses.count(302) <= 1 and set(statuses) <= {302, 401}
    actions = [
        r["action"]
        for r in web_env.store.all("SELECT action FROM audit WHERE action LIKE 'web.%' ORDER BY id")
    ]
    # Exactly pin_attempts wrong PINs were counted; after the lock nobody got in.
    assert actions.count("web.pin_wrong") == 4 and actions.count("web.pin_locked") == 1
    locked_at = actions.index("web.pin_locked")
    assert "web.sign_in" not in actions[locked_at:]
    assert (statuses.count(302) == 1) == ("web.sign_in" in actions)


def test_pin_checks_run_a_few_at_a_time(
    served: Served, web_env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    web_env.config.web.client_attempts = 1000
    lock = threading.Lock()
    running = [0, 0]  # now, most at once

    def watched(pin: str, stored: str) -> Any:
        with lock:
            running[0] += 1
            running[1] = max(running[1], running[0])
        try:
            return verify_pin(pin, stored)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(web.auth, "verify_pin", watched)
    _http_attempts(served.url, ["0000"] * 12)
    assert 1 <= running[1] <= web_env.config.web.pin_checks


def test_an_operator_card_on_the_page_is_refused(app: Flask, web_env: Env) -> None:
    client, token, _ = _signed_in(app)
    for code in ("OP:s1", " op:s1 ", "]C1OP:s1", "OP:OUT"):
        r = client.post(
            "/api/read",
            data={"code": code, "csrf_token": token},
            headers={"Accept": "application/json"},
        )
        assert r.status_code == 403 and "工号卡" in r.get_json()["error"], code
    assert client.get("/api/session").get_json()["operator"] == CLERK[0]
    desks = web_env.store.all("SELECT operator FROM desks WHERE device = 'web:c1'")
    assert all(d["operator"] in (None, CLERK[0]) for d in desks)
    assert not web_env.store.all("SELECT 1 FROM audit WHERE actor = 's1'")


def test_the_cookie_holds_no_operator(app: Flask) -> None:
    client, _, _ = _signed_in(app)
    with client.session_transaction() as session:
        assert set(session) <= {"sid", "csrf", "lang", "_permanent"}


@pytest.mark.parametrize(
    "path",
    [
        "/feed?after=" + "9" * 26,
        "/feed?after=-1",
        "/feed?after=1e3",
        "/stocktake/" + "9" * 26,
        "/reports?day=9999-12-31",
        "/reports.csv?day=0001-01-01",
        "/reports?day=2026-13-01",
    ],
)
def test_numbers_out_of_range_get_a_400(app: Flask, path: str) -> None:
    client, _, _ = _signed_in(app)
    r = client.get(path, headers={"Accept": "application/json"})
    assert r.status_code == 400, (path, r.status_code)
    assert r.get_json()["error"]


def test_a_huge_last_event_id_gets_a_400(app: Flask) -> None:
    client, token, _ = _signed_in(app)
    assert client.get("/feed", headers={"Last-Event-ID": "9" * 30}).status_code == 400
    r = client.post("/scans/" + "9" * 30 + "/undo", data={"csrf_token": token, "reason": "x"})
    assert r.status_code in (400, 403)


def test_a_page_answers_while_another_process_writes(app: Flask, web_env: Env) -> None:
    import sqlite3

    client, _, _ = _signed_in(app)
    web_env.clock.advance(120)  # due to be marked as seen
    writer = sqlite3.connect(web_env.data_dir / "station.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # the scanner in the middle of a write
    try:
        assert client.get("/").status_code == 200
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    seen = web_env.store.one("SELECT seen_at FROM web_sessions")
    assert seen is not None and seen[0] < web_env.clock.wall.isoformat(timespec="seconds")
    assert client.get("/").status_code == 200
    seen = web_env.store.one("SELECT seen_at FROM web_sessions")
    assert seen is not None and seen[0] == web_env.clock.wall.isoformat(timespec="seconds")
