"""What the manifest carries to a station (contract version 6): the recipient's consent to
a station, answered amber at receive, and the signed receipt (回单) the sender wants back,
required at receive with the manifest's hops. Both optional at every step."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from edge.cli import main
from edge.config import Config
from edge.service import receipts_desk
from edge.service.errors import ServiceError
from edge.service.receipts import Signing
from edge.station import ScanRequest, Station
from edge.store import Store
from sync.headoffice.manifest_csv import ManifestError, parse_manifest_csv
from sync.headoffice.sqlite import SQLiteStorage
from sync.station.manifest import manifest_parcels
from tests.conftest import ManualClock
from tests.sync_fixtures import (  # noqa: F401
    STATION,
    Env,
    PostgresCluster,
    ScriptedServer,
    Seen,
    answer,
    env_fixture,
    make_uploader,
    receiver_fixture,
    station_config,
    write_token,
)
from web.present import tone

SF = "SF1234567890123"
ZTO = "75123456789012"


# -- the decision at receive ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("consent", "key", "warned", "colour"),
    [
        ("no", "received_no_consent", True, "warn"),
        ("yes", "received", False, "ok"),
        ("unknown", "received", False, "ok"),
        (None, "received", False, "ok"),  # no manifest row at all
    ],
)
def test_receive_answers_amber_only_when_the_manifest_says_no(
    station: Station, store: Store, consent: str | None, key: str, warned: bool, colour: str
) -> None:
    if consent is not None:
        store.upsert_manifest([{"waybill": ZTO, "carrier": "zto", "consent": consent}])
    out = station.scan(ScanRequest("receive", ZTO, "d1"))
    assert out.status == "accepted" and out.seq is not None  # received either way
    assert out.message_key == key
    assert ("no_consent" in out.warnings) is warned
    assert tone(out.status, out.warnings) == colour
    if warned:
        assert "收件人未同意放驿站，请联系快递员" in out.message_zh
        assert "call the courier" in out.message_en and out.pickup_code in out.message_en
        # The sorting screen reads the journal: the same words and warning are there.
        read = store.one("SELECT message_zh, warnings FROM reads WHERE id = ?", (out.read_id,))
        assert read is not None and "no_consent" in read["warnings"]
        assert read["message_zh"] == out.message_zh


def test_a_gun_sounds_amber_and_a_later_sign_is_plain(
    station: Station, store: Store, clock: ManualClock
) -> None:
    store.upsert_manifest([{"waybill": ZTO, "consent": "no"}])
    desk = station.ensure_desk("gun-1", "receive")
    out = station.read(ZTO, desk)
    assert (out.status, out.warnings) == ("accepted", ["no_consent"])
    clock.advance(5)
    signed = station.scan(ScanRequest("sign", ZTO, "d1"))
    assert signed.status == "accepted" and "no_consent" not in signed.warnings


# -- the CSV at head office -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("cell", "stored"),
    [
        ("", None),
        ("no", None),
        ("yes", "signature,copies=1"),
        ("signature+id", "signature,id,copies=1"),
        ("Stamp + copies=2", "stamp,copies=2"),
        ("signature,id,stamp,copies=3", "signature,id,stamp,copies=3"),
    ],
)
def test_receipt_column_is_kept_in_the_requirement_notation(cell: str, stored: str | None) -> None:
    text = f'station,waybill,receipt,hops\nS1,{SF},"{cell}",2\n'
    (parcel,) = parse_manifest_csv(text)
    assert parcel["receipt"] == stored and parcel["hops"] == 2


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (f"S1,{SF},signature+fingerprint,", "line 2: receipt: unknown receipt field"),
        (f"S1,{SF},copies=99,", "line 2: receipt: copies"),
        (f"S1,{SF},yes,0", "line 2: hops: expected 1 to 9"),
        (f"S1,{SF},yes,two", "line 2: hops"),
    ],
)
def test_a_bad_receipt_or_hops_is_named(row: str, problem: str) -> None:
    with pytest.raises(ManifestError, match=problem):
        parse_manifest_csv(f"station,waybill,receipt,hops\n{row}\n")


def test_a_version_1_csv_imports_unchanged() -> None:
    (parcel,) = parse_manifest_csv(f"station,waybill,carrier\nS1,{SF},sf\n")
    assert (parcel["consent"], parcel["receipt"], parcel["hops"]) == (None, None, None)


# -- what the station takes from an answer --------------------------------------------------
def test_the_station_checks_the_new_fields_again() -> None:
    good, odd, old = manifest_parcels(
        [
            {"waybill": SF, "consent": "no", "receipt": "signature,id,copies=2", "hops": 3},
            {"waybill": ZTO, "consent": True, "receipt": "fingerprint", "hops": 40},
            {"waybill": "YT1234567890123"},  # a version-1 head office says nothing of them
        ]
    )
    assert (good["consent"], good["receipt"], good["hops"]) == ("no", "signature,id,copies=2", 3)
    assert (odd["consent"], odd["receipt"], odd["hops"]) == ("unknown", None, None)
    assert (old["consent"], old["receipt"], old["hops"]) == ("unknown", None, None)


def test_a_version_1_head_office_manifest_still_works(
    tmp_path: Path, store: Store, clock: ManualClock
) -> None:
    v1 = {"waybill": SF, "carrier": "sf", "phone_last4": "4321", "recipient_masked": "王*",
          "declared_weight_g": 800}  # fmt: skip

    def office(seen: Seen, handler: Any) -> None:
        if seen.path.startswith(f"/v1/stations/{STATION}/manifest"):
            answer(handler, 200, {"parcels": [v1], "next": None})
        else:
            answer(handler, 404, {"error": "no such thing"})

    token = write_token(tmp_path / "head-office.token", "t" * 43)
    with ScriptedServer(office) as old:
        config = station_config(old.url, token, manifest_interval_s=60.0)
        make_uploader(store, config, tmp_path, clock).turn()
    entry = store.manifest_entry(SF)
    assert entry is not None and (entry["consent"], entry["receipt"]) == ("unknown", None)
    out = Station(store, config, clock).scan(ScanRequest("receive", SF, "d1"))
    assert (out.status, out.message_key, out.warnings) == ("accepted", "received", [])
    assert store.service_receipt(SF) is None


# -- end to end: a CSV imported at a real head office, pulled, received ----------------------
def import_csv(env: Env, tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "manifest.csv"
    csv.write_text(text, encoding="utf-8")
    where = ["--data", str(env.receiver.data_dir)]
    if env.receiver.db_url:
        where += ["--db", env.receiver.db_url]
    assert main(["head-office", "manifest", "import", str(csv), *where]) == 0
    capsys.readouterr()


def test_consent_no_travels_from_the_csv_to_an_amber_receive(
    env: Env, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import_csv(
        env,
        tmp_path,
        "station,waybill,carrier,phone,consent\n"
        f"{STATION},{SF},sf,13812345678,no\n"
        f"{STATION},{ZTO},zto,13912345678,yes\n",
        capsys,
    )
    reply = requests.get(
        f"{env.receiver.url}/v1/stations/{STATION}/manifest",
        headers={"Authorization": f"Bearer {env.receiver.token}"},
        timeout=5,
    ).json()
    assert [(p["waybill"], p["consent"]) for p in reply["parcels"]] == [(SF, "no"), (ZTO, "yes")]
    assert "13812345678" not in json.dumps(reply)
    env.uploader(manifest_interval_s=60.0).turn()
    refused = env.scan("receive", SF)
    agreed = env.scan("receive", ZTO)
    assert refused.warnings == ["no_consent"] and refused.message_key == "received_no_consent"
    assert agreed.warnings == [] and agreed.message_key == "received"
    assert main(["--data", str(tmp_path), "parcel", SF, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["consent"] == "no"
    day = env.clock.now(env.config().tz).wall.date().isoformat()
    assert main(["--data", str(tmp_path), "report", "daily", "--date", day, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["received_without_consent"] == 1


def test_a_receipt_in_the_manifest_is_required_at_receive_and_asked_at_sign(
    env: Env, tmp_path: Path, config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    import_csv(
        env,
        tmp_path,
        "station,waybill,carrier,receipt,hops\n"
        f"{STATION},{SF},sf,signature+id,2\n"
        f"{STATION},{ZTO},zto,,\n",
        capsys,
    )
    env.uploader(manifest_interval_s=60.0).turn()
    assert env.store.service_receipt(SF) is None  # nothing until the parcel is here
    env.scan("receive", SF)
    env.scan("receive", ZTO)
    row = env.store.service_receipt(SF)
    assert row is not None
    assert (row["source"], row["hops"], row["need_signature"], row["need_id"]) == (
        "manifest", 2, 1, 1,
    )  # fmt: skip
    assert env.store.service_receipt(ZTO) is None
    station = env.station()
    plain = station.scan(ScanRequest("sign", SF, "d1"))
    assert (plain.status, plain.message_key) == ("duplicate", "receipt_required")
    signing = Signing(signature=True, id_last4=None, stamp=False, copies=1, photos=1)
    with pytest.raises(ServiceError) as refused:
        receipts_desk.check_signing(env.store, SF, signing, "self")
    assert refused.value.params["fields"] == ["id_last4"]  # the manifest asked for an ID
    signing = Signing(signature=True, id_last4="1234", stamp=False, copies=1, photos=1)
    checked = receipts_desk.check_signing(env.store, SF, signing, "self")
    out = station.scan(ScanRequest("sign", SF, "d1", receipt_checked=True))
    assert out.status == "accepted"
    now = env.clock.now(config.tz).wall
    due = receipts_desk.record_signing(
        env.store, station.config.service, now, "op-1", checked, signing, "self", ()
    )
    assert due - now == timedelta(days=15)  # one transfer: the ladder's second step


def test_a_manifest_that_comes_after_its_parcel_still_marks_the_receipt(
    env: Env, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env.scan("receive", SF)
    env.scan("receive", ZTO)
    env.scan("sign", ZTO)  # gone already: nothing to ask of it any more
    import_csv(
        env,
        tmp_path,
        "station,waybill,receipt,hops\n"
        f"{STATION},{SF},stamp+copies=2,3\n"
        f"{STATION},{ZTO},signature,\n",
        capsys,
    )
    env.uploader(manifest_interval_s=60.0).turn()
    row = env.store.service_receipt(SF)
    assert row is not None and (row["source"], row["hops"], row["need_stamp"], row["copies"]) == (
        "manifest", 3, 1, 2,
    )  # fmt: skip
    assert env.store.service_receipt(ZTO) is None
    refused = env.station().scan(ScanRequest("sign", SF, "d1"))
    assert refused.message_key == "receipt_required"


# -- older databases gain the columns -------------------------------------------------------
def check_upgraded(storage: Any) -> None:
    """A row stored before version 6 answers unknown; a new import keeps every field."""
    try:
        (old,) = storage.manifest(STATION, None, 10).parcels
        assert (old["consent"], old["receipt"], old["hops"]) == ("unknown", None, None)
        storage.import_manifest(
            parse_manifest_csv(
                f"station,waybill,consent,receipt,hops\n{STATION},{ZTO},0,stamp,3\n"
            ),
            "2026-11-21T00:00:00Z",
        )
        new = storage.manifest(STATION, None, 10).parcels[-1]
        assert (new["consent"], new["receipt"], new["hops"]) == ("no", "stamp,copies=1", 3)
    finally:
        storage.close()


def test_an_older_head_office_database_gains_the_columns(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "head-office.db")
    conn.execute(
        "CREATE TABLE manifest (id INTEGER PRIMARY KEY AUTOINCREMENT, station TEXT NOT NULL,"
        " waybill TEXT NOT NULL, carrier TEXT, phone_last4 TEXT, recipient_masked TEXT,"
        " declared_weight_g INTEGER, valuable INTEGER NOT NULL DEFAULT 0,"
        " imported_at TEXT NOT NULL, UNIQUE (station, waybill))"
    )
    conn.execute(
        "INSERT INTO manifest (station, waybill, imported_at) VALUES (?, ?, ?)",
        (STATION, SF, "2026-11-20T00:00:00Z"),
    )
    conn.commit()
    conn.close()
    check_upgraded(SQLiteStorage(tmp_path))


def test_an_older_postgresql_database_gains_the_columns() -> None:
    import psycopg

    from sync.headoffice.postgres import MIGRATIONS, PostgresStorage

    url = PostgresCluster.get().new_database()
    mine = next(v for v, name, _ in MIGRATIONS if name.startswith("manifest consent"))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        for version, name, script in MIGRATIONS:
            if version < mine:
                conn.execute(script)
                conn.execute("INSERT INTO schema_migrations VALUES (%s, %s)", (version, name))
        conn.execute(
            "INSERT INTO manifest (station, waybill, imported_at) VALUES (%s, %s, now())",
            (STATION, SF),
        )
    check_upgraded(PostgresStorage(url, max_size=2))


def test_an_older_station_database_keeps_its_manifest_rows(tmp_path: Path) -> None:
    latest = "sync-002-manifest-consent-receipt"
    older = type("Older", (Store,), {"migrations": [m for m in Store.migrations if m[0] != latest]})
    with older(tmp_path / "station.db", create=True) as old:
        old.conn.execute(
            "INSERT INTO manifest (waybill, carrier, fetched_at) VALUES (?, 'sf', 'x')", (SF,)
        )
    with Store(tmp_path / "station.db") as store:
        assert latest in store.migrate()
        entry = store.manifest_entry(SF)
        assert entry is not None and (entry["consent"], entry["receipt"]) == ("unknown", None)
