"""The station's day in headless Chromium at tablet size (800x1280), a clerk typing with
a simulated gun (keystrokes ending in Enter, as a keyboard-wedge gun sends them):

- a courier hands over 30 parcels with 2 missing and 1 extra against the manifest;
- 3 overdue parcels and 1 refused at the counter go back on a signed return sheet;
- a damaged parcel is resolved as compensated;
- the month's statement shows the right counts and fees.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from edge.station import ScanRequest
from tests.web_fixtures import (  # noqa: F401 (fixtures)
    BROWSER_MARKS,
    CHROMIUM,
    CHROMIUM_ARGS,
    CLERK,
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
    yield from open_page(browser, has_touch=True)


def gun(page: Page, code: str) -> None:
    """A keyboard-wedge gun: the characters, then Enter, into the focused scan field."""
    page.keyboard.type(code, delay=2)
    page.keyboard.press("Enter")


def sign(page: Page) -> None:
    box = page.locator("#signature").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 40, box["y"] + box["height"] / 2)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 40 + step * 40, box["y"] + 30 + (step % 3) * 40, steps=3)
    page.mouse.up()


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_station_day_in_the_browser(page: Page, served: Served, web_env: Env) -> None:
    store, clock = web_env.store, web_env.clock
    store.courier_save("zto-7", "张三", "zto", "4321", clock.wall.isoformat())
    at = clock.wall.isoformat()
    store.fee_set("zto", "receive", "2026-11-01", 30, None, at, "s1")
    store.fee_set("zto", "return", "2026-11-01", 20, None, at, "s1")
    # Three parcels left on the shelves for ten days, one that will be refused.
    clock.advance(-10 * 86400)
    old = [web_env.receive(w)["waybill"] for w in ZTO[60:63]]
    clock.advance(10 * 86400)
    refused = web_env.receive(ZTO[63])["waybill"]
    damaged = web_env.receive(ZTO[64])["waybill"]
    problem = web_env.station.scan(
        ScanRequest(type="problem", code=damaged, device="web:c1", reason="damaged")
    )
    store.upsert_manifest([{"waybill": w, "carrier": "zto"} for w in ZTO[:32]])

    sign_in_page(page, served)
    # 1. The courier hands over 30 of the 32 announced parcels and one more.
    page.goto(served.url + "/handover")
    page.select_option("select[name=courier]", "zto-7")
    page.click("#open-handover button")
    page.wait_for_selector("#scan")
    for waybill in [*ZTO[:30], ZTO[40]]:
        gun(page, waybill)
        page.wait_for_function(
            "w => document.querySelector('#result [data-f=code]').textContent === w", arg=waybill
        )
    page.wait_for_function("() => document.querySelector('[data-k=scanned]').textContent === '31'")
    assert page.text_content("[data-k=missing]") == "2"
    assert page.text_content("[data-k=extra]") == "1"
    assert page.text_content("[data-list=extra_waybills]") == ZTO[40]
    shot(page, "day-handover-live")
    sign(page)
    page.click("#close-sign")
    page.wait_for_selector("#sheet img.signed")
    counts = page.text_content("#sheet-counts") or ""
    assert counts == "预报 32，已扫 31，缺件 2，多件 1"
    assert page.locator("#sheet tr.missing").count() == 2
    shot(page, "day-handover-sheet")
    pdf = page.request.get(served.url + page.get_attribute("#pdf", "href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF")

    # 2. The overdue parcels go on the return list; a recipient refuses one at the counter.
    page.goto(served.url + "/overdue")
    page.click("button[name=all]")
    page.goto(served.url + "/returns")
    page.click("#refused-form input[name=code]")
    gun(page, refused)
    page.wait_for_selector(".result.tone-ok")
    assert page.locator("section[data-carrier=zto] li").count() == 4
    page.select_option("section[data-carrier=zto] select[name=courier]", "zto-7")
    page.click("section[data-carrier=zto] button.primary")
    page.wait_for_selector("#scan")
    gun(page, ZTO[5])  # on the shelf, but not on this return list: a stray
    page.wait_for_selector("#result.tone-bad")
    for waybill in [*old, refused]:
        gun(page, waybill)
        page.wait_for_function(
            "w => document.querySelector('#result [data-f=code]').textContent === w", arg=waybill
        )
    page.wait_for_function("() => document.querySelector('[data-k=out]').textContent === '4'")
    assert page.text_content("[data-k=left_n]") == "0"
    assert page.text_content("[data-list=strays]") == ZTO[5]
    sign(page)
    page.click("#close-sign")
    page.wait_for_selector("#sheet img.signed")
    assert page.locator("#sheet tr.out").count() == 4
    assert "拒收" in (page.text_content("#sheet") or "")
    shot(page, "day-return-sheet")
    assert store.parcel(ZTO[5])["state"] == "on_shelf"
    # The refusal ended when the parcel went back.
    assert [p["resolution"] for p in store.problems() if p["waybill"] == refused] == ["returned"]

    # 3. The damaged parcel is compensated.
    page.goto(served.url + "/problems")
    form = f"section[data-seq='{problem.seq}'] form"
    page.select_option(f"{form} select[name=resolution]", "compensated")
    page.fill(f"{form} input[name=note]", "赔付 20 元")
    page.click(f"{form} button")
    page.wait_for_selector("text=没有问题件")
    assert store.problems()[0]["resolution"] == "compensated"

    # 4. The month's statement.
    page.goto(served.url + "/money?month=2026-11")
    row = page.locator("#statement tr[data-carrier=zto] td").all_text_contents()
    header = page.locator("#statement tr").first.locator("th").all_text_contents()
    line = dict(zip(header, row, strict=True))
    # 31 handed over + 3 overdue + 1 refused + 1 damaged = 36 received; 4 returned.
    assert (line["入库"], line["退回"], line["新问题件"], line["结案"]) == ("36", "4", "2", "2")
    assert line["入库费（元）"] == "10.80" and line["退件费（元）"] == "0.80"
    assert line["应收（元）"] == "11.60"
    shot(page, "day-monthly")
