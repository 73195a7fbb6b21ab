"""Opening the store never writes and never creates; every connection is durable; a
missing or outdated database is named, never replaced by an empty one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from edge.cli import main
from edge.store import Store, StoreError, StoreMissing, StoreOutdated
from tests.web_fixtures import (  # noqa: F401 (fixtures)
    Served,
    app_fixture,
    clerk_fixture,
    served_fixture,
    web_env_fixture,
)


def test_a_missing_database_is_refused_and_never_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(StoreMissing, match=r"station\.db"):
        Store(tmp_path / "station.db")
    nope = tmp_path / "nope"
    assert main(["--data", str(nope), "scan", "--type", "receive", "75000000000001"]) == 3
    err = capsys.readouterr().err
    assert "database file missing" in err and "找不到数据库文件" in err
    assert str(nope / "station.db") in err
    assert main(["--data", str(nope), "status"]) == 1
    assert "database file missing" in capsys.readouterr().out
    assert not nope.exists()


def test_opening_never_writes(tmp_path: Path) -> None:
    db = tmp_path / "station.db"
    Store(db, create=True).close()
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        # With another process holding the write lock, opening and reading do not wait.
        with Store(db, busy_timeout_ms=50) as store:
            store.check_schema()
            assert store.parcel("SF1") is None
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_a_held_write_lock_is_busy_not_a_storage_failure(tmp_path: Path) -> None:
    db = tmp_path / "station.db"
    Store(db, create=True).close()
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        with Store(db, busy_timeout_ms=50) as store, pytest.raises(StoreError) as caught:
            store.raise_seq_floor(5)
        assert type(caught.value).__name__ == "StoreBusy"
        assert "busy" in caught.value.en and "忙" in caught.value.zh
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_an_outdated_schema_asks_for_migrate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "st"
    assert main(["--data", str(data), "init"]) == 0
    with Store(data / "station.db") as store:
        store.conn.execute("PRAGMA user_version = 1")
        with pytest.raises(StoreOutdated):
            store.check_schema()
    capsys.readouterr()
    assert main(["--data", str(data), "parcels"]) == 3
    assert "station migrate" in capsys.readouterr().err
    assert main(["--data", str(data), "migrate"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert main(["--data", str(data), "parcels"]) == 0


def test_every_connection_is_durable(tmp_path: Path) -> None:
    with Store(tmp_path / "station.db", create=True) as store:
        assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        store.conn.execute("PRAGMA synchronous = OFF")
        with pytest.raises(StoreError, match="not durable"):
            store.check_durability()


def test_read_only_pages_answer_under_a_held_write_lock(
    app: Flask, served: Served, clerk: tuple[FlaskClient, str]
) -> None:
    client, _ = clerk
    writer = sqlite3.connect(app.extensions["station"].db_path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        # An open that wrote would wait 5 s for the lock, then answer 503.
        r = requests.get(f"{served.url}/livez", timeout=3)
        assert r.status_code == 200 and r.json()["ok"] is True
        assert client.get("/search?q=SF1").status_code == 200
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_the_page_opens_durable_connections(app: Flask) -> None:
    from web import context

    with app.test_request_context("/livez"):
        conn = context.store().conn
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_database_deleted_under_the_page_is_an_alarm(app: Flask) -> None:
    db = app.extensions["station"].db_path
    client = app.test_client()
    assert client.get("/healthz").status_code in (200, 503)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    health = client.get("/healthz")
    assert health.status_code == 503
    failing = [c for c in health.get_json()["checks"] if not c["ok"]]
    assert failing[0]["name"] == "database" and str(db) in failing[0]["detail"]
    live = client.get("/livez")
    assert live.status_code == 503 and "找不到数据库文件" in live.get_data(as_text=True)
    assert not db.exists()
