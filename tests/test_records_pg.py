"""Head office's records tables on a real, throwaway PostgreSQL cluster on 127.0.0.1:
idempotent on (station, kind, id, version), pages by cursor, updates per station."""

from __future__ import annotations

from tests.sync_fixtures import PostgresCluster

AT = "2026-11-28T09:00:00+08:00"


def test_records_and_updates_in_postgresql() -> None:
    from psycopg_pool import ConnectionPool

    from sync.headoffice.records_pg import PostgresRecords

    url = PostgresCluster.get().new_database()
    with ConnectionPool(url, min_size=1, max_size=2, open=True) as pool:
        records = PostgresRecords(pool)
        PostgresRecords(pool)  # a second worker starting finds the tables made
        item = {"kind": "sending", "id": "3", "version": AT, "body": {"state": "open"}}
        newer = item | {"version": "2026-11-29T10:00:00+08:00", "body": {"state": "signed"}}
        assert records.add_records("S-1", [item], AT) == ["accepted"]
        assert records.add_records("S-1", [item, newer], AT) == ["duplicate", "accepted"]
        assert records.add_records("S-2", [item], AT) == ["accepted"]
        page = records.records("S-1", None, 0, 10)
        assert [(r["version"], r["body"]["state"]) for r in page] == [
            (AT, "open"),
            ("2026-11-29T10:00:00+08:00", "signed"),
        ]
        assert records.records("S-1", "sending", int(page[0]["cursor"]), 10) == page[1:]
        assert records.records("S-1", "ticket", 0, 10) == []
        n = records.add_update("S-1", "sign_record", "75123456789002", AT, {}, AT)
        assert records.updates("S-1", 0, 10) == [
            {"cursor": str(n), "kind": "sign_record", "ref": "75123456789002", "at": AT,
             "body": {}}
        ]  # fmt: skip
        assert records.updates("S-2", 0, 10) == [] and records.updates("S-1", n, 10) == []
