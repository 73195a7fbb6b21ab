"""Every route through Flask's test client: sign-in required, CSRF enforced, bad input
answered 400 with a message, supervisor-only pages, and what each page does."""

from __future__ import annotations

import csv
import html
import io
import json
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from tests.web_fixtures import (  # noqa: F401 (fixtures)
    CLERK,
    SUPERVISOR,
    ZTO,
    Env,
    app_fixture,
    clerk_fixture,
    csrf_of,
    jpeg_with_gps,
    sign_in,
    supervisor_fixture,
    web_env_fixture,
)

Client = tuple[FlaskClient, str]

PAGES = [
    "/", "/receive", "/pickup", "/dispatch", "/problem", "/stocktake", "/overdue", "/reports",
    "/reports.csv", "/status", "/search", "/parcel/X1", "/photos/" + "a" * 64 + ".jpg",
    "/operators", "/scans", "/config", "/stocktake/1",
]  # fmt: skip
APIS = ["/api/weight", "/api/status", "/api/session", "/feed"]
POSTS = [
    "/api/read", "/api/receive", "/api/dispatch", "/pickup", "/problem", "/stocktake",
    "/stocktake/1/close", "/api/stocktake/1/scan", "/overdue/return", "/scans/1/undo",
    "/operators/c1/unlock", "/signout",
]  # fmt: skip


def post(client: Client, path: str, **data: object) -> tuple[int, str]:
    c, token = client
    response = c.post(path, data={"csrf_token": token, **data})
    return response.status_code, response.get_data(as_text=True)


def post_json(client: Client, path: str, **data: object) -> tuple[int, dict]:
    c, token = client
    response = c.post(path, data=data, headers={"X-CSRF-Token": token})
    return response.status_code, json.loads(response.get_data(as_text=True))


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_sign_in(app, path: str) -> None:
    response = app.test_client().get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/signin?next=")


@pytest.mark.parametrize("path", APIS)
def test_apis_need_sign_in(app, path: str) -> None:
    response = app.test_client().get(path)
    assert response.status_code == 401
    assert response.get_json()["error"] == "请先登录"


@pytest.mark.parametrize("path", POSTS)
def test_posts_need_the_csrf_token(supervisor: Client, path: str) -> None:
    c, _ = supervisor
    response = c.post(path, data={"code": ZTO[0], "csrf_token": "forged"})
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)


def test_sign_in_needs_the_csrf_token_too(app) -> None:
    c = app.test_client()
    response = c.post("/signin", data={"operator": CLERK[0], "pin": CLERK[2]})
    assert response.status_code == 400
    with c.session_transaction() as session:
        assert "sid" not in session


def test_every_page_renders_for_a_supervisor(supervisor: Client, web_env: Env) -> None:
    web_env.receive(ZTO[0], "5678")
    c, _ = supervisor
    for path in [p for p in PAGES if "X1" not in p and "photos" not in p and "/1" not in p]:
        response = c.get(path)
        assert response.status_code == 200, path
    assert c.get(f"/parcel/{ZTO[0]}").status_code == 200
    assert c.get("/parcel/NOPE").status_code == 404


def test_session_cookie_is_httponly_and_samesite(app) -> None:
    c = app.test_client()
    token = csrf_of(c)
    response = c.post("/signin", data={"operator": CLERK[0], "pin": CLERK[2], "csrf_token": token})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_unknown_operator_and_missing_fields(app) -> None:
    c = app.test_client()
    token = csrf_of(c)
    r = c.post("/signin", data={"operator": "nobody", "pin": "1234", "csrf_token": token})
    assert r.status_code == 401 and "工号或密码不对" in r.get_data(as_text=True)
    r = c.post("/signin", data={"operator": "", "pin": "", "csrf_token": token})
    assert r.status_code == 400 and "请输入工号和密码" in r.get_data(as_text=True)


def test_sign_in_never_redirects_off_site(app) -> None:
    c = app.test_client()
    token = csrf_of(c)
    r = c.post(
        "/signin",
        data={"operator": CLERK[0], "pin": CLERK[2], "csrf_token": token,
              "next": "//evil.example/x"},
    )  # fmt: skip
    assert r.status_code == 302 and r.headers["Location"] == "/"


def test_sign_out_ends_the_session(clerk: Client) -> None:
    status, _ = post(clerk, "/signout")
    assert status == 302
    assert clerk[0].get("/").status_code == 302


def test_clerk_cannot_use_supervisor_pages(clerk: Client) -> None:
    c, _ = clerk
    for path in ("/operators", "/scans", "/config"):
        r = c.get(path)
        assert r.status_code == 403 and "只有主管" in r.get_data(as_text=True)
    assert post(clerk, "/scans/1/undo", reason="x")[0] == 403
    assert post(clerk, "/operators/c1/unlock")[0] == 403


@pytest.mark.parametrize(
    ("path", "data", "message"),
    [
        ("/api/read", {"code": "  "}, "请扫描或输入条码"),
        ("/api/receive", {"code": ZTO[0], "phone_last4": "12a4"}, "手机后四位：应为 4 位数字"),
        ("/api/receive", {"code": ZTO[0], "carrier": "acme"}, "快递公司：请从列表中选择"),
        ("/api/dispatch", {"code": ZTO[0], "reason": "lost"}, "原因：请从列表中选择"),
        ("/api/dispatch", {"code": ZTO[0]}, "原因：请从列表中选择"),
        ("/problem", {"code": ZTO[0], "problem_code": "damaged"}, "破损件至少要拍一张照片"),
        ("/problem", {"code": ZTO[0], "problem_code": "meh"}, "问题原因：请从列表中选择"),
        ("/pickup", {}, "请先勾选或扫描包裹"),
        ("/pickup", {"waybill": ZTO[0], "id_last4": "12"}, "证件后四位：应为 4 位数字"),
        ("/pickup", {"waybill": ZTO[0], "relation": "proxy"}, "请在备注写明关系"),
        ("/pickup", {"waybill": ZTO[0], "relation": "cousin"}, "签收人：请从列表中选择"),
        ("/stocktake", {"shelf": "77"}, "货架：请从列表中选择"),
        ("/scans/1/undo", {"reason": ""}, "撤销要写明原因"),
        ("/lang", {"lang": "fr"}, "语言：请从列表中选择"),
    ],
)
def test_bad_input_is_400_with_a_message(
    supervisor: Client,
    path: str,
    data: dict,
    message: str,
) -> None:
    status, body = post(supervisor, path, **data)
    assert status == 400
    assert message in body


@pytest.mark.parametrize(
    ("path", "message"),
    [("/reports?day=yesterday", "日期格式"), ("/feed?after=-1", "之间的数"),
     ("/feed?after=x", "之间的数")],
)  # fmt: skip
def test_bad_query_is_400_with_a_message(clerk: Client, path: str, message: str) -> None:
    r = clerk[0].get(path)
    assert r.status_code == 400 and message in r.get_data(as_text=True)


def test_receive_from_the_page(clerk: Client, web_env: Env) -> None:
    status, card = post_json(clerk, "/api/receive", code=ZTO[0], phone_last4="5678", carrier="zto")
    assert status == 200
    assert card["status"] == "accepted" and card["tone"] == "ok" and card["pickup_code"]
    assert card["carrier"] == "中通"
    row = web_env.store.history(ZTO[0])[0]
    assert (row["device"], row["operator"], row["phone_last4"]) == ("web:c1", "c1", "5678")
    # Scanned again: duplicate, amber, with the core's message.
    web_env.clock.advance(5)
    _, again = post_json(clerk, "/api/receive", code=ZTO[0])
    assert again["status"] == "duplicate" and again["tone"] == "warn"
    assert card["pickup_code"] in again["message"]


def test_receive_takes_a_fresh_stable_weight_only(clerk: Client, web_env: Env) -> None:
    web_env.config.web.scale = "scale-1"
    at = web_env.clock.wall.isoformat()
    web_env.store.set_device_state("scale-1", "scale", "connected", at, path=None, detail=None)
    web_env.store.set_scale_weight(
        "scale-1", at, weight_g=1234, flags="", stable_g=1234, stable_at=at
    )
    assert clerk[0].get("/api/weight").get_json()["stable_g"] == 1234
    _, card = post_json(clerk, "/api/receive", code=ZTO[0])
    assert card["weight_g"] == 1234
    web_env.clock.advance(60)
    assert clerk[0].get("/api/weight").get_json()["stable_g"] is None
    _, card = post_json(clerk, "/api/receive", code=ZTO[1])
    assert card["weight_g"] is None


def test_page_scan_field_applies_commands_to_its_own_desk(clerk: Client, web_env: Env) -> None:
    web_env.receive(ZTO[0])
    _, card = post_json(clerk, "/api/read", code="MODE:DISPATCH")
    assert card["status"] == "accepted" and "出站" in card["message"]
    web_env.clock.advance(3)
    _, card = post_json(clerk, "/api/read", code=ZTO[0])
    assert card["type"] == "出站" and card["status"] == "accepted"
    assert web_env.station.desk("gun-1").mode == "receive"


def test_dispatch_and_problem_with_a_photo(clerk: Client, web_env: Env) -> None:
    web_env.receive(ZTO[0])
    web_env.receive(ZTO[1])
    _, card = post_json(clerk, "/api/dispatch", code=ZTO[0], reason="return")
    assert card["status"] == "accepted"
    c, token = clerk
    r = c.post(
        "/problem",
        data={"csrf_token": token, "code": ZTO[1], "problem_code": "damaged",
              "photo": (io.BytesIO(jpeg_with_gps()), "p.jpg")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert r.status_code == 200, r.get_data(as_text=True)
    seq = web_env.store.history(ZTO[1])[-1]["seq"]
    shas = web_env.store.all("SELECT sha256 FROM scan_photos WHERE seq = ?", (seq,))
    assert len(shas) == 1
    sha = shas[0][0]
    assert c.get(f"/photos/{sha}.jpg").mimetype == "image/jpeg"
    assert c.get(f"/photos/{sha}/thumb.jpg").status_code == 200
    assert sha in c.get(f"/parcel/{ZTO[1]}").get_data(as_text=True)


def test_photo_refusals(clerk: Client, web_env: Env) -> None:
    web_env.receive(ZTO[0])
    c, token = clerk
    r = c.post(
        "/problem",
        data={"csrf_token": token, "code": ZTO[0], "problem_code": "damaged",
              "photo": (io.BytesIO(b"%PDF-1.4 not a photo"), "x.pdf")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert r.status_code == 400 and "这不是图片文件" in r.get_data(as_text=True)
    r = c.post(
        "/problem",
        data={"csrf_token": token, "code": ZTO[0], "problem_code": "other",
              "photo": (io.BytesIO(b"\xff" * (16 * 10**6)), "big.jpg")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert r.status_code == 400 and "照片太大" in r.get_data(as_text=True)
    r = c.post(
        "/problem",
        data={"csrf_token": token, "code": ZTO[0], "problem_code": "other",
              "photo": [(io.BytesIO(b"\xff" * (16 * 10**6)), f"{i}.jpg") for i in range(4)]},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert r.status_code == 413 and "上传内容太大" in r.get_data(as_text=True)
    assert web_env.store.one("SELECT COUNT(*) FROM photos")[0] == 0  # type: ignore[index]
    assert len(web_env.store.history(ZTO[0])) == 1


def test_pickup_lists_every_parcel_for_the_phone(clerk: Client, web_env: Env) -> None:
    a = web_env.receive(ZTO[0], "5678")
    web_env.receive(ZTO[1], "5678")
    web_env.receive(ZTO[2], "1111")
    c, _ = clerk
    page = c.get("/pickup?q=" + a["pickup_code"]).get_data(as_text=True)
    assert ZTO[0] in page and ZTO[1] in page and ZTO[2] not in page
    assert c.get("/pickup?q=5678").get_data(as_text=True).count('name="waybill"') == 2
    status, body = post(clerk, "/pickup", waybill=[ZTO[0], ZTO[1]], relation="proxy", note="家人")
    assert status == 200 and body.count("tone-ok") == 2
    rows = [web_env.store.history(w)[-1] for w in ZTO[:2]]
    assert all(r["type"] == "sign" and r["signer_relation"] == "proxy" for r in rows)


def test_pickup_of_a_valuable_needs_an_id(clerk: Client, web_env: Env) -> None:
    web_env.receive(ZTO[0], "5678")
    with web_env.store.transaction():
        web_env.store.conn.execute("UPDATE parcels SET valuable = 1 WHERE waybill = ?", (ZTO[0],))
    status, body = post(clerk, "/pickup", waybill=ZTO[0])
    assert status == 409 and "证件后四位" in body and "tone-bad" in body
    web_env.clock.advance(3)
    status, body = post(clerk, "/pickup", waybill=ZTO[0], id_last4="0012")
    assert status == 200 and "tone-ok" in body


def test_supervisor_undo_with_a_reason(supervisor: Client, web_env: Env) -> None:
    out = web_env.receive(ZTO[0])
    status, body = post(supervisor, f"/scans/{out['seq']}/undo", reason="wrong parcel")
    assert status == 200 and "tone-ok" in body
    undo = web_env.store.one("SELECT * FROM scan_undos WHERE seq = ?", (out["seq"],))
    assert undo is not None and undo["actor"] == "s1" and undo["reason"] == "wrong parcel"
    status, _ = post(supervisor, f"/scans/{out['seq']}/undo", reason="again")
    assert status == 409
    assert post(supervisor, "/scans/999/undo", reason="x")[0] == 404


def test_unlock_by_a_supervisor(supervisor: Client, web_env: Env) -> None:
    until = (web_env.clock.wall + timedelta(minutes=5)).isoformat()
    with web_env.store.transaction():
        web_env.store.conn.execute(
            "UPDATE operators SET locked_until = ? WHERE id = ?", (until, CLERK[0])
        )
    assert "锁定到" in supervisor[0].get("/operators").get_data(as_text=True)
    assert post(supervisor, "/operators/c1/unlock")[0] == 302
    assert web_env.store.operator(CLERK[0])["locked_until"] is None  # type: ignore[index]
    assert post(supervisor, "/operators/zz/unlock")[0] == 404


def test_config_view_masks_secrets(supervisor: Client, web_env: Env) -> None:
    web_env.config.head_office.url = "https://station:hunter2@ho.example/v1"
    web_env.config.head_office.token_file = "/etc/station/token"
    body = html.unescape(supervisor[0].get("/config").get_data(as_text=True))
    assert "[web]" in body and "threads = 8" in body
    assert "hunter2" not in body and "https://••••••@ho.example/v1" in body
    assert 'token_file = "/etc/station/token"' in body


def test_stocktake_flow(clerk: Client, web_env: Env) -> None:
    outs = [web_env.receive(w, "2222") for w in ZTO[:3]]
    elsewhere = web_env.receive(ZTO[3], "3333")
    shelf = outs[0]["shelf"]
    status, _ = post(clerk, "/stocktake", shelf=shelf)
    assert status == 302
    st_id = web_env.store.web_stocktakes()[0]["id"]
    for waybill in (ZTO[0], ZTO[1], elsewhere["waybill"]):
        web_env.clock.advance(3)
        _, card = post_json(clerk, f"/api/stocktake/{st_id}/scan", code=waybill)
    assert card["verdict"] == ("extra" if elsewhere["shelf"] != shelf else "found")
    page = clerk[0].get(f"/stocktake/{st_id}").get_data(as_text=True)
    assert ZTO[2] in page.split('id="missing"')[1].split("</section>")[0]
    assert post(clerk, f"/stocktake/{st_id}/close")[0] == 302
    summary = json.loads(web_env.store.web_stocktake(st_id)["summary"])  # type: ignore[index]
    assert summary["missing"] == [ZTO[2]] and summary["found"] >= 2
    assert post(clerk, f"/stocktake/{st_id}/close")[0] == 409
    assert post_json(clerk, f"/api/stocktake/{st_id}/scan", code=ZTO[2])[0] == 409
    types = [r["type"] for r in web_env.store.history(ZTO[0])]
    assert types == ["receive", "stocktake"]


def test_overdue_and_the_return_list(app, web_env: Env) -> None:
    web_env.receive(ZTO[0])
    web_env.clock.advance(4 * 86400)
    web_env.receive(ZTO[1])
    web_env.clock.advance(4 * 86400)
    c = app.test_client()
    clerk = (c, sign_in(c))  # signed in now: a session idle for days has ended
    page = clerk[0].get("/overdue").get_data(as_text=True)
    assert ZTO[0] in page and ZTO[1] in page
    assert "应退回" in page and "滞留" in page
    assert post(clerk, "/overdue/return", all="1")[0] == 302
    listed = [r["waybill"] for r in web_env.store.web_return_list()]
    assert listed == [ZTO[0]]
    assert post(clerk, "/overdue/return", waybill=ZTO[1])[0] == 302
    assert len(web_env.store.web_return_list()) == 2
    _, card = post_json(clerk, "/api/dispatch", code=ZTO[0], reason="return")
    assert card["status"] == "accepted"
    assert [r["waybill"] for r in web_env.store.web_return_list()] == [ZTO[1]]
    audit = web_env.store.all("SELECT * FROM audit WHERE action = 'web.return_list_add'")
    assert len(audit) == 2


def test_reports_per_carrier_hourly_and_csv(clerk: Client, web_env: Env) -> None:
    for w in ZTO[:3]:
        web_env.receive(w)
    web_env.clock.advance(3600)
    post(clerk, "/pickup", waybill=ZTO[0])
    c, _ = clerk
    page = c.get("/reports?day=2026-11-23").get_data(as_text=True)
    assert "中通" in page and page.count("<rect class=") >= 2
    r = c.get("/reports.csv?day=2026-11-23")
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["日期", "快递公司", "入库"]
    assert rows[1] == ["2026-11-23", "中通", "3", "1", "0", "0", "2"]
    empty = c.get("/reports.csv?day=2026-11-22").get_data(as_text=True)
    assert len(empty.strip().splitlines()) == 2  # header + on-shelf counts only


def test_status_shows_devices_reads_and_sync(clerk: Client, web_env: Env) -> None:
    at = web_env.clock.wall.isoformat()
    web_env.store.set_device_state("gun-1", "gun", "connected", at, path="/dev/x", detail=None)
    web_env.store.set_device_state("scale-1", "scale", "disconnected", at, path=None,
                                   detail="unplugged")  # fmt: skip
    web_env.receive(ZTO[0])
    page = clerk[0].get("/status").get_data(as_text=True)
    assert "gun-1" in page and "scale-1" in page and "unplugged" in page and ZTO[0] in page
    data = clerk[0].get("/api/status").get_json()
    assert data["sync"]["backlog"] == 1
    assert {d["name"] for d in data["devices"]} == {"gun-1", "scale-1"}


def test_search_finds_by_pickup_code_phone_and_waybill(clerk: Client, web_env: Env) -> None:
    out = web_env.receive(ZTO[0], "5678")
    c, _ = clerk
    assert ZTO[0] in c.get("/search?q=" + out["pickup_code"]).get_data(as_text=True)
    assert ZTO[0] in c.get("/search?q=5678").get_data(as_text=True)
    r = c.get("/search?q=" + ZTO[0])
    assert r.status_code == 302 and r.headers["Location"] == f"/parcel/{ZTO[0]}"
    assert "没有找到" in c.get("/search?q=0000").get_data(as_text=True)


def test_language_switch_and_messages(clerk: Client, web_env: Env) -> None:
    status, _ = post(clerk, "/lang", lang="en", next="/receive")
    assert status == 302
    page = clerk[0].get("/receive").get_data(as_text=True)
    assert "Receive" in page and 'lang="en"' in page
    _, card = post_json(clerk, "/api/receive", code="hello world!")
    assert card["status"] == "refused" and "Not a waybill number" in card["message"]


def test_health_endpoints_need_no_session(app, web_env: Env) -> None:
    c = app.test_client()
    assert c.get("/livez").get_json()["ok"] is True
    health = c.get("/healthz")
    assert health.status_code in (200, 503) and "checks" in health.get_json()
    metrics = c.get("/metrics")
    assert metrics.status_code == 200 and metrics.mimetype == "text/plain"


def test_security_headers(clerk: Client) -> None:
    r = clerk[0].get("/")
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert r.headers["X-Frame-Options"] == "DENY"


def test_session_says_who_is_signed_in(clerk: Client) -> None:
    assert clerk[0].get("/api/session").get_json() == {
        "operator": "c1", "name": "Li Na", "role": "clerk"
    }  # fmt: skip


def test_photo_refused_when_disk_is_nearly_full(clerk: Client, web_env: Env) -> None:
    web_env.receive(ZTO[0])
    web_env.config.appliance.min_free_mb = 10**12  # more than any disk has free
    c, token = clerk
    r = c.post(
        "/problem",
        data={"csrf_token": token, "code": ZTO[0], "problem_code": "damaged",
              "photo": (io.BytesIO(jpeg_with_gps()), "p.jpg")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert r.status_code == 507 and "存储空间不足" in r.get_data(as_text=True)
    assert web_env.store.one("SELECT COUNT(*) FROM photos")[0] == 0  # type: ignore[index]
    # Scanning still works.
    _, card = post_json(clerk, "/api/dispatch", code=ZTO[0], reason="return")
    assert card["status"] == "accepted"
