"""Fixtures for the page's tests: a station folder with operators, the app over it, a
signed-in client, and photos made with Pillow."""

from __future__ import annotations

import io
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from edge import config as config_mod
from edge.config import Config
from edge.pins import hash_pin
from edge.station import ScanRequest, Station
from edge.store import Store
from tests.conftest import ManualClock
from web.app import create_app
from web.server import make_server

WEB_CONFIG = """
[station]
code = "SZ-NS-0042"

[web]
threads = 8
feed_max_s = 30

[[shelves]]
id = "1"
layers = 2
capacity = 20

[[shelves]]
id = "2"
layers = 2
capacity = 20

[[sorting]]
shelves = ["1", "2"]
"""

CLERK = ("c1", "Li Na", "1234")
SUPERVISOR = ("s1", "Wang Wei", "9876")
ZTO = [f"75123456789{i:03d}" for i in range(100)]


@dataclass
class Env:
    data_dir: Path
    config: Config
    clock: ManualClock
    store: Store
    station: Station

    def receive(self, waybill: str, phone_last4: str | None = None, device: str = "gun-1") -> dict:
        self.clock.advance(3)
        out = self.station.scan(
            ScanRequest(type="receive", code=waybill, device=device, phone_last4=phone_last4)
        ).to_json()
        assert out["status"] == "accepted", out
        return out


@pytest.fixture(name="web_env")
def web_env_fixture(tmp_path: Path) -> Iterator[Env]:
    config = config_mod.parse(WEB_CONFIG, "test.toml")
    clock = ManualClock()
    store = Store(tmp_path / "station.db", create=True)
    # hash_pin is scrypt on purpose: two operators cost ~0.1 s.
    store.add_operator(CLERK[0], CLERK[1], "clerk", hash_pin(CLERK[2]))
    store.add_operator(SUPERVISOR[0], SUPERVISOR[1], "supervisor", hash_pin(SUPERVISOR[2]))
    yield Env(tmp_path, config, clock, store, Station(store, config, clock))
    store.close()


@pytest.fixture(name="app")
def app_fixture(web_env: Env) -> Flask:
    app = create_app(web_env.data_dir, config=web_env.config, clock=web_env.clock)
    app.testing = True
    return app


def csrf_of(client: FlaskClient) -> str:
    """The session's CSRF token, as the page's meta tag carries it."""
    page = client.get("/signin").get_data(as_text=True)
    found = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert found, "no CSRF token on the sign-in page"
    return found.group(1)


def sign_in(client: FlaskClient, who: tuple[str, str, str] = CLERK) -> str:
    token = csrf_of(client)
    response = client.post("/signin", data={"operator": who[0], "pin": who[2], "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    with client.session_transaction() as session:
        return str(session["csrf"])


@pytest.fixture(name="clerk")
def clerk_fixture(app: Flask) -> tuple[FlaskClient, str]:
    client = app.test_client()
    return client, sign_in(client, CLERK)


@pytest.fixture(name="supervisor")
def supervisor_fixture(app: Flask) -> tuple[FlaskClient, str]:
    client = app.test_client()
    return client, sign_in(client, SUPERVISOR)


def jpeg_with_gps(size: tuple[int, int] = (2400, 1200), orientation: int = 6) -> bytes:
    """A real JPEG carrying EXIF GPS coordinates and an orientation tag."""
    image = Image.new("RGB", size, (200, 40, 40))
    for x in range(0, size[0], 100):
        image.paste((20, 20, 200), (x, 0, x + 40, size[1] // 3))
    exif = Image.Exif()
    exif[0x0112] = orientation  # rotate 90° clockwise to display
    exif[0x010F] = "PhoneMaker"
    gps = {1: "N", 2: (22.0, 32.0, 10.0), 3: "E", 4: (113.0, 56.0, 30.0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


@dataclass
class Served:
    url: str
    app: Flask


def serve_in_thread(app: Flask, threads: int = 8) -> tuple[str, Callable[[], None]]:
    """The app under waitress on 127.0.0.1 (a free port), as `station web` serves it."""
    server = make_server(app, "127.0.0.1", 0, threads)
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    port = server.socket.getsockname()[1]

    def stop() -> None:
        server.task_dispatcher.shutdown(timeout=2)
        server.close()

    return f"http://127.0.0.1:{port}", stop


@pytest.fixture(name="served")
def served_fixture(app: Flask) -> Iterator[Served]:
    url, stop = serve_in_thread(app)
    yield Served(url, app)
    stop()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


def store_photo(env: Env) -> str:
    """A cleaned photo stored as the page stores one; its sha256."""
    from web import photos

    jpeg = photos.clean_jpeg(jpeg_with_gps((800, 600)), max_px=800, quality=80, max_bytes=10**7)
    stored = photos.save(env.data_dir, jpeg)
    env.store.web_add_photo(stored.sha256, stored.path.as_posix(), stored.size, "2026-11-28")
    return stored.sha256


def seed_every_page(env: Env, text: str = "") -> dict[str, str]:
    """Something on every page: parcels in every state with photos, a stocktake, parcels
    left too long, a gun in problem mode, a scale, a sync error then a success.

    ``text`` goes wherever a clerk can type (notes, codes): the hostile-input tests
    pass markup here. Returns the paths worth visiting by name.
    """
    at = env.clock.wall.isoformat(timespec="seconds")
    env.store.set_device_state("desk-1", "gun", "connected", at, path="/dev/input/x", detail=None)
    env.store.set_device_state(
        "scale-1", "scale", "connected", at, path="/dev/ttyUSB0", detail=None
    )
    env.store.set_scale_weight("scale-1", at, weight_g=1200, flags="", stable_g=1200, stable_at=at)
    env.store.record_side_failure("manifest: ConnectionError: [Errno 111] Connection refused")
    old = [env.receive(w, "5678", device="desk-1") for w in ZTO[10:13]]
    env.clock.advance(8 * 86400)
    on_shelf = env.receive(ZTO[0], "5678", device="desk-1")
    env.receive(ZTO[1], "1111", device="desk-1")
    photo = store_photo(env)
    note = text or "家人"
    env.clock.advance(3)
    env.station.scan(
        ScanRequest(type="sign", code=ZTO[1], device="desk-1", signer_relation="proxy",
                    note=note, photos=(photo,))
    )  # fmt: skip
    env.clock.advance(3)
    env.station.scan(
        ScanRequest(type="problem", code=ZTO[0], device="desk-1", reason="damaged",
                    note=note, photos=(photo,))
    )  # fmt: skip
    env.receive(ZTO[2], device="desk-1")
    env.clock.advance(3)
    env.station.scan(ScanRequest(type="dispatch", code=ZTO[2], device="desk-1", reason="return"))
    gun = env.station.desk("desk-1")
    for code in ("MODE:PROBLEM", "PROBLEM:DAMAGED", text or "hello world!"):
        env.clock.advance(3)
        env.station.read(code, gun)
    st = env.store.web_stocktake_open(on_shelf["shelf"], "c1", "web:c1", at)
    env.store.web_stocktake_add(st, ZTO[1], at, "extra", env.store.parcel(ZTO[1]), None)
    env.store.web_stocktake_add(st, "NOPE" + ZTO[3], at, "extra", None, None)
    return {
        "parcel": f"/parcel/{ZTO[0]}",
        "signed": f"/parcel/{ZTO[1]}",
        "stocktake": f"/stocktake/{st}",
        "old": old[0]["waybill"],
    }


@pytest.fixture(name="browser", scope="module")
def browser_fixture() -> Iterator[Any]:
    """Headless Chromium for a test module (Debian's, as scripts/test installs it)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# --- headless Chromium, shared by the browser tests -------------------------------------

BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK), reason=f"{CHROMIUM} is not installed"),
]
SHOTS = Path(os.environ.get("STATION_SHOTS", "/tmp/station-shots"))
TABLET = {"width": 800, "height": 1280}  # portrait, as the tablets stand at the desks
LANDSCAPE = {"width": 1280, "height": 800}


def open_page(browser: Any, viewport: dict[str, int] = TABLET, **options: Any) -> Iterator[Any]:
    """A fresh context and page (zh-CN, 10 s timeout) for a page fixture to yield from."""
    context = browser.new_context(viewport=viewport, locale="zh-CN", **options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def sign_in_page(page: Any, served: Served, who: tuple[str, str, str] = CLERK) -> None:
    """Sign in through the form, as a clerk would, and wait for the sorting screen."""
    page.goto(served.url + "/")
    page.fill("input[name=operator]", who[0])
    page.fill("input[name=pin]", who[2])
    page.click("button.primary")
    page.wait_for_selector("#sort")
