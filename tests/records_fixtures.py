"""Helpers for the records tests: one record of every kind made through the owning areas'
own code paths in a real store, a photo on disk, and head office's records read back."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from edge.service import receipts_desk, sends_desk, tickets_desk
from edge.service.receipts import Signing
from edge.service.settings import ServiceSection
from edge.store import Store
from tests.sync_fixtures import Receiver, jpeg

RULES = ServiceSection()
AT = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
ZTO = [f"75123456789{i:03d}" for i in range(20)]


@dataclass
class Made:
    ids: dict[str, str]  # kind -> the record's id as sent
    signature: str  # a photo's SHA-256, named by the handover and the batch


def add_photo(store: Store, data_dir: Path, text: str) -> str:
    data = jpeg(text)
    sha = hashlib.sha256(data).hexdigest()
    (data_dir / "photos").mkdir(parents=True, exist_ok=True)
    (data_dir / "photos" / f"{sha}.jpg").write_bytes(data)
    store.web_add_photo(sha, f"{sha}.jpg", len(data), AT.isoformat())
    return sha


def every_record(store: Store, data_dir: Path, problem_seq: int) -> Made:
    """One record of each kind; ``problem_seq`` is a problem scan already recorded."""
    at = AT.isoformat()
    sign = add_photo(store, data_dir, "courier signature")
    store.courier_save("zto-7", "Zhang San", "zto", "4321", at)
    hid = store.handover_open(store.courier("zto-7"), "gun-9", "op-1", at)  # type: ignore[arg-type]
    assert store.handover_close(hid, (AT + timedelta(minutes=5)).isoformat(), sign)
    bid = store.batch_open("return", "zto", "zto-7", "gun-9", "op-1", at)
    with store.transaction():
        store.batch_mark(bid, ZTO[0], None, "overdue", at)
    assert store.batch_close(bid, (AT + timedelta(minutes=9)).isoformat(), sign, "op-1")
    # A whole phone number written in a note goes masked.
    resolved = store.problem_resolve(problem_seq, "compensated", "paid; rang 13812345678",
                                     "s1", at)  # fmt: skip
    assert resolved == "resolved"
    assert store.monthly_save("2026-10", {"station": "SZ-NS-0042", "rows": [["zto", 3]]}, at)
    photo = add_photo(store, data_dir, "damaged box")
    tid = tickets_desk.open_ticket(
        store, RULES, AT, "c1", kind="complaint", words="外包装破损", waybills=[ZTO[1]],
        phone_last4="5678", category="damaged_outer", photos=[photo],
    )  # fmt: skip
    sends_desk.send(store, RULES, AT, "c1", carrier="zto", weight_g=800, province="广东",
                    waybill=ZTO[2], sender_name="王小明", receiver_name="李四")  # fmt: skip
    receipts_desk.require(store, RULES, AT, "c1", ZTO[3], "signature")
    signing = Signing(True, None, False, 1, 1)
    row = receipts_desk.check_signing(store, ZTO[3], signing, "self")
    receipts_desk.record_signing(store, RULES, AT, "c1", row, signing, "self", ())
    with store.transaction():
        store.conn.execute("UPDATE receipts SET carrier = 'zto'")
    rbid, _ = receipts_desk.send_batch(store, AT, "c1", "zto", None, [ZTO[3]])
    sending = store.service_sending(ZTO[2])
    assert sending is not None
    resend = store.notify_ask_resend(ZTO[5], "c1", AT.isoformat())
    ids = {
        "handover": str(hid),
        "dispatch_batch": str(bid),
        "resolution": "1",
        "monthly": "2026-10",
        "ticket": str(tid),
        "receipt": ZTO[3],
        "receipt_batch": str(rbid),
        "sending": str(sending["id"]),
        "notify_resend": str(resend),
    }
    return Made(ids, sign)


def ho_rows(receiver: Receiver, query: str) -> list[dict[str, Any]]:
    """Rows of head office's own database, whichever backend it runs on."""
    rows = getattr(receiver, "rows", None)
    if rows is not None:
        found: list[dict[str, Any]] = rows(query)
        return found
    with receiver.db() as conn:
        return [dict(r) for r in conn.execute(query)]


def held(receiver: Receiver) -> list[dict[str, Any]]:
    """Head office's records, oldest first, bodies parsed."""
    return [
        r | {"body": json.loads(r["body"]) if isinstance(r["body"], str) else r["body"]}
        for r in ho_rows(receiver, "SELECT * FROM records ORDER BY n")
    ]
