"""Group commit: the writes of uploads that arrive together share one transaction, so
one fsync'd commit answers them all. A write is answered only after the commit that
holds it, as before; each runs under its own savepoint, so one that fails is undone
alone and the others still commit.

The first caller to find no commit under way leads: it takes every write queued so far,
runs them in order in one transaction and commits; callers that queued meanwhile wait
for that commit, and the next leader takes whatever queued during it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Generic, TypeVar

R = TypeVar("R")


class _Write(Generic[R]):
    __slots__ = ("done", "error", "result", "work")

    def __init__(self, work: Callable[[sqlite3.Connection], R]) -> None:
        self.work = work
        self.result: R | None = None
        self.error: BaseException | None = None
        self.done = False


class GroupCommit:
    def __init__(self, transaction: Callable[[], AbstractContextManager[sqlite3.Connection]]):
        self._transaction = transaction
        self._queue_lock = threading.Lock()
        self._leader = threading.Lock()
        self._queued: list[_Write[Any]] = []

    def run(self, work: Callable[[sqlite3.Connection], R]) -> R:
        """``work(conn)`` inside a transaction shared with the writes queued beside it;
        its result once that transaction has committed."""
        write = _Write(work)
        with self._queue_lock:
            self._queued.append(write)
        with self._leader:
            if not write.done:
                with self._queue_lock:
                    writes, self._queued = self._queued, []
                self._commit(writes)
        if write.error is not None:
            raise write.error
        return write.result  # type: ignore[return-value]  # set: no error, so work ran

    def _commit(self, writes: list[_Write[Any]]) -> None:
        try:
            with self._transaction() as conn:
                for write in writes:
                    conn.execute("SAVEPOINT one_write")
                    try:
                        write.result = write.work(conn)
                    except Exception as exc:
                        conn.execute("ROLLBACK TO one_write")
                        write.error = exc
                    conn.execute("RELEASE one_write")
        except BaseException as exc:  # the transaction failed: none of them is held
            for write in writes:
                write.error = write.error or exc
        finally:
            for write in writes:
                write.done = True
