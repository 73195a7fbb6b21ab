"""The parcel page shows head office's message status and sends a re-send request, which
goes to head office as a notify_resend record and queues the arrival message again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask.testing import FlaskClient

from sync.contract_records import record_problem
from sync.headoffice.notify.config import NotifySection
from sync.headoffice.notify.gateways import LogGateway
from sync.headoffice.notify.loop import Notifier
from sync.headoffice.notify.queue import NotifyQueue
from sync.headoffice.phones import PhoneBook
from sync.headoffice.records import records_for
from sync.headoffice.rows import scan_rows
from sync.headoffice.sqlite import SQLiteStorage
from tests.sync_fixtures import STATION, a_scan
from tests.web_fixtures import (  # noqa: F401 (fixtures)
    ZTO,
    Env,
    app_fixture,
    clerk_fixture,
    web_env_fixture,
)

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai


def test_status_and_resend_from_the_parcel_page(
    web_env: Env, clerk: tuple[FlaskClient, str], tmp_path: Path
) -> None:
    client, token = clerk
    web_env.receive(ZTO[0], "5678")
    page = client.get(f"/parcel/{ZTO[0]}").get_data(as_text=True)
    assert "总部尚未通知" in page and 'id="notify-resend"' in page
    at = NOW.isoformat(timespec="seconds")
    body = {"status": "failed", "template": "arrival", "reason": "aliyun: isv.BUSINESS_LIMIT"}
    web_env.store.outbox_apply_updates(
        [{"kind": "notify_status", "ref": ZTO[0], "at": at, "body": body}], "1"
    )
    page = client.get(f"/parcel/{ZTO[0]}").get_data(as_text=True)
    assert "到站通知" in page and "发送失败" in page and "isv.BUSINESS_LIMIT" in page

    r = client.post(f"/parcel/{ZTO[0]}/notify-resend", data={"csrf_token": token})
    assert r.status_code == 302
    assert "已请总部重新发送" in client.get(r.headers["Location"]).get_data(as_text=True)
    audit = web_env.store.all("SELECT action, subject FROM audit WHERE action = 'notify.resend'")
    assert [tuple(a) for a in audit] == [("notify.resend", ZTO[0])]
    assert (
        client.post("/parcel/NOSUCH0001/notify-resend", data={"csrf_token": token}).status_code
        == 404
    )

    # The request as a record, and what head office does with it.
    (record,) = web_env.store.outbox_pending("notify_resend")
    item = {"kind": record.kind, "id": record.id, "version": record.version, "body": record.body}
    assert record_problem(item) is None
    office = tmp_path / "office"
    storage = SQLiteStorage(office)
    records = records_for(storage)
    assert records is not None
    queue, phones = NotifyQueue(office), PhoneBook(office)
    phones.put([(STATION, ZTO[0], "13812345678", True)], NOW)
    scan = a_scan(1, waybill=ZTO[0], scanned_at=NOW.isoformat())
    storage.add_scans(scan_rows(STATION, "b", [scan], NOW.isoformat()))
    log = office / "m.log"
    notifier = Notifier(NotifySection(), storage, queue, phones, LogGateway(log), None, records)
    notifier.run_pass(NOW)
    assert records.add_records(STATION, [item], at) == ["accepted"]
    second = notifier.run_pass(NOW + timedelta(minutes=5))
    assert (second.resent, second.sent) == (1, 1)
    assert len(log.read_text(encoding="utf-8").splitlines()) == 2
    assert notifier.run_pass(NOW + timedelta(minutes=10)).resent == 0  # read once
    queue.close()
    phones.close()
    storage.close()
