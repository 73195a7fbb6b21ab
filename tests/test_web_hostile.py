"""Markup typed or scanned anywhere is shown as text, never run: codes such as
``<img src=x onerror=alert(1)>`` go in through the page's scan fields and forms and
through `station scan`, then headless Chromium opens every page that shows them. The
page's Content-Security-Policy is bypassed here, so escaping alone must hold: the test
fails if a dialog opens or an injected element or event handler exists."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.web_fixtures import (  # noqa: F401 (fixtures)
    BROWSER_MARKS,
    CHROMIUM,
    CHROMIUM_ARGS,
    SUPERVISOR,
    WEB_CONFIG,
    ZTO,
    Env,
    Served,
    app_fixture,
    browser_fixture,
    seed_every_page,
    served_fixture,
    web_env_fixture,
)

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = BROWSER_MARKS

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = [
    "<img src=x onerror=alert(1)>",
    '"><script>alert(2)</script>',
    "'><svg class=pwned onload=alert(3)>",
    "javascript:alert(4)//x",
    "{{ 7*7 }}<b class=pwned>bold</b>",
]
INJECTED = """
() => {
  const found = [];
  for (const el of document.querySelectorAll('*'))
    for (const a of el.attributes)
      if (a.name.startsWith('on')) found.push(el.tagName + ' ' + a.name);
  for (const el of document.querySelectorAll('img[src="x"], .pwned')) found.push(el.outerHTML);
  for (const s of document.scripts)
    if (!s.src && s.type !== 'application/json') found.push(s.outerHTML);
  for (const a of document.querySelectorAll('a[href^="javascript"]')) found.push(a.outerHTML);
  return found;
}
"""


def through_the_cli(env: Env) -> None:
    """`station scan` as a clerk at a terminal would type them: codes and a note."""
    (env.data_dir / "station.toml").write_text(WEB_CONFIG, encoding="utf-8")
    for text in HOSTILE:
        for words in (["--type", "receive", text], ["--type", "problem", "--reason", "other",
                                                    "--note", text, ZTO[0]]):  # fmt: skip
            done = subprocess.run(
                [sys.executable, "-m", "edge.cli", "--data", str(env.data_dir), "scan", *words],
                capture_output=True, text=True, timeout=60, cwd=ROOT,
            )  # fmt: skip
            assert "Traceback" not in done.stderr, done.stderr


def test_markup_from_every_way_in_is_shown_as_text(
    browser: Any, served: Served, web_env: Env
) -> None:
    seeded = seed_every_page(web_env, text=HOSTILE[0])
    through_the_cli(web_env)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(f"{page.url}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(served.url + "/signin")
    page.fill("input[name=operator]", SUPERVISOR[0])
    page.fill("input[name=pin]", SUPERVISOR[2])
    page.click("button.primary")
    page.wait_for_selector("#link.on")
    # Through the page: the sorting screen's scan field, the receive desk, a problem note.
    for text in HOSTILE:
        page.fill("#scan", text)
        page.press("#scan", "Enter")
    page.wait_for_function(
        "t => document.getElementById('msg').textContent.includes(t)", arg=HOSTILE[-1]
    )
    page.goto(served.url + "/problem")
    page.fill("input[name=code]", ZTO[1])
    page.fill("input[name=note]", HOSTILE[1])
    page.click("button.primary")
    paths = [
        "/", "/receive", "/pickup?q=5678", "/problem", "/stocktake", seeded["stocktake"],
        "/overdue", "/reports", "/status", "/scans", "/operators", "/config",
        seeded["parcel"], seeded["signed"], f"/parcel/{ZTO[1]}",
    ]  # fmt: skip
    paths += [f"/{where}?q={quote(t)}" for t in HOSTILE for where in ("search", "pickup")]
    injected: list[str] = []
    for path in paths:
        page.goto(served.url + path)
        page.wait_for_load_state("networkidle") if path != "/" else page.wait_for_selector(
            "#history li"
        )
        injected += [f"{path}: {found}" for found in page.evaluate(INJECTED)]
    # The markup did reach the pages, as text.
    page.goto(served.url + "/status")
    shown = page.inner_text("main")
    assert HOSTILE[0] in shown and "{{ 7*7 }}" in shown
    context.close()
    assert not dialogs, dialogs
    assert not injected, "\n".join(injected)
