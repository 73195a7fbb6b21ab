"""The receive desk in headless Chromium against waitress on 127.0.0.1: each answer
names the carrier recorded, and a supervisor confirms a receive after a sign today
with the button the answer offers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from edge.station import ScanRequest
from tests.web_fixtures import (  # noqa: F401 (fixtures)
    BROWSER_MARKS,
    CHROMIUM,
    SHOTS,
    SUPERVISOR,
    ZTO,
    Env,
    Served,
    app_fixture,
    browser_fixture,
    open_page,
    served_fixture,
    sign_in_page,
    web_env_fixture,
)

playwright_api = pytest.importorskip("playwright.sync_api")
Page = playwright_api.Page

pytestmark = BROWSER_MARKS


@pytest.fixture
def page(browser: Any, served: Served) -> Iterator[Any]:
    yield from open_page(browser)


def scan(page: Page, code: str) -> None:
    page.fill("input.scan", code)
    page.press("input.scan", "Enter")


def test_a_supervisor_confirms_a_receive_after_a_sign(
    page: Page, served: Served, web_env: Env
) -> None:
    web_env.receive(ZTO[7])
    web_env.station.scan(ScanRequest(type="sign", code=ZTO[7], device="gun-1", operator="c1"))
    sign_in_page(page, served, SUPERVISOR)
    page.goto(served.url + "/receive")
    page.select_option("select[name=carrier]", "zto")
    scan(page, ZTO[8])
    page.wait_for_selector("#result.tone-ok")
    assert page.text_content("#result [data-f=carrier]") == "记录为：中通（依据批次）"
    assert page.query_selector("#override") is None
    scan(page, ZTO[7])
    page.wait_for_selector("#override")
    assert page.text_content("#override") == "主管确认：重新入库"
    box = page.locator("#override").bounding_box()
    assert box is not None and box["height"] >= 44
    page.click("#override")
    page.wait_for_selector("#result.tone-warn [data-f=pickup]:not(:empty)")
    assert "主管确认重新入库" in (page.text_content("#result [data-f=msg]") or "")
    assert page.query_selector("#override") is None
    page.screenshot(path=str(SHOTS / "receive-override.png"))
    assert web_env.store.parcel(ZTO[7])["state"] == "on_shelf"
