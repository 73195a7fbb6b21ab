"""The service desk in headless Chromium at tablet size (800x1280) against waitress on
127.0.0.1: a complaint taken to its follow-up past a deadline, a receipt parcel signed
by a proxy and sent back in a batch, a parcel sent, priced and closed by its sign record."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.web_fixtures import (  # noqa: F401 (fixtures)
    BROWSER_MARKS,
    CHROMIUM,
    SHOTS,
    ZTO,
    Env,
    Served,
    app_fixture,
    browser_fixture,
    jpeg_with_gps,
    open_page,
    served_fixture,
    sign_in_page,
    web_env_fixture,
)

playwright_api = pytest.importorskip("playwright.sync_api")
Page = playwright_api.Page

pytestmark = BROWSER_MARKS


def photo(name: str) -> list[dict[str, Any]]:
    return [{"name": name, "mimeType": "image/jpeg", "buffer": jpeg_with_gps()}]


@pytest.fixture
def page(browser: Any, served: Served) -> Iterator[Any]:
    yield from open_page(browser)


def submit(page: Page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def test_a_damaged_parcel_complaint_to_its_follow_up(
    page: Page, served: Served, web_env: Env
) -> None:
    sign_in_page(page, served)
    page.goto(served.url + "/tickets")
    page.select_option("#new-ticket select[name=kind]", "complaint")
    page.select_option("#new-ticket select[name=category]", "damaged_outer")
    page.fill("#new-ticket input[name=waybills]", ZTO[0])
    page.fill("#new-ticket textarea[name=words]", "箱子压坏了，里面的杯子碎了")
    page.set_input_files("#new-ticket input[name=photo]", files=photo("box.jpg"))
    submit(page, "#new-ticket button.primary")
    assert page.text_content("#state") == "待答复"
    tid = page.url.rsplit("/", 1)[1]
    # Six minutes pass with no answer: the list shows the ticket overdue.
    web_env.clock.advance(6 * 60)
    page.goto(served.url + "/tickets")
    row = page.locator(f"#tickets tr[data-id='{tid}']")
    assert "overdue" in (row.get_attribute("class") or "")
    assert "超时" in row.text_content()
    assert (
        page.locator("#tickets tr.overdue").evaluate(
            "el => getComputedStyle(el.cells[0]).backgroundColor"
        )
        == "rgb(253, 231, 229)"
    )
    shot(page, "tickets-overdue.png")
    page.click(f"#tickets a:text('{tid}')")
    page.fill("#move textarea[name=note]", "已联系网点，明天补发")
    submit(page, "#move button[value=answered]")
    assert "首次答复" in page.text_content("#late")
    submit(page, "#move button[value=settled]")
    assert page.text_content("#state") == "已办结"
    page.select_option("#move select[name=satisfaction]", "4")
    submit(page, "#move button[value=followed_up]")
    assert page.text_content("#state") == "已回访"
    assert "已联系网点" in page.text_content("#history")
    shot(page, "ticket-followed-up.png")
    page.goto(served.url + "/tickets")
    assert page.text_content("#follow-up-rate") == "回访率 100%"
    events = web_env.store.service_ticket_events(int(tid))
    assert [(e["action"], e["operator"]) for e in events] == [
        ("open", "c1"),
        ("answered", "c1"),
        ("settled", "c1"),
        ("followed_up", "c1"),
    ]
    assert web_env.store.service_ticket(int(tid))["sync_state"] == "pending"


def test_a_receipt_parcel_signed_by_a_proxy_and_sent_back(
    page: Page, served: Served, web_env: Env
) -> None:
    out = web_env.receive(ZTO[1], phone_last4="5678")
    sign_in_page(page, served)
    page.goto(served.url + "/receipts")
    page.fill("form:has(button:text('登记')) input[name=waybill]", ZTO[1])
    page.check("input[name=id]")
    page.fill("input[name=hops]", "2")
    submit(page, "form:has(button:text('登记')) button")
    assert ZTO[1] in page.text_content("#waiting")
    # At the pickup desk the parcel can only be signed through its receipt.
    page.goto(served.url + "/pickup?q=" + out["pickup_code"])
    assert page.is_disabled(f"input[value='{ZTO[1]}']")
    submit(page, f"a[href$='/receipts/sign/{ZTO[1]}']")
    page.check("input[name=signature]")
    page.fill("input[name=id_last4]", "1234")
    page.check("input[name=relation][value=proxy]")
    page.fill("input[name=proxy_name]", "王小明")
    submit(page, "#receipt-form button.primary")
    missing = page.text_content("#missing")
    assert "代取人证件后四位" in missing and "回单照片" in missing
    assert web_env.store.parcel(ZTO[1])["state"] == "on_shelf"
    shot(page, "receipt-refused.png")
    # What was typed is kept: only the missing parts are added.
    assert page.is_checked("input[name=relation][value=proxy]")
    assert page.input_value("input[name=proxy_name]") == "王小明"
    page.fill("input[name=proxy_id_last4]", "4321")
    page.set_input_files("#receipt-form input[name=photo]", files=photo("receipt.jpg"))
    submit(page, "#receipt-form button.primary")
    assert "15 天内寄回" in page.text_content("#accepted")
    assert page.locator(".result.tone-ok").count() == 1
    assert web_env.store.parcel(ZTO[1])["state"] == "signed"
    page.click("a.button:text('回单')")
    page.wait_for_selector("#outstanding")
    page.fill("#batch input[name=branch]", "杭州萧山")
    submit(page, "#batch button.primary")
    assert "第 1 批 · 1 份" in page.text_content("#batches")
    shot(page, "receipts-batch.png")
    row = web_env.store.service_receipt(ZTO[1])
    assert (row["state"], row["relation"], row["proxy_id_last4"]) == ("sent", "proxy", "4321")
    assert row["id_last4"] == "1234" and row["proxy_name"] == "王**"
    sha = web_env.store.service_receipt_photos(ZTO[1])[0]
    stored = web_env.store.web_photo(sha)
    assert b"PhoneMaker" not in (web_env.data_dir / stored["path"]).read_bytes()


def test_a_parcel_sent_priced_and_closed_by_its_sign_record(
    page: Page, served: Served, web_env: Env
) -> None:
    sign_in_page(page, served)
    page.goto(served.url + "/sends")
    page.select_option("select[name=carrier]", "zto")
    page.fill("input[name=weight_g]", "2300")
    page.select_option("select[name=province]", "新疆")
    page.fill("input[name=city]", "乌鲁木齐")
    page.fill("input[name=receiver_name]", "阿依古丽")
    page.fill("input[name=receiver_phone_last4]", "5678")
    page.fill("input[name=sender_name]", "李娜")
    page.fill("input[name=waybill]", ZTO[2])
    page.check("input[name=payment][value=qr]")
    submit(page, "button[value=quote]")
    # Remote zone: 18 yuan first kg + 2 more kg at 12 yuan.
    assert page.text_content("#quote .price") == "¥42.00"
    assert web_env.store.service_sending(ZTO[2]) is None
    submit(page, "button[value=send]")
    assert "已登记寄件" in page.text_content("#quote")
    assert "今日寄件 1 件，收款 ¥42.00" in page.text_content("#today")
    assert ZTO[2] in page.text_content("#sendings")
    # 72 hours on, with no sign record: it is on the chase list.
    web_env.clock.advance(73 * 3600)
    sign_in_page(page, served)  # three days on, the sign-in has long lapsed
    page.goto(served.url + "/sends")
    assert "需催查" in page.text_content("#sendings tr.overdue")
    shot(page, "sends-chase.png")
    assert web_env.store.service_sending_signed(ZTO[2], web_env.clock.wall.isoformat())
    page.goto(served.url + "/sends")
    assert ZTO[2] not in page.text_content("#sendings")
    row = web_env.store.service_sending(ZTO[2])
    assert (row["receiver_name"], row["sender_name"], row["payment"]) == ("阿***", "李*", "qr")
