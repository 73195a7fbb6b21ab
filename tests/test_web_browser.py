"""The page in real headless Chromium against waitress on 127.0.0.1: sign in, a gun's
scan on the sorting screen, pickup with a photo, a stocktake, the language switch."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from tests.web_fixtures import (  # noqa: F401 (fixtures)
    BROWSER_MARKS,
    CHROMIUM,
    CHROMIUM_ARGS,
    CLERK,
    LANDSCAPE,
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
Browser, Page = playwright_api.Browser, playwright_api.Page

pytestmark = BROWSER_MARKS

PHONE = {"width": 412, "height": 860}


@pytest.fixture
def page(browser: Browser, served: Served) -> Iterator[Any]:
    yield from open_page(browser, LANDSCAPE)


def test_gun_scan_appears_on_the_sorting_screen(page: Page, served: Served, web_env: Env) -> None:
    sign_in_page(page, served)
    page.wait_for_selector("#link.on")
    # The gun: another writer of the same database, as `station scanner` is.
    desk = web_env.station.desk("gun-1")
    web_env.clock.advance(3)
    out = web_env.station.read(ZTO[0], desk)
    assert out.status == "accepted" and out.pickup_code
    page.wait_for_function(
        "code => document.getElementById('pickup').textContent === code", arg=out.pickup_code
    )
    assert page.text_content("#shelf") == out.shelf
    assert "tone-ok" in page.get_attribute("#now", "class")
    # The page's own scan field (a gun plugged into the tablet): a refused code is red.
    page.fill("#scan", "hello world!")
    page.press("#scan", "Enter")
    page.wait_for_selector("#now.tone-bad")
    assert page.evaluate("document.activeElement.id") == "scan"
    assert page.get_attribute("#scan", "inputmode") == "none"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "sorting-tablet.png"))
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(SHOTS / "sorting-phone.png"))


def test_feed_resumes_after_a_drop(page: Page, served: Served, web_env: Env) -> None:
    sign_in_page(page, served)
    page.wait_for_selector("#link.on")
    page.context.set_offline(True)
    page.evaluate("() => { window.__dropped = true; }")
    desk = web_env.station.desk("gun-2")
    codes = []
    for waybill in ZTO[10:13]:
        web_env.clock.advance(3)
        codes.append(web_env.station.read(waybill, desk).pickup_code)
    page.context.set_offline(False)
    # Every read made during the drop arrives: the last on top, the others in history.
    page.wait_for_function(
        "code => document.getElementById('pickup').textContent === code", arg=codes[-1]
    )
    history = page.text_content("#history")
    assert codes[0] in history and codes[1] in history


def test_pickup_with_a_photo_stores_it_without_exif(
    page: Page, served: Served, web_env: Env
) -> None:
    first = web_env.receive(ZTO[1], phone_last4="5678")
    second = web_env.receive(ZTO[2], phone_last4="5678")
    sign_in_page(page, served)
    page.goto(served.url + "/pickup?q=" + first["pickup_code"])
    # Both parcels for that phone are listed; the one asked for is ticked, scan the other.
    assert page.locator("ul.parcels li").count() == 2
    page.fill("#pick-scan", second["waybill"])
    page.press("#pick-scan", "Enter")
    assert page.is_checked(f"input[value='{second['waybill']}']")
    page.set_input_files(
        "input[name=photo]",
        files=[{"name": "proof.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps()}],
    )
    page.screenshot(path=str(SHOTS / "pickup-tablet.png"), full_page=True)
    with page.expect_navigation():
        page.click("#pickup-form button.primary")
    assert page.locator(".result.tone-ok").count() == 2
    page.screenshot(path=str(SHOTS / "pickup-done.png"), full_page=True)
    rows = web_env.store.all(
        "SELECT p.path FROM scan_photos sp JOIN photos p USING (sha256) JOIN scans s USING (seq)"
        " WHERE s.type = 'sign'"
    )
    assert len(rows) == 2 and rows[0]["path"] == rows[1]["path"]
    stored = web_env.data_dir / rows[0]["path"]
    with Image.open(stored) as image:
        assert not image.getexif()
        assert "exif" not in image.info and "icc_profile" not in image.info
        # Orientation 6 applied: the 2400x1200 landscape is now upright, long side 1600.
        assert image.size == (800, 1600)
    assert b"PhoneMaker" not in stored.read_bytes()
    assert web_env.store.parcel(ZTO[1])["state"] == "signed"  # type: ignore[index]


def test_stocktake_finds_a_missing_parcel(page: Page, served: Served, web_env: Env) -> None:
    # One phone: the core keeps them together on one layer.
    outs = [web_env.receive(w, phone_last4="1111") for w in ZTO[20:23]]
    shelf = outs[0]["shelf"].split("-")[0]
    assert all(o["shelf"].startswith(shelf + "-") for o in outs)
    sign_in_page(page, served)
    page.goto(served.url + "/stocktake")
    page.select_option("select[name=shelf]", shelf)
    page.click("button.primary")
    page.wait_for_selector("input.scan")
    # Scanned back to back, as a gun does: the lists change in place.
    for out in outs[:2]:
        web_env.clock.advance(3)
        page.fill("input.scan", out["waybill"])
        page.press("input.scan", "Enter")
    page.wait_for_function("() => document.querySelector('#found .tag').textContent === '2'")
    assert page.text_content("#missing .tag") == "1"
    assert outs[2]["waybill"] in page.text_content("#missing")
    page.reload()  # what the server says agrees with what the page showed
    assert page.text_content("#found .tag") == "2" and page.text_content("#missing .tag") == "1"
    page.click("#close")
    page.wait_for_selector("text=" + outs[2]["waybill"])
    assert page.locator("input.scan").count() == 0
    row = web_env.store.one("SELECT summary FROM stocktakes")
    assert row is not None and outs[2]["waybill"] in row["summary"]


def test_language_switch(page: Page, served: Served) -> None:
    sign_in_page(page, served)
    page.goto(served.url + "/receive")
    assert page.text_content("nav a.on") == "入库"
    page.click("#lang-switch")
    page.wait_for_selector("nav a.on:text('Receive')")
    assert page.url.endswith("/receive")
    assert page.get_attribute("html", "lang") == "en"
    page.click("#lang-switch")
    page.wait_for_selector("nav a.on:text('入库')")


def test_sorting_screen_weighs_under_100_kb(served: Served) -> None:
    import requests

    session = requests.Session()
    page = session.get(served.url + "/signin").text
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    session.post(
        served.url + "/signin", data={"operator": CLERK[0], "pin": CLERK[2], "csrf_token": token}
    )
    html = session.get(served.url + "/").text
    total = len(html.encode())
    for asset in ("app.css", "app.js", "sort.js"):
        assert f"/static/{asset}" in html
        total += len(session.get(served.url + "/static/" + asset).content)
    assert "http://" not in html.replace(served.url, "") and "https://" not in html
    assert total < 100 * 1024, total


def test_scan_field_takes_codes_however_android_ends_them(
    page: Page, served: Served, web_env: Env
) -> None:
    sign_in_page(page, served)
    ends = [
        # a hardware Enter key
        "code => { const s = document.getElementById('scan'); s.value = code;"
        " s.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', keyCode: 13,"
        " bubbles: true})); }",
        # an IME that sends the Enter only as a line break before input
        "code => { const s = document.getElementById('scan'); s.value = code;"
        " s.dispatchEvent(new InputEvent('beforeinput', {inputType: 'insertLineBreak',"
        " bubbles: true, cancelable: true})); }",
        # a gun ending with Tab, committed by the IME as text
        "code => { const s = document.getElementById('scan'); s.value = code + '\\t';"
        " s.dispatchEvent(new InputEvent('input', {bubbles: true})); }",
    ]
    for waybill, end in zip(ZTO[30:33], ends, strict=True):
        web_env.clock.advance(3)
        page.evaluate(end, waybill)
    # All three came back on the feed: one on top, two in the history.
    page.wait_for_function("() => document.querySelectorAll('#history li').length >= 2")
    rows = web_env.store.all("SELECT code FROM reads WHERE device = 'web:c1' ORDER BY id")
    assert [r["code"] for r in rows] == ZTO[30:33]
    assert page.input_value("#scan") == ""


# Records what the page asks of Web Audio and speechSynthesis, before any page script.
AUDIO_SPY = """
window.__tones = []; window.__spoken = [];
const make = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () {
  const osc = make.call(this);
  const start = osc.start.bind(osc);
  osc.start = (when) => { window.__tones.push(osc.type + ':' + osc.frequency.value); start(when); };
  return osc;
};
if (window.speechSynthesis) {
  speechSynthesis.speak = (u) => window.__spoken.push(u.lang + ':' + u.text);
}
"""


def test_three_distinct_tones_and_the_spoken_pickup_code(
    page: Page, served: Served, web_env: Env
) -> None:
    page.add_init_script(AUDIO_SPY)
    sign_in_page(page, served)
    page.wait_for_selector("#link.on")
    page.click("#speak")  # a tap: also what browsers need before they allow sound
    gun = web_env.station.desk("gun-1")

    def read(code: str, tone: str) -> None:
        web_env.station.read(code, gun)
        page.wait_for_selector(f"#now.tone-{tone}")

    web_env.clock.advance(3)
    first = web_env.station.read(ZTO[40], gun)
    page.wait_for_selector("#now.tone-ok")
    web_env.clock.advance(1)
    read(ZTO[40], "warn")  # the same code again within the window: a double read
    web_env.clock.advance(3)
    read("hello world!", "bad")
    page.wait_for_function("() => window.__tones.length >= 4")
    # accepted: one high beep; duplicate: two mid beeps; refused: a low buzz.
    assert page.evaluate("window.__tones") == [
        "sine:1046", "square:660", "square:660", "sawtooth:196"
    ]  # fmt: skip
    assert page.evaluate("window.__spoken") == [
        "zh-CN:" + " ".join(first.pickup_code.replace("-", ""))  # type: ignore[union-attr]
    ]


def test_receive_shows_the_live_weight_and_uses_it(
    page: Page, served: Served, web_env: Env
) -> None:
    web_env.config.web.scale = "scale-1"
    at = web_env.clock.wall.isoformat()
    web_env.store.set_device_state("scale-1", "scale", "connected", at, path=None, detail=None)
    web_env.store.set_scale_weight("scale-1", at, weight_g=1234, flags="", stable_g=1234,
                                   stable_at=at)  # fmt: skip
    sign_in_page(page, served)
    page.goto(served.url + "/receive")
    page.wait_for_function(
        "() => document.getElementById('scale-text').textContent === '1.234 kg · 稳定'"
    )
    page.select_option("select[name=carrier]", "zto")
    page.fill("input[name=phone_last4]", "5678")
    page.fill("input.scan", ZTO[50])
    page.press("input.scan", "Enter")
    page.wait_for_selector("#result.tone-ok")
    pickup = page.text_content("#result [data-f=pickup]")
    row = web_env.store.history(ZTO[50])[0]
    assert (row["weight_g"], row["phone_last4"], row["pickup_code"]) == (1234, "5678", pickup)
    assert page.input_value("input[name=phone_last4]") == ""
    assert page.evaluate("document.activeElement.classList.contains('scan')")
    page.screenshot(path=str(SHOTS / "receive-done.png"))
