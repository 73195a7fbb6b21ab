"""Script typed into every free-text field of the day's screens and the service desk,
then every page that shows it opened in headless Chromium: no dialog may open."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.desk_fixtures import post_form
from tests.test_desk_web import signature_png
from tests.web_fixtures import (  # noqa: F401 (fixtures)
    BROWSER_MARKS,
    CHROMIUM,
    SUPERVISOR,
    ZTO,
    Env,
    Served,
    app_fixture,
    browser_fixture,
    served_fixture,
    sign_in,
    web_env_fixture,
)

pytest.importorskip("playwright.sync_api")

pytestmark = BROWSER_MARKS

XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "'><svg onload=alert(3)>",
    "javascript:alert(4)",
]
EVIL = " ".join(XSS)


def fill_every_field(app: Flask, env: Env) -> list[str]:
    """Hostile text in each free-text field; the pages that show it."""
    client = app.test_client()
    token = sign_in(client, SUPERVISOR)
    me = (client, token)
    for waybill in ZTO[:4]:
        env.receive(waybill)

    def ok(url: str, **data: str) -> str:
        answer = post_form(me, url, **data)
        assert answer.status_code in (200, 302), (url, answer.get_data(as_text=True)[-3000:])
        return answer.headers.get("Location", url)

    ok("/couriers", id="zto-7", name=EVIL[:40], carrier="zto")
    handover = ok("/handover/open", courier="zto-7")
    ok(handover + "/close", signature=signature_png())
    ok("/returns/refused", code=ZTO[0], note=EVIL)
    problem = env.store.conn.execute("SELECT MAX(seq) FROM scans WHERE type = 'problem'")
    ok(f"/problems/{problem.fetchone()[0]}/resolve", resolution="found", note=EVIL)
    ticket = ok("/tickets", kind="complaint", category="damaged_outer", words=EVIL,
                waybills=ZTO[1])  # fmt: skip
    ok(ticket, state="answered", note=EVIL)
    ok("/sends", weight_g="800", carrier="zto", province="广东", waybill=ZTO[50],
       payment="cash", city=EVIL, district=EVIL, sender_name=EVIL,
       receiver_name=EVIL)  # fmt: skip
    ok("/receipts/require", waybill=ZTO[2], signature="1")
    ok("/admin/operators", id="c9", name=EVIL[:40], role="clerk", pin="482913")
    batch = ok("/batch/open", kind="return", carrier="zto")
    return [handover, batch, "/handover", "/returns",
            "/problems?state=all", "/tickets", ticket, "/sends", "/receipts",
            f"/receipts/sign/{ZTO[2]}", "/admin/operators", "/admin/audit", "/shelves",
            "/money", "/search?q=" + ZTO[1]]  # fmt: skip


def test_no_free_text_runs_as_script(
    app: Flask, web_env: Env, served: Served, browser: Any
) -> None:
    pages = fill_every_field(app, web_env)
    dialogs: list[str] = []
    seen: list[str] = []
    context = browser.new_context(viewport={"width": 800, "height": 1280})
    page = context.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(served.url + "/")
    page.fill("input[name=operator]", SUPERVISOR[0])
    page.fill("input[name=pin]", SUPERVISOR[2])
    page.click("button.primary")
    page.wait_for_load_state()
    for url in pages:
        answer = page.goto(served.url + url)
        assert answer is not None and answer.status < 500, url
        page.wait_for_load_state("load")
        seen.append(page.inner_text("body"))
    context.close()
    assert dialogs == []
    # The text was shown, as text, on the pages that hold it.
    shown = [url for url, body in zip(pages, seen, strict=True) if XSS[0] in body]
    assert {"/tickets/1", "/problems?state=all", "/handover", "/returns"} <= set(shown), shown
