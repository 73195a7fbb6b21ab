"""The receive desk says which carrier it records and who decided it, and lets a
supervisor (only) receive again a parcel signed today. Flask's test client over a real
store and station."""

from __future__ import annotations

from typing import Any

from edge.station import ScanRequest
from tests.desk_fixtures import Client
from tests.web_fixtures import (  # noqa: F401 (fixtures)
    ZTO,
    Env,
    app_fixture,
    clerk_fixture,
    supervisor_fixture,
    web_env_fixture,
)


def receive(client: Client, code: str, **data: str) -> Any:
    c, token = client
    answer = c.post("/api/receive", data={"csrf_token": token, "code": code, **data})
    assert answer.status_code == 200
    return answer.get_json()


def test_each_answer_names_the_carrier_recorded_and_who_decided(clerk: Client) -> None:
    page = clerk[0].get("/receive").get_data(as_text=True)
    assert "本批快递公司" in page and 'data-f="carrier"' in page
    assert receive(clerk, ZTO[1], carrier="zto")["carrier_text"] == "记录为：中通（依据批次）"
    assert receive(clerk, ZTO[2])["carrier_text"] == "记录为：中通（按单号格式推断）"
    # A number three carriers use, with no batch or manifest: recorded as unknown.
    text = receive(clerk, "1234567890123")["carrier_text"]
    assert text.startswith("快递公司未知 · 可能是：") and "韵达" in text


def test_carrier_words_follow_the_language(clerk: Client) -> None:
    c, token = clerk
    c.post("/lang", data={"csrf_token": token, "lang": "en", "next": "/receive"})
    assert receive(clerk, ZTO[3], carrier="zto")["carrier_text"] == (
        "Recorded as: ZTO (from the batch)"
    )


def test_only_a_supervisor_is_offered_and_granted_a_receive_after_a_sign(
    clerk: Client, supervisor: Client, web_env: Env
) -> None:
    web_env.receive(ZTO[5], "1234")
    web_env.station.scan(ScanRequest(type="sign", code=ZTO[5], device="gun-1", operator="c1"))
    refused = receive(clerk, ZTO[5])
    assert refused["status"] == "duplicate" and "override" not in refused
    # A clerk posting the override anyway is refused by the core.
    assert receive(clerk, ZTO[5], override="1")["status"] == "refused"
    offered = receive(supervisor, ZTO[5])
    assert offered["status"] == "duplicate" and offered["override"] == "主管确认：重新入库"
    done = receive(supervisor, ZTO[5], override="1")
    assert done["status"] == "accepted" and "主管确认重新入库" in done["warnings"]
    audit = web_env.store.one(
        "SELECT actor FROM audit WHERE action = 'scan.receive_after_sign' AND subject = ?",
        (ZTO[5],),
    )
    assert audit is not None and audit["actor"] == "s1"


def test_the_menu_leads_to_the_label_page(clerk: Client) -> None:
    page = clerk[0].get("/receive").get_data(as_text=True)
    assert '<a href="/labels" class="extra">标签打印</a>' in page
