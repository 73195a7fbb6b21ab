"""Label printing on the page: reprint, cancel, preview, and the alert the sorting
screen and the status page show while a printer fails. Flask's test client over a
real store."""

from __future__ import annotations

import html
import io
import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image, ImageChops

from edge.devices.printers.render import label_data, preview
from edge.devices.printers.settings import PrinterSection
from edge.pins import hash_pin
from tests.web_fixtures import (  # noqa: F401 (fixtures)
    ZTO,
    Env,
    app_fixture,
    clerk_fixture,
    sign_in,
    supervisor_fixture,
    web_env_fixture,
)

Client = tuple[FlaskClient, str]


@pytest.fixture
def printer(web_env: Env) -> PrinterSection:
    p = PrinterSection(name="label-1", device="tcp://127.0.0.1:9", size="60x40")
    web_env.config.printers.append(p)
    return p


def post(client: Client, path: str, **data: object) -> tuple[int, str, str]:
    c, token = client
    response = c.post(path, data={"csrf_token": token, **data})
    return response.status_code, response.get_data(as_text=True), response.location or ""


def test_reprint_from_the_page_queues_and_previews(
    clerk: Client, web_env: Env, printer: PrinterSection
) -> None:
    code = web_env.receive(ZTO[1], "5678")["pickup_code"]
    status, _, location = post(clerk, "/labels/reprint", waybill=ZTO[1])
    assert status == 302 and location.endswith(f"/labels?queued={ZTO[1]}")
    (job,) = web_env.store.printing_jobs()
    assert (job["kind"], job["printer"], job["requested_by"]) == ("reprint", "label-1", "c1")
    assert (job["pickup_code"], job["phone_last4"]) == (code, "5678")
    page = clerk[0].get(location).get_data(as_text=True)
    assert f"已加入打印队列：{ZTO[1]}" in page and "label-1" in page and "等待打印" in page
    png = clerk[0].get(f"/labels/preview/{ZTO[1]}.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    shown = Image.open(io.BytesIO(png.data))
    row = web_env.store.printing_label_of(ZTO[1])
    expected = preview(label_data(row, web_env.config.tz), printer, web_env.config.printing)
    assert shown.size == (480, 320)
    assert ImageChops.difference(shown.convert("L"), expected.convert("L")).getbbox() is None
    audit = web_env.store.one("SELECT actor FROM audit WHERE action = 'label.reprint'")
    assert audit is not None and audit["actor"] == "c1"


def test_reprint_of_nothing_gets_a_plain_answer(
    clerk: Client, web_env: Env, printer: PrinterSection
) -> None:
    status, body, _ = post(clerk, "/labels/reprint", waybill="NOPE1234")
    assert status == 404 and "NOPE1234 还没有取件码" in html.unescape(body)
    status, body, _ = post(clerk, "/labels/reprint", waybill="")
    assert status == 400
    assert clerk[0].get("/labels/preview/NOPE1234.png").status_code == 404
    assert web_env.store.printing_jobs() == []


def test_reprint_without_a_printer_says_what_to_configure(clerk: Client, web_env: Env) -> None:
    web_env.receive(ZTO[2])
    status, body, _ = post(clerk, "/labels/reprint", waybill=ZTO[2])
    assert status == 409 and "[[printers]]" in html.unescape(body)


def test_cancel_a_waiting_label(clerk: Client, web_env: Env, printer: PrinterSection) -> None:
    web_env.receive(ZTO[3])
    post(clerk, "/labels/reprint", waybill=ZTO[3])
    (job,) = web_env.store.printing_jobs()
    status, _, _ = post(clerk, f"/labels/cancel/{job['id']}")
    assert status == 302
    assert web_env.store.printing_job(job["id"])["state"] == "cancelled"  # type: ignore[index]
    assert "已取消" in clerk[0].get("/labels").get_data(as_text=True)
    audit = web_env.store.one("SELECT * FROM audit WHERE action = 'label.cancel'")
    assert audit is not None and (audit["actor"], audit["subject"]) == ("c1", str(job["id"]))
    assert json.loads(audit["detail"]) == {
        "printer": "label-1",
        "kind": "reprint",
        "waybill": ZTO[3],
    }


def test_cancel_of_no_such_job_is_a_plain_404(
    clerk: Client, web_env: Env, printer: PrinterSection
) -> None:
    status, body, _ = post(clerk, "/labels/cancel/4242")
    assert status == 404 and "没有这个打印任务（4242）" in html.unescape(body)
    clerk[0].post("/lang", data={"lang": "en", "csrf_token": clerk[1], "next": "/"})
    status, body, _ = post(clerk, "/labels/cancel/4242")
    assert status == 404 and "No such print job (4242)" in html.unescape(body)
    # Beyond SQLite's integers: a plain 400 from the page's bounded converter, not a 500.
    assert post(clerk, "/labels/cancel/99999999999999999999999")[0] == 400
    assert web_env.store.one("SELECT 1 FROM audit WHERE action = 'label.cancel'") is None


def test_only_the_requester_or_a_supervisor_cancels(
    app: Flask, clerk: Client, supervisor: Client, web_env: Env, printer: PrinterSection
) -> None:
    web_env.store.add_operator("c2", "Zhao Lei", "clerk", hash_pin("4321"))
    other = app.test_client()
    other_clerk = (other, sign_in(other, ("c2", "Zhao Lei", "4321")))
    web_env.receive(ZTO[6])
    web_env.receive(ZTO[7])
    post(clerk, "/labels/reprint", waybill=ZTO[6])
    post(clerk, "/labels/reprint", waybill=ZTO[7])
    second, first = web_env.store.printing_jobs()
    # Another clerk sees no cancel button and is refused if they post anyway.
    assert f"/labels/cancel/{first['id']}" not in other.get("/labels").get_data(as_text=True)
    status, body, _ = post(other_clerk, f"/labels/cancel/{first['id']}")
    assert status == 403 and "只有加入这张标签的店员或主管可以取消它" in html.unescape(body)
    assert web_env.store.printing_job(first["id"])["state"] == "pending"  # type: ignore[index]
    assert f"/labels/cancel/{first['id']}" in clerk[0].get("/labels").get_data(as_text=True)
    assert post(supervisor, f"/labels/cancel/{second['id']}")[0] == 302
    audit = web_env.store.one("SELECT actor FROM audit WHERE action = 'label.cancel'")
    assert audit is not None and audit["actor"] == "s1"
    # Cancelling twice, or a printed label, says what happened instead of "cancelled".
    status, body, _ = post(supervisor, f"/labels/cancel/{second['id']}")
    assert status == 409 and "这张标签已取消，没有可取消的" in html.unescape(body)
    web_env.store.printing_done(first["id"], web_env.clock.now(web_env.config.tz).iso)
    status, body, _ = post(clerk, f"/labels/cancel/{first['id']}")
    assert status == 409 and "已打印" in html.unescape(body)


def test_a_failing_printer_shows_on_the_sorting_screen_and_status_page(
    clerk: Client, web_env: Env, printer: PrinterSection
) -> None:
    c = clerk[0]
    assert 'id="print-alert"' in c.get("/").get_data(as_text=True)
    assert c.get("/api/labels/trouble").get_json() == {"printers": []}
    web_env.receive(ZTO[4])
    post(clerk, "/labels/reprint", waybill=ZTO[4])
    at = web_env.clock.now(web_env.config.tz).iso
    web_env.store.printing_set_printer("label-1", "failing", "out of paper", at)
    assert 'href="/labels"' in c.get("/status").get_data(as_text=True)
    for path in ("/", "/status", "/labels"):
        page = html.unescape(c.get(path).get_data(as_text=True))
        assert "标签打印机 label-1 打印失败：out of paper。1 张标签在排队" in page, path
    (alert,) = c.get("/api/labels/trouble").get_json()["printers"]
    assert alert["name"] == "label-1" and alert["waiting"] == 1
    c.post("/lang", data={"lang": "en", "csrf_token": clerk[1], "next": "/"})
    (alert,) = c.get("/api/labels/trouble").get_json()["printers"]
    assert alert["text"].startswith("Label printer label-1 is failing: out of paper.")
    web_env.store.printing_set_printer("label-1", "ok", None, at)
    assert c.get("/api/labels/trouble").get_json() == {"printers": []}


def test_parcel_page_has_a_reprint_button(
    clerk: Client, web_env: Env, printer: PrinterSection
) -> None:
    web_env.receive(ZTO[5])
    page = clerk[0].get(f"/parcel/{ZTO[5]}").get_data(as_text=True)
    assert 'id="reprint"' in page and f'value="{ZTO[5]}"' in page
    assert 'id="reprint"' not in clerk[0].get("/parcel/NOPE1234").get_data(as_text=True)


def test_label_pages_need_sign_in(app: object) -> None:
    client = app.test_client()  # type: ignore[attr-defined]
    assert client.get("/labels").status_code == 302
    assert client.get("/api/labels/trouble").status_code == 401
