"""Uploads that arrive together share one commit; each is answered only after it, and
one that fails is undone alone."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from sync.headoffice.group_commit import GroupCommit
from sync.headoffice.rows import scan_rows
from sync.headoffice.sqlite import SQLiteStorage
from tests.sync_fixtures import a_scan


def test_writes_queued_behind_a_commit_share_the_next_one(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    setup = sqlite3.connect(path)
    setup.execute("CREATE TABLE t (n INTEGER PRIMARY KEY)")
    setup.close()
    commits: list[int] = []
    local = threading.local()

    @contextmanager
    def transaction() -> Iterator[sqlite3.Connection]:
        conn = getattr(local, "conn", None) or sqlite3.connect(path, isolation_level=None)
        local.conn = conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        commits.append(1)

    group = GroupCommit(transaction)
    release = threading.Event()
    answers: dict[int, object] = {}
    threes: list[object] = []

    def leader_work(conn: sqlite3.Connection) -> str:
        release.wait()
        conn.execute("INSERT INTO t VALUES (0)")
        return "first"

    def write(n: int) -> None:
        try:
            answer: object = group.run(
                lambda conn: conn.execute("INSERT INTO t VALUES (?)", (n,)).rowcount
            )
        except sqlite3.IntegrityError as exc:
            answer = exc
        if n == 3:
            threes.append(answer)
        else:
            answers[n] = answer

    leader = threading.Thread(target=lambda: answers.update({0: group.run(leader_work)}))
    leader.start()
    while not group._leader.locked():
        release.wait(0.01)
    # 1..5 queue behind the running commit; 3 twice, so its second insert fails alone.
    others = [threading.Thread(target=write, args=(n,)) for n in (1, 2, 3, 3, 4, 5)]
    for t in others:
        t.start()
    while len(group._queued) < len(others):
        release.wait(0.01)
    release.set()
    for t in [leader, *others]:
        t.join()
    assert answers[0] == "first"
    assert [answers[n] for n in (1, 2, 4, 5)] == [1, 1, 1, 1]
    assert sorted(map(type, threes), key=str) == [int, sqlite3.IntegrityError]
    held = sqlite3.connect(path).execute("SELECT n FROM t ORDER BY n").fetchall()
    assert held == [(0,), (1,), (2,), (3,), (4,), (5,)]
    assert len(commits) == 2  # the leader's, then one for all six queued behind it


def test_concurrent_batches_are_each_answered_as_if_alone(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path)
    scans = [a_scan(seq) for seq in range(1, 41)]
    batches = [scans[i : i + 5] for i in range(0, 40, 5)] + [scans[:5]]  # the last a resend
    answers: list[list[tuple[str, str | None]]] = [[] for _ in batches]

    def send(n: int) -> None:
        answers[n] = storage.add_scans(
            scan_rows("SZ-1", f"b{n}", batches[n], "2026-11-28T01:00:00Z")
        )

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(batches))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert storage.station_seq("SZ-1") == 40
    statuses = sorted(s for a in answers for s, _ in a)
    # Five scans were sent twice: whichever copy came first is accepted, the other a duplicate.
    assert statuses == ["accepted"] * 40 + ["duplicate"] * 5
    storage.close()


def test_a_failed_transaction_fails_every_write_in_it(tmp_path: Path) -> None:
    @contextmanager
    def broken() -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
        conn.execute("BEGIN")
        yield conn
        raise sqlite3.OperationalError("disk I/O error")

    with pytest.raises(sqlite3.OperationalError):
        GroupCommit(broken).run(lambda conn: 1)
