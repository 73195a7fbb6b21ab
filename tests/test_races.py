"""Two people acting at the same moment: the store decides once, on real SQLite files,
from two threads with their own connections released together."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

from flask import Flask

from edge.pins import hash_pin
from edge.store import Store
from tests.web_fixtures import (  # noqa: F401 (fixtures)
    SUPERVISOR,
    Env,
    app_fixture,
    csrf_of,
    sign_in,
    web_env_fixture,
)

T = TypeVar("T")


def together(*actions: Callable[[], T]) -> list[T]:
    """Run each action in its own thread, all released by one barrier."""
    barrier = threading.Barrier(len(actions))
    results: list[T | None] = [None] * len(actions)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = actions[i]()
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actions))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return [r for r in results if r is not None]


def test_two_clerks_closing_one_handover_close_it_once(tmp_path: Path) -> None:
    path = tmp_path / "station.db"
    Store(path, create=True).close()
    for attempt in range(10):
        first, second = Store(path), Store(path)
        try:
            first.courier_save(
                f"c{attempt}", "Zhang San", "zto", "4321", "2026-11-23T09:00:00+08:00"
            )
            courier = first.courier(f"c{attempt}")
            assert courier is not None
            handover = first.handover_open(
                courier, f"gun-{attempt}", "c1", "2026-11-23T09:00:00+08:00"
            )
            closed = together(
                partial(first.handover_close, handover, "2026-11-23T09:05:00+08:00", None),
                partial(second.handover_close, handover, "2026-11-23T09:05:01+08:00", None),
            )
            assert sorted(closed) == [False, True]
            audits = [a for a in first.admin_audit(action="handover.close")
                      if a["subject"] == str(handover)]  # fmt: skip
            assert len(audits) == 1
        finally:
            first.close()
            second.close()


def test_two_supervisors_disabling_each_other_leave_one_who_can_sign_in(
    app: Flask, web_env: Env
) -> None:
    other = ("s2", "Zhao Lei", "5555")
    web_env.store.add_operator(other[0], other[1], "supervisor", hash_pin(other[2]))
    clients = []
    for who in (SUPERVISOR, other):
        client = app.test_client()
        clients.append((client, sign_in(client, who)))
    for _ in range(5):
        (a, token_a), (b, token_b) = clients
        answers = together(
            partial(a.post, f"/admin/operators/{other[0]}",
                    data={"csrf_token": token_a, "action": "disable"}),
            partial(b.post, f"/admin/operators/{SUPERVISOR[0]}",
                    data={"csrf_token": token_b, "action": "disable"}),
        )  # fmt: skip
        assert web_env.store.admin_active_supervisors() == 1
        done = [r for r in answers if r.headers.get("Location", "").endswith("/admin/operators")]
        assert len(done) == 1
        # The other was either told this is the last supervisor, or, disabled a moment
        # before, sent back to sign in: never a second success.
        (late,) = [r for r in answers if r not in done]
        assert late.status_code == 409 or "/signin" in late.headers.get("Location", "")
        for who in (SUPERVISOR, other):  # both back for the next round, signed in again
            web_env.store.admin_operator_change(who[0], "test", "enable")
        clients = []
        for who in (SUPERVISOR, other):
            client = app.test_client()
            clients.append((client, sign_in(client, who)))
