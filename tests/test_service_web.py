"""The service desk's screens through Flask's test client on a real SQLite store:
tickets, receipts at the pickup desk and sendings; bad input answered, nothing 500."""

from __future__ import annotations

import html
import io

import pytest
from flask.testing import FlaskClient

from tests.web_fixtures import (  # noqa: F401 (fixtures)
    ZTO,
    Env,
    app_fixture,
    clerk_fixture,
    jpeg_with_gps,
    supervisor_fixture,
    web_env_fixture,
)

Client = tuple[FlaskClient, str]
PAGES = ["/tickets", "/tickets/1", "/receipts", "/receipts/sign/X1", "/sends"]


def post(client: Client, path: str, **data: object) -> tuple[int, str]:
    c, token = client
    response = c.post(path, data={"csrf_token": token, **data})
    return response.status_code, html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_sign_in(app, path: str) -> None:
    response = app.test_client().get(path)
    assert response.status_code == 302


def test_pages_answer_and_bad_input_is_refused_plainly(clerk: Client) -> None:
    c, _ = clerk
    for path, status in zip(PAGES, (200, 404, 200, 404, 200), strict=True):
        assert c.get(path).status_code == status, path
    for path, data, words in [
        ("/tickets", {"kind": "rant", "words": "x", "phone_last4": "5678"}, "工单类型无效"),
        ("/tickets", {"kind": "inquiry", "words": " ", "phone_last4": "5678"}, "客户的原话"),
        ("/tickets", {"kind": "inquiry", "words": "where"}, "至少一项"),
        ("/tickets", {"kind": "inquiry", "words": "w", "phone_last4": "56"}, "4 位数字"),
        ("/tickets/1", {"state": "answered"}, "没有这个工单"),
        ("/sends", {"carrier": "zto", "province": "火星", "weight_g": "500"}, "省份无法识别"),
        ("/sends", {"carrier": "zto", "province": "湖南"}, "没有重量"),
        ("/sends", {"carrier": "zto", "province": "湖南", "weight_g": "x"}, "之间的数"),
        ("/receipts/require", {"waybill": "!!", "copies": "1"}, "运单号不对"),
        ("/receipts/require", {"waybill": ZTO[0], "copies": "99"}, "回单要求"),
        ("/receipts/batch", {"carrier": "zto"}, "没有可装袋"),
    ]:
        status, body = post(clerk, path, **data)
        assert status in (400, 404), (path, status)
        assert words in body, (path, data)


def test_an_inquiry_shows_the_parcels_it_is_about(clerk: Client, web_env: Env) -> None:
    shelved = web_env.receive(ZTO[3], "4321")
    web_env.receive(ZTO[4], "4321")
    assert post(clerk, "/tickets", kind="inquiry", phone_last4="4321", words="我的快递呢")[0] == 302
    page = html.unescape(clerk[0].get("/tickets/1").get_data(as_text=True))
    assert ZTO[3] in page and ZTO[4] in page and shelved["pickup_code"] in page


def test_ticket_moves_on_and_shows_a_missed_deadline(clerk: Client, web_env: Env) -> None:
    c, token = clerk
    photo = (io.BytesIO(jpeg_with_gps()), "box.jpg")
    data = {
        "csrf_token": token,
        "kind": "complaint",
        "category": "damaged_outer",
        "waybills": ZTO[0],
        "words": "外箱压坏了",
        "photo": photo,
    }
    response = c.post("/tickets", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    page = c.get(response.headers["Location"]).get_data(as_text=True)
    assert "外箱压坏了" in page and "thumbs" in page
    web_env.clock.advance(6 * 60)
    listing = c.get("/tickets").get_data(as_text=True)
    assert 'class="overdue"' in listing and "超时" in listing
    assert post(clerk, "/tickets/1", state="answered", note="已联系网点")[0] == 302
    page = html.unescape(c.get("/tickets/1").get_data(as_text=True))
    assert "曾超时：首次答复" in page and "已联系网点" in page
    assert post(clerk, "/tickets/1", state="open")[0] == 409
    assert post(clerk, "/tickets/1", state="settled")[0] == 302
    assert post(clerk, "/tickets/1", state="followed_up", satisfaction="9")[0] == 400
    assert post(clerk, "/tickets/1", state="followed_up", satisfaction="4")[0] == 302
    assert "回访率 100%" in c.get("/tickets").get_data(as_text=True)
    events = web_env.store.service_ticket_events(1)
    assert [e["action"] for e in events] == ["open", "answered", "settled", "followed_up"]
    assert {e["operator"] for e in events} == {"c1"}


def test_pickup_sends_a_receipt_parcel_to_the_receipt_form(clerk: Client, web_env: Env) -> None:
    out = web_env.receive(ZTO[0], "5678")
    assert (
        post(
            clerk, "/receipts/require", waybill=ZTO[0], id="1", signature="1", copies="1", hops="1"
        )[0]
        == 302
    )
    c, token = clerk
    page = c.get("/pickup?q=" + out["pickup_code"]).get_data(as_text=True)
    assert f"/receipts/sign/{ZTO[0]}" in page and "disabled" in page
    # Nothing ticked: refused with everything that is missing, and the parcel stays.
    status, body = post(clerk, f"/receipts/sign/{ZTO[0]}", relation="proxy", copies="0")
    assert status == 409
    for word in ("签名", "收件人证件后四位", "份数", "代取人姓名", "代取人证件后四位", "回单照片"):
        assert word in body
    assert web_env.store.parcel(ZTO[0])["state"] == "on_shelf"
    data = {
        "csrf_token": token,
        "relation": "proxy",
        "signature": "1",
        "copies": "1",
        "id_last4": "1234",
        "proxy_name": "王小明",
        "proxy_id_last4": "4321",
        "photo": (io.BytesIO(jpeg_with_gps()), "r.jpg"),
    }
    response = c.post(f"/receipts/sign/{ZTO[0]}", data=data, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert web_env.store.parcel(ZTO[0])["state"] == "signed"
    row = web_env.store.service_receipt(ZTO[0])
    assert row["state"] == "signed" and row["proxy_name"] == "王**" and row["carrier"] == "zto"
    assert len(web_env.store.service_receipt_photos(ZTO[0])) == 1
    assert post(clerk, "/receipts/batch", carrier="zto", waybill=ZTO[0], branch="杭州")[0] == 302
    assert web_env.store.service_receipt(ZTO[0])["state"] == "sent"
    assert post(clerk, "/receipts/batch/1/confirm")[0] == 403


def test_a_sending_is_priced_then_recorded(clerk: Client, web_env: Env) -> None:
    form = {
        "carrier": "zto",
        "province": "湖南",
        "weight_g": "2300",
        "waybill": ZTO[5],
        "payment": "qr",
        "receiver_name": "张三丰",
        "receiver_phone_last4": "5678",
    }
    status, body = post(clerk, "/sends", action="quote", **form)
    assert status == 200 and "¥16.00" in body and web_env.store.service_sending(ZTO[5]) is None
    status, body = post(clerk, "/sends", action="send", **form)
    assert status == 200 and "已登记寄件" in body and "今日寄件 1 件，收款 ¥16.00" in body
    row = web_env.store.service_sending(ZTO[5])
    assert row["receiver_name"] == "张**" and row["payment"] == "qr" and row["zone"] == "near"
    assert post(clerk, "/sends", action="send", **form)[0] == 409


def test_a_receipt_is_not_kept_when_the_core_refuses_the_signing(
    clerk: Client, web_env: Env
) -> None:
    # Marked from the manifest but never received: the core has nothing to sign.
    assert post(clerk, "/receipts/require", waybill=ZTO[7], signature="1", copies="1")[0] == 302
    c, token = clerk
    data = {
        "csrf_token": token,
        "relation": "self",
        "signature": "1",
        "copies": "1",
        "photo": (io.BytesIO(jpeg_with_gps()), "r.jpg"),
    }
    response = c.post(f"/receipts/sign/{ZTO[7]}", data=data, content_type="multipart/form-data")
    assert response.status_code == 409 and "tone-bad" in response.get_data(as_text=True)
    assert web_env.store.service_receipt(ZTO[7])["state"] == "required"


def test_the_pages_in_english(clerk: Client, web_env: Env) -> None:
    web_env.receive(ZTO[8], "5678")
    post(clerk, "/receipts/require", waybill=ZTO[8], id="1", copies="1")
    post(clerk, "/tickets", kind="claim", category="items_missing", waybills=ZTO[8], words="x")
    post(clerk, "/lang", lang="en", next="/tickets")
    c, _ = clerk
    pages = {
        "/tickets": "items missing",
        "/tickets/1": "Next step",
        "/sends": "Price it",
        "/receipts": "Waiting to be signed",
        f"/receipts/sign/{ZTO[8]}": "ID number",
    }
    for path, words in pages.items():
        body = html.unescape(c.get(path).get_data(as_text=True))
        assert words in body, path


def test_a_sending_takes_the_paired_scales_stable_weight(clerk: Client, web_env: Env) -> None:
    web_env.config.web.scale = "scale-1"
    at = web_env.clock.wall.isoformat()
    web_env.store.set_device_state("scale-1", "scale", "connected", at, path=None, detail=None)
    web_env.store.set_scale_weight(
        "scale-1", at, weight_g=3200, flags="", stable_g=3200, stable_at=at
    )
    status, body = post(
        clerk,
        "/sends",
        action="send",
        carrier="sf",
        province="广东",
        waybill="SF1234567890123",
        payment="cash",
    )
    assert status == 200, body
    row = web_env.store.service_sending("SF1234567890123")
    # Local zone: 8 yuan for the first kilogram, 2 for each of the three started after it.
    assert (row["weight_g"], row["price_fen"], row["zone"]) == (3200, 1400, "local")
