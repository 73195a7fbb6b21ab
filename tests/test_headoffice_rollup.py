"""The page's counts are kept as scans arrive, and its tail search goes through an index,
on both backends: the same answers as a pass over the scans table, without the pass."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sync.headoffice.dashboard import queries
from sync.headoffice.dashboard.db import Db
from sync.headoffice.rows import scan_rows
from sync.headoffice.sqlite import SQLiteStorage
from tests.sync_fixtures import (  # noqa: F401
    STATION,
    Receiver,
    a_scan,
    batch,
    post,
    receiver_fixture,
)

RECOUNT = (
    "SELECT substr(scanned_at, 1, 10) AS day, station, COALESCE(carrier, '') AS carrier,"
    " type, COUNT(*) AS n FROM scans GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
)


def _kept(rec: Receiver) -> list[dict[str, object]]:
    rows = rec.rows("SELECT day, station, carrier, type, n FROM ho_scan_counts ORDER BY 1, 2, 3, 4")
    return [r | {"n": int(r["n"])} for r in rows]  # type: ignore[call-overload]


def test_counts_kept_at_insert_match_a_recount_after_resends_and_rejections(
    receiver: Receiver,
) -> None:
    Db(receiver.running.storage)  # the page's migrations, as create_app runs them
    scans = [
        a_scan(1, carrier="sf"),
        a_scan(2, carrier="zto", type="sign"),
        a_scan(3, carrier=None),
        a_scan(4, carrier="sf", scanned_at="2026-11-28T23:59:00+08:00"),
    ]
    assert post(receiver, batch(*scans)).status_code == 200
    assert post(receiver, batch(*scans[:2])).status_code == 200  # a resend: no new counts
    # seq 1 again under another event: rejected, and counted nowhere.
    clash = a_scan(1, carrier="sf")
    clash["event_id"] = "0192f0d2-0000-7000-8000-00000000dead"
    post(receiver, batch(clash, a_scan(5, carrier="yto")))
    recount = [r | {"n": int(r["n"])} for r in receiver.rows(RECOUNT)]
    assert _kept(receiver) == recount
    assert sum(r["n"] for r in recount) == 5  # type: ignore[misc]


def test_counts_are_filled_from_the_scans_held_before_the_page_first_ran(
    tmp_path: Path,
) -> None:
    storage = SQLiteStorage(tmp_path)
    rows = scan_rows(
        STATION, "b", [a_scan(n, carrier="jd") for n in range(1, 8)], "2026-11-28T01:00:00Z"
    )
    storage.add_scans(rows)  # before the page's migrations: no trigger yet
    db = Db(storage)
    assert db.rows("SELECT SUM(n) AS n FROM ho_scan_counts")[0]["n"] == 7
    storage.add_scans(scan_rows(STATION, "c", [a_scan(8, carrier="jd")], "2026-11-28T01:00:00Z"))
    by_day = queries.counts(db, "day", "2026-01-01", "2026-12-31", STATION)
    assert sum(row.total for row in by_day) == 8
    storage.close()


def test_the_tail_search_uses_its_index_and_finds_every_match(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path)
    db = Db(storage)
    waybills = ["SF000000001234", "YT99991234", "ZT000000005678", "JD12345"]
    rows = scan_rows(
        STATION,
        "b",
        [a_scan(n, waybill=w) for n, w in enumerate(waybills, 1)],
        "2026-11-28T01:00:00Z",
    )
    storage.add_scans(rows)
    assert queries.waybills_ending(db, "1234") == ["SF000000001234", "YT99991234"]
    assert queries.waybills_ending(db, "91234") == ["YT99991234"]
    assert queries.waybills_ending(db, "12345") == ["JD12345"]
    conn = sqlite3.connect(tmp_path / "head-office.db")
    plan = " ".join(
        str(r[-1])
        for r in conn.execute(
            "EXPLAIN QUERY PLAN SELECT DISTINCT waybill FROM scans"
            " WHERE substr(waybill, length(waybill) - 3) = ? AND waybill LIKE ?"
            " ORDER BY waybill LIMIT ?",
            ("1234", "%1234", 50),
        )
    )
    conn.close()
    assert "ho_scans_tail" in plan, plan
    storage.close()
