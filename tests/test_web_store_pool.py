"""The page's pool of open stores: reused between requests, never across a replaced or
removed database file, and never while a transaction is open."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from edge.store import Store, StoreMissing
from web.context import StorePool


def test_a_store_given_back_is_reused(tmp_path: Path) -> None:
    db = tmp_path / "station.db"
    Store(db, create=True).close()
    pool = StorePool(db, idle=1)
    first = pool.take()
    pool.give_back(first)
    assert pool.take() is first
    second = pool.take()  # the pool was empty: a new one
    assert second is not first
    pool.give_back(first)
    pool.give_back(second)  # one idle at most: closed
    assert pool.take() is first
    pool.give_back(first)
    pool.close_idle()
    assert pool.take() is not first


def test_a_replaced_or_removed_file_is_never_reused(tmp_path: Path) -> None:
    db = tmp_path / "station.db"
    Store(db, create=True).close()
    pool = StorePool(db)
    old = pool.take()
    pool.give_back(old)
    # A restore puts another file in its place.
    shutil.copy(db, tmp_path / "restored.db")
    (tmp_path / "restored.db").replace(db)
    fresh = pool.take()
    assert fresh is not old
    fresh.one("SELECT 1 FROM parcels LIMIT 1")
    db.unlink()
    pool.give_back(fresh)
    with pytest.raises(StoreMissing):
        pool.take()


def test_a_store_in_a_transaction_is_closed_not_kept(tmp_path: Path) -> None:
    db = tmp_path / "station.db"
    Store(db, create=True).close()
    pool = StorePool(db)
    store = pool.take()
    store.conn.execute("BEGIN")
    pool.give_back(store)
    again = pool.take()
    assert again is not store and not again.conn.in_transaction
