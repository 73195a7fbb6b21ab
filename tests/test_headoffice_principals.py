"""The receiver remembers who a token is for a few seconds, never longer, and never
remembers a token it did not find."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sync.headoffice.principals import CachedPrincipals
from sync.headoffice.sqlite import SQLiteStorage
from sync.headoffice.storage import Principal


class Clock:
    """Seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def revoke(storage: SQLiteStorage, token_hash: str) -> None:
    with sqlite3.connect(storage.path) as conn:
        conn.execute("DELETE FROM tokens WHERE token_hash = ?", (token_hash,))


def test_a_revoked_token_is_refused_once_its_entry_expires(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path)
    storage.add_token("SZ-1", "h1", "station")
    clock = Clock()
    principals = CachedPrincipals(storage.principal, ttl_s=5.0, clock=clock)
    assert principals("h1") == Principal("SZ-1", "station")
    revoke(storage, "h1")
    clock.now += 4.9
    assert principals("h1") == Principal("SZ-1", "station")  # within the documented TTL
    clock.now += 0.2
    assert principals("h1") is None
    storage.close()


def test_an_unknown_token_is_not_remembered(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path)
    principals = CachedPrincipals(storage.principal, clock=Clock())
    assert principals("h2") is None
    storage.add_token("SZ-2", "h2", "station")
    assert principals("h2") == Principal("SZ-2", "station")
    storage.close()


def test_a_remembered_token_costs_no_lookup(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path)
    storage.add_token("SZ-3", "h3", "station")
    looked_up: list[str] = []

    def lookup(token_hash: str) -> Principal | None:
        looked_up.append(token_hash)
        return storage.principal(token_hash)

    principals = CachedPrincipals(lookup, clock=Clock())
    for _ in range(50):
        assert principals("h3") == Principal("SZ-3", "station")
    assert looked_up == ["h3"]
    storage.close()
