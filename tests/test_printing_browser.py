"""The failing-printer alert in real headless Chromium: it appears on an open sorting
screen without a reload, and goes once the printer prints again."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from edge.devices.printers.settings import PrinterSection
from tests.web_fixtures import (  # noqa: F401 (fixtures)
    BROWSER_MARKS,
    CHROMIUM,
    LANDSCAPE,
    SHOTS,
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

pytestmark = BROWSER_MARKS


@pytest.fixture
def page(browser: Any, served: Served, web_env: Env) -> Iterator[Any]:
    web_env.config.printers.append(PrinterSection(name="label-1", device="tcp://127.0.0.1:9"))
    for pg in open_page(browser, LANDSCAPE):
        # Chromium's own /favicon.ico request, unsigned-in, clears the session's CSRF
        # token (auth.before_request) and races the sign-in form: keep it out of this test.
        pg.route("**/favicon.ico", lambda route: route.abort())
        yield pg


def wake(page: Any) -> None:
    """What the tablet does on waking; the alert also asks every 10 s by itself."""
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")


def test_printer_alert_comes_and_goes_on_an_open_sorting_screen(
    page: Any, served: Served, web_env: Env
) -> None:
    sign_in_page(page, served)
    assert page.is_hidden("#print-alert")
    web_env.receive(ZTO[7])
    at = web_env.clock.now(web_env.config.tz).iso
    web_env.store.printing_set_printer("label-1", "failing", "refused the connection", at)
    wake(page)
    page.wait_for_selector("#print-alert", state="visible")
    text = page.text_content("#print-alert") or ""
    assert "标签打印机 label-1 打印失败：refused the connection" in text
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "sorting-printer-alert.png"))
    page.click("#print-alert a")
    page.wait_for_selector("#printers")
    assert "打印失败" in (page.text_content("#printers") or "")
    page.go_back()
    page.wait_for_selector("#sort")
    web_env.store.printing_set_printer("label-1", "ok", None, at)
    wake(page)
    page.wait_for_selector("#print-alert", state="hidden")
