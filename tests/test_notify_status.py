"""Head office's notify_status updates reach the station and `station parcel --json`."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from edge.cli import main
from edge.station import ScanRequest, Station
from edge.store import Store
from sync.contract_records import update_problem
from sync.headoffice.notify.config import NotifySection
from sync.headoffice.notify.gateways import LogGateway
from sync.headoffice.notify.loop import Notifier
from sync.headoffice.notify.queue import NotifyQueue
from sync.headoffice.phones import PhoneBook
from sync.headoffice.records import records_for
from sync.headoffice.rows import scan_rows
from sync.headoffice.sqlite import SQLiteStorage
from tests.sync_fixtures import STATION, a_scan
from tests.test_notify_loop import ARRIVED

WAYBILL = "SF1234567890123"


def test_status_goes_back_as_an_update_the_station_keeps(
    tmp_path: Path, station: Station, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    office = tmp_path / "office"
    storage = SQLiteStorage(office)
    records = records_for(storage)
    queue, phones = NotifyQueue(office), PhoneBook(office)
    phones.put([(STATION, WAYBILL, "13812345678", True)], ARRIVED)
    scan = a_scan(1, waybill=WAYBILL, scanned_at=ARRIVED.isoformat())
    storage.add_scans(scan_rows(STATION, "b", [scan], ARRIVED.isoformat()))
    notifier = Notifier(
        NotifySection(), storage, queue, phones, LogGateway(office / "m.log"), None, records
    )
    notifier.run_pass(ARRIVED + timedelta(minutes=1))
    assert records is not None
    updates = records.updates(STATION, 0, 100)
    assert [u["body"]["status"] for u in updates] == ["queued", "sent"]
    assert all(update_problem(u) is None for u in updates)
    assert "13812345678" not in json.dumps(updates)

    station.scan(ScanRequest("receive", WAYBILL, "d1"))
    store.outbox_apply_updates(updates, updates[-1]["cursor"])
    # An older status arriving late does not overwrite the newer one.
    store.outbox_apply_updates(updates[:1], updates[-1]["cursor"])
    assert main(["--data", str(tmp_path), "parcel", WAYBILL, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)["notify"]
    assert shown == {
        "status": "sent", "template": "arrival", "reason": None,
        "at": (ARRIVED + timedelta(minutes=1)).isoformat(timespec="seconds"),
    }  # fmt: skip
    queue.close()
    phones.close()
    storage.close()


def test_a_bad_notify_status_is_refused_by_the_contract() -> None:
    bad = {"kind": "notify_status", "ref": WAYBILL, "at": ARRIVED.isoformat(),
           "body": {"status": "delivered", "template": "arrival"}}  # fmt: skip
    assert update_problem(bad) == "body.status: expected one of queued, sent, failed"
    extra = bad | {"body": {"status": "sent", "template": "arrival", "to": "13812345678"}}
    assert update_problem(extra) is not None
