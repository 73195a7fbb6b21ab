"""Every page at 1280x800, 800x1280 and 412x860, in Chinese and in English, in headless
Chromium against waitress on 127.0.0.1. A page fails on horizontal overflow, text
from outside the catalog, a catalog key shown raw, a broken image, a console error, a
failed request, or a touch target under 44 px. Screenshots are kept under
$STATION_SHOTS (default var/screens/) to be looked at."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from edge import messages
from tests.web_fixtures import (  # noqa: F401 (fixtures)
    BROWSER_MARKS,
    CHROMIUM,
    CHROMIUM_ARGS,
    CLERK,
    SUPERVISOR,
    ZTO,
    Env,
    Served,
    app_fixture,
    browser_fixture,
    seed_every_page,
    served_fixture,
    web_env_fixture,
)
from web import catalog

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = BROWSER_MARKS

ROOT = Path(__file__).resolve().parent.parent
SHOTS = Path(os.environ.get("STATION_SHOTS", ROOT / "var" / "screens"))
SIZES = {"tablet": (1280, 800), "portrait": (800, 1280), "phone": (412, 860)}
# Units and marks that are the same in every language.
UNIVERSAL = ["kg", "PIN", "CSV", "OK", "·", "—", "✕"]
WORDS = re.compile(r"[A-Za-z\u3400-\u9fff]{2,}")

PAGE_STATE = """
() => {
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!el || el.closest('script, style, [translate="no"], [hidden]')) continue;
    if (!el.offsetParent && getComputedStyle(el).position !== 'fixed') continue;
    const text = node.textContent.trim();
    if (text) texts.push(text);
  }
  for (const el of document.querySelectorAll('[placeholder], [aria-label], [title], [alt]'))
    for (const a of ['placeholder', 'aria-label', 'title', 'alt'])
      if (el.getAttribute(a)) texts.push(el.getAttribute(a));
  for (const el of document.querySelectorAll('option')) texts.push(el.textContent.trim());
  const small = [];
  for (const el of document.querySelectorAll('a, button, input, select, textarea, summary')) {
    if (el.closest('[hidden], table, .thumbs') || el.type === 'hidden') continue;
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    if (el.type === 'checkbox' || el.type === 'radio') continue;
    const name = (el.textContent || el.name || el.tagName).trim();
    if (r.height < 44) small.push(name + ' ' + r.height);
  }
  return {
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    texts, small,
  };
}
"""

# Counts the page's own fetches in flight. "networkidle" (no request for 500 ms) never
# comes reliably on a page that polls every 500 ms (the scale's weight) on a busy machine;
# waiting for "loaded and no fetch of its own pending" is bounded by events instead.
COUNT_FETCHES = """
(() => {
  const fetch = window.fetch;
  window.__inflight = 0;
  window.fetch = function () {
    window.__inflight += 1;
    return fetch.apply(this, arguments).finally(() => { window.__inflight -= 1; });
  };
})();
"""
SETTLED = "() => document.readyState === 'complete' && window.__inflight === 0"

IMAGES_OK = """
async () => {
  const bad = [];
  for (const img of document.images) {
    img.loading = 'eager';
    try { await img.decode(); } catch (e) { bad.push(img.getAttribute('src')); }
  }
  return bad;
}
"""


def allowed_fragments(lang: str, data: list[str]) -> list[str]:
    """Every literal piece of every catalog sentence in ``lang``, plus the data shown."""
    i = 1 if lang == "en" else 0
    pieces: list[str] = []
    tables = [catalog.STRINGS, messages.CATALOG, messages.TYPE_NAMES, messages.REASON_NAMES]
    tables += list(catalog.LABELS.values())
    for table in tables:
        for pair in table.values():
            pieces += re.split(r"\{[^}]*\}", pair[i])
    pieces += UNIVERSAL + data
    return sorted({p.strip() for p in pieces if p.strip()}, key=len, reverse=True)


def outside_catalog(texts: list[str], fragments: list[str]) -> list[str]:
    found = []
    for text in texts:
        rest = text
        for piece in fragments:
            if piece in rest:
                rest = rest.replace(piece, " ")
        if WORDS.search(rest):
            found.append(f"{text!r} -> {rest.strip()!r}")
    return found


def pages(seeded: dict[str, str]) -> dict[str, str]:
    return {
        "sorting": "/",
        "receive": "/receive",
        "pickup": "/pickup?q=5678",
        "dispatch": "/dispatch",
        "problem": "/problem",
        "stocktake-list": "/stocktake",
        "stocktake": seeded["stocktake"],
        "overdue": "/overdue",
        "reports": "/reports",
        "status": "/status",
        "search": "/search?q=5678",
        "parcel": seeded["parcel"],
        "parcel-signed": seeded["signed"],
        "scans": "/scans",
        "operators": "/operators",
        "config": "/config",
        # The station's day and the service desk (their words are checked by their own
        # tests; here: fit, images, console and requests).
        "handover": "/handover",
        "returns": "/returns",
        "problems": "/problems",
        "money": "/money",
        "tickets": "/tickets",
        "receipts": "/receipts",
        "sends": "/sends",
        "admin": "/admin/operators",
        "audit": "/admin/audit",
    }


LAYOUT_ONLY = {"handover", "returns", "problems", "money", "tickets", "receipts", "sends",
               "admin", "audit"}  # fmt: skip


def sign_in(page: Any, url: str, lang: str) -> None:
    page.goto(url + "/signin")
    if lang == "en":
        page.click("#lang-switch")
    page.fill("input[name=operator]", SUPERVISOR[0])
    page.fill("input[name=pin]", SUPERVISOR[2])
    page.click("button.primary")
    page.wait_for_url(url + "/")


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_fits_and_speaks_one_language(
    browser: Any, served: Served, web_env: Env, size: str, lang: str
) -> None:
    seeded = seed_every_page(web_env)
    data = [CLERK[0], CLERK[1], SUPERVISOR[0], SUPERVISOR[1], "SZ-NS-0042", "desk-1",
            "scale-1", "web:s1", "web:c1", "家人", "hello world!", "NOPE"]  # fmt: skip
    fragments = allowed_fragments(lang, data)
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, has_touch=True)
    context.add_init_script(COUNT_FETCHES)
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))

    def failed(request: Any) -> None:
        # Leaving a page cuts what it was still fetching (the live feed, the scale's
        # weight): that is not a failure.
        if "ERR_ABORTED" in (request.failure or ""):
            return
        problems.append(f"request failed: {request.url} {request.failure}")

    page.on("requestfailed", failed)
    page.on(
        "response",
        lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"),
    )
    sign_in(page, served.url, lang)
    out = SHOTS / size / lang
    out.mkdir(parents=True, exist_ok=True)
    keys = set(catalog.STRINGS)
    for name, path in pages(seeded).items():
        page.goto(served.url + path)
        page.wait_for_function(SETTLED) if name != "sorting" else page.wait_for_selector("#link.on")
        state = page.evaluate(PAGE_STATE)
        broken = page.evaluate(IMAGES_OK)
        page.screenshot(path=str(out / f"{name}.png"), full_page=True)
        where = f"{name} {size} {lang}"
        if state["overflow"] > 0:
            problems.append(f"{where}: {state['overflow']} px wider than the screen")
        problems += [f"{where}: broken image {src}" for src in broken]
        if name in LAYOUT_ONLY:
            continue
        problems += [f"{where}: raw key {t}" for t in state["texts"] if t in keys]
        problems += [f"{where}: not from the catalog {t}" for t in outside_catalog(
            state["texts"], fragments)]  # fmt: skip
        problems += [f"{where}: touch target under 44 px: {s}" for s in state["small"]]
    context.close()
    assert not problems, "\n".join(problems)


def test_the_sign_in_page_in_both_languages(browser: Any, served: Served) -> None:
    for lang in ("zh", "en"):
        for size, (width, height) in SIZES.items():
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(served.url + "/signin")
            if lang == "en":
                page.click("#lang-switch")
            state = page.evaluate(PAGE_STATE)
            out = SHOTS / size / lang
            out.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out / "signin.png"), full_page=True)
            assert state["overflow"] <= 0, (size, lang)
            assert not outside_catalog(state["texts"], allowed_fragments(lang, ["SZ-NS-0042"]))
            page.close()


def test_the_keypad_toggle_brings_the_keyboard_up_and_away(browser: Any, served: Served) -> None:
    page = browser.new_page(viewport={"width": 800, "height": 1280}, has_touch=True)
    sign_in(page, served.url, "zh")
    for path in ("/", "/receive"):
        page.goto(served.url + path)
        field = page.locator("input.scan").first
        assert field.evaluate("el => el.inputMode") == "none"
        page.locator(".keypad").first.tap()
        assert field.evaluate("el => el.inputMode") == "text"
        assert field.evaluate("el => document.activeElement === el")
        page.locator(".keypad").first.tap()
        assert field.evaluate("el => el.inputMode") == "none"
    page.close()
