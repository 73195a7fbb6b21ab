"""The day's screens through the Flask client on a real store: every page answers, bad
input gets a plain answer (never a 500), sheets come as a page and a PDF."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from edge.desk import summaries
from tests.desk_fixtures import Client, post_code, post_form
from tests.web_fixtures import (  # noqa: F401 (fixtures)
    ZTO,
    Env,
    app_fixture,
    clerk_fixture,
    supervisor_fixture,
    web_env_fixture,
)


def signature_png() -> str:
    image = Image.new("RGB", (600, 200), "white")
    for x in range(50, 550):
        image.putpixel((x, 100 + (x % 40) // 4), (0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


@pytest.fixture
def courier(web_env: Env) -> str:
    web_env.store.courier_save("zto-7", "Zhang San", "zto", "4321", "2026-11-23T09:00:00+08:00")
    return "zto-7"


def test_pages_answer_for_a_clerk(clerk: Client, courier: str) -> None:
    c, _ = clerk
    for url in ("/handover", "/returns", "/problems", "/problems?state=all", "/money",
                "/money?month=2026-11"):  # fmt: skip
        response = c.get(url)
        assert response.status_code == 200, url
    assert "Zhang San" in c.get("/handover").get_data(as_text=True)


def test_with_no_courier_the_handover_page_says_what_to_do(
    clerk: Client, supervisor: Client
) -> None:
    clerk_page = clerk[0].get("/handover").get_data(as_text=True)
    assert 'id="open-handover"' not in clerk_page  # no empty list beside "Start handover"
    assert "请主管先在本页添加快递员" in clerk_page
    boss_page = supervisor[0].get("/handover").get_data(as_text=True)
    assert "请在下方添加快递员" in boss_page and 'id="add-courier"' in boss_page


def test_bad_input_gets_a_plain_answer(clerk: Client, supervisor: Client, courier: str) -> None:
    c, _ = clerk
    assert c.get("/money?month=2026-13").status_code == 400
    assert c.get("/problems?carrier=nope").status_code == 400
    assert c.get("/handover/99").status_code == 404
    assert c.get("/batch/99").status_code == 404
    assert post_form(clerk, "/handover/open", courier="nobody").status_code == 400
    assert post_form(clerk, "/batch/open", kind="x", carrier="zto").status_code == 400
    assert post_form(clerk, "/problems/99/resolve", resolution="found", note="x").status_code == 404
    assert post_form(clerk, "/problems/1/resolve", resolution="lost", note="x").status_code == 400
    assert post_form(clerk, "/couriers", id="a", name="A", carrier="zto").status_code == 403
    assert (
        post_form(supervisor, "/couriers", id="bad id", name="A", carrier="zto").status_code == 400
    )
    assert post_form(supervisor, "/money/fees", carrier="zto", kind="receive", fen="-1",
                effective_from="2026-11-01").status_code == 400  # fmt: skip
    assert post_form(supervisor, "/money/fees", carrier="zto", kind="receive", fen="x",
                effective_from="2026-11-01").status_code == 400  # fmt: skip
    response = post_form(clerk, "/handover/open", courier=courier)
    assert response.status_code == 302
    url = response.headers["Location"]
    for bad in ("", "data:image/png;base64,!!!", "data:image/png;base64,aGVsbG8="):
        answer = post_form(clerk, url + "/close", signature=bad)
        assert answer.status_code == 400
        assert "签名" in answer.get_data(as_text=True)


def test_couriers_disabled_and_enabled_by_a_supervisor(
    supervisor: Client, clerk: Client, courier: str, web_env: Env
) -> None:
    assert post_code(clerk, f"/couriers/{courier}/active", active="0") == 403
    assert post_code(supervisor, f"/couriers/{courier}/active", active="0") == 302
    assert post_code(clerk, "/handover/open", courier=courier) == 400
    assert 'value="zto-7"' not in clerk[0].get("/handover").get_data(as_text=True)
    assert post_code(supervisor, f"/couriers/{courier}/active", active="1") == 302
    assert post_code(clerk, "/handover/open", courier=courier) == 302
    assert post_code(supervisor, "/couriers/nobody/active", active="1") == 404
    actions = [r["action"] for r in web_env.store.admin_audit(action="courier.")]
    assert actions[:2] == ["courier.enable", "courier.disable"]


def test_handover_on_the_page_closes_into_a_sheet_and_pdf(
    clerk: Client, courier: str, web_env: Env
) -> None:
    c, token = clerk
    web_env.store.upsert_manifest([{"waybill": w, "carrier": "zto"} for w in ZTO[:3]])
    url = post_form(clerk, "/handover/open", courier=courier).headers["Location"]
    for waybill in (ZTO[0], ZTO[1], ZTO[50]):
        answer = c.post("/api/receive", data={"csrf_token": token, "code": waybill,
                                              "carrier": "zto"})  # fmt: skip
        assert answer.get_json()["status"] == "accepted"
    counts = c.get("/api" + url).get_json()
    assert (counts["scanned"], counts["missing"], counts["extra"]) == (3, 1, 1)
    assert post_form(clerk, url + "/close", signature=signature_png()).status_code == 302
    page = c.get(url).get_data(as_text=True)
    assert ZTO[2] in page and ZTO[50] in page and 'class="signed"' in page
    assert post_form(clerk, url + "/close", signature=signature_png()).status_code == 409
    pdf = c.get(url + "/sheet.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Type"] == "application/pdf"


def test_refusal_lists_for_return_and_a_batch_flags_strays(clerk: Client, web_env: Env) -> None:
    c, token = clerk
    for waybill in ZTO[:3]:
        web_env.receive(waybill)
    page = post_form(clerk, "/returns/refused", code=ZTO[0], note="不要了")
    assert page.status_code == 200
    (listed,) = web_env.store.return_candidates("zto")
    assert (listed["waybill"], listed["reason"], listed["note"]) == (ZTO[0], "refused", "不要了")
    # A code that is no waybill: a plain refusal, nothing listed.
    assert post_form(clerk, "/returns/refused", code="hello!").status_code == 409
    url = post_form(clerk, "/batch/open", kind="return", carrier="zto").headers["Location"]
    stray = c.post("/api" + url + "/scan", data={"csrf_token": token, "code": ZTO[1]})
    assert stray.status_code == 409 and stray.get_json()["tone"] == "bad"
    assert web_env.store.parcel(ZTO[1])["state"] == "on_shelf"
    out = c.post("/api" + url + "/scan", data={"csrf_token": token, "code": ZTO[0]})
    assert out.get_json()["status"] == "accepted"
    assert web_env.store.parcel(ZTO[0])["dispatch_reason"] == "return"
    state = c.get("/api" + url).get_json()
    assert (state["out"], state["strays"], state["left"]) == (1, [ZTO[1]], [])
    assert post_form(clerk, url + "/close", signature=signature_png()).status_code == 302
    assert c.get(url + "/sheet.pdf").data.startswith(b"%PDF")
    assert (
        c.post("/api" + url + "/scan", data={"csrf_token": token, "code": ZTO[2]}).status_code
        == 409
    )
    assert web_env.store.desk_pending("batch")[0]["id"] == int(url.rsplit("/", 1)[1])


def test_delivery_batch_dispatches_what_it_scans_and_records_wait_for_head_office(
    clerk: Client, web_env: Env
) -> None:
    c, token = clerk
    web_env.receive(ZTO[0])
    url = post_form(clerk, "/batch/open", kind="delivery", carrier="zto").headers["Location"]
    out = c.post("/api" + url + "/scan", data={"csrf_token": token, "code": ZTO[0]})
    assert out.get_json()["status"] == "accepted"
    assert web_env.store.parcel(ZTO[0])["dispatch_reason"] == "delivery"
    unknown = c.post("/api" + url + "/scan", data={"csrf_token": token, "code": ZTO[9]})
    assert unknown.status_code == 409
    assert c.get("/api" + url).get_json()["strays"] == [ZTO[9]]
    assert summaries.pending_records(web_env.store, "batch") == []
    assert post_form(clerk, url + "/close", signature=signature_png()).status_code == 302
    ((key, body),) = summaries.pending_records(web_env.store, "batch")
    assert body["kind"] == "delivery" and body["out"] == 1 and body["signature"]
    assert web_env.store.desk_mark_sent("batch", [key], "2026-11-23T10:00:00+08:00") == 1
    assert summaries.pending_records(web_env.store, "batch") == []


def test_money_page_and_xlsx(supervisor: Client, web_env: Env) -> None:
    c, _ = supervisor
    web_env.receive(ZTO[0])
    assert post_form(supervisor, "/money/fees", carrier="zto", kind="receive", fen="40",
                effective_from="2026-11-01").status_code == 302  # fmt: skip
    page = c.get("/money?month=2026-11").get_data(as_text=True)
    assert "0.40" in page
    book = c.get("/money.xlsx?month=2026-11")
    assert book.status_code == 200 and book.data[:2] == b"PK"
