"""Head office's page in headless Chromium, on a desk screen (1280x800) and a phone
(412x860), in Chinese and English: sign-in is required, every screen fits the width, the
console stays quiet, and no catalog key shows raw. Screenshots go to var/shots/headoffice/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sync.headoffice.dashboard.db import Db
from sync.headoffice.dashboard.operators import add_operator
from sync.headoffice.dashboard.strings import CATALOG
from tests.sync_fixtures import Receiver, start_receiver
from tests.test_headoffice_page import PIN, seed
from tests.web_fixtures import BROWSER_MARKS, CHROMIUM, CHROMIUM_ARGS

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = BROWSER_MARKS

SHOTS = Path(__file__).resolve().parent.parent / "var" / "shots" / "headoffice"
SIZES = {"desk": {"width": 1280, "height": 800}, "phone": {"width": 412, "height": 860}}
SCREENS = {
    "fleet": "/ho/fleet",
    "parcel": "/ho/parcel?q=1111",
    "problems": "/ho/problems",
    "counts": "/ho/counts?by=day&from=2026-11-21&to=2026-11-28",
    "records": "/ho/records",
    "operators": "/ho/operators",
}
RAW_KEY = re.compile(
    r"\b(?:%s)\.[a-z_]+\b" % "|".join(sorted({k.split(".")[0] for k in CATALOG}))  # noqa: UP031
)


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Receiver]:
    rec = start_receiver(tmp_path_factory.mktemp("ho"), "sqlite")
    add_operator(Db(rec.running.storage), "hq-1", "王芳", "admin", PIN, datetime.now(UTC))
    seed(rec)
    yield rec
    rec.running.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", sorted(SIZES))
def test_every_screen_fits_speaks_and_stays_quiet(receiver: Receiver, size: str, lang: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=SIZES[size], locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(10_000)
        problems: list[str] = []
        page.on(
            "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
        )
        page.on("pageerror", lambda e: problems.append(str(e)))
        try:
            page.goto(receiver.url + "/ho/problems")
            assert page.url.endswith("/ho/signin")  # sign-in first
            if lang == "en":
                page.click("header .who a")
            check(page, f"signin-{size}-{lang}")
            page.fill("input[name=operator]", "hq-1")
            page.fill("input[name=pin]", PIN)
            page.click("form.signin button")
            page.wait_for_url("**/ho/fleet")
            for name, path in SCREENS.items():
                page.goto(receiver.url + path)
                check(page, f"{name}-{size}-{lang}")
            word = "退出" if lang == "zh" else "Sign out"
            page.click(f"header button:has-text('{word}')")
            page.wait_for_url("**/ho/signin")
            page.goto(receiver.url + "/ho/fleet")
            assert page.url.endswith("/ho/signin")
        finally:
            browser.close()
    assert problems == []


def check(page: Any, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    wide = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert wide <= 0, f"{name}: {wide}px of horizontal overflow"
    text = page.inner_text("body")
    assert not RAW_KEY.search(text), f"{name}: a raw key shows: {RAW_KEY.search(text)}"
    assert page.evaluate("document.documentElement.lang") in ("zh-CN", "en")


def test_every_key_the_page_uses_is_in_the_catalog_in_both_languages() -> None:
    root = Path(__file__).resolve().parent.parent / "sync" / "headoffice" / "dashboard"
    used: set[str] = set()
    for path in [*root.glob("*.py"), *root.glob("templates/ho/*.html")]:
        source = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""\bt\(\s*['"]([a-z_]+\.[a-z_]+)['"]""", source))
        used |= set(re.findall(r"""BadParam\(\s*"([a-z_]+\.[a-z_]+)""", source))
        used |= set(re.findall(r"""\("(signin\.[a-z_]+)""", source))
    used |= {f"type.{k}" for k in ("receive", "dispatch", "sign", "problem", "stocktake")}
    used |= {"role.admin", "role.staff"}
    assert len(used) > 40
    missing = used - CATALOG.keys()
    assert not missing
    for key, (zh, en) in CATALOG.items():
        assert zh.strip() and en.strip(), key
        assert re.findall(r"\{\w+\}", zh) == re.findall(r"\{\w+\}", en) or sorted(
            re.findall(r"\{\w+\}", zh)
        ) == sorted(re.findall(r"\{\w+\}", en)), key
