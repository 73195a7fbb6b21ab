"""What the pages show: photos wherever a parcel's scans have them, with the data
folder given as a relative path (as the demo does)."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from edge.station import ScanRequest
from tests.web_fixtures import (  # noqa: F401 (fixtures)
    ZTO,
    Env,
    app_fixture,
    jpeg_with_gps,
    sign_in,
    web_env_fixture,
)
from web.app import create_app


@pytest.fixture(name="relative_app")
def relative_app_fixture(web_env: Env) -> Iterator[Flask]:
    """The app made from a relative --data, run from the folder above it."""
    before = Path.cwd()
    os.chdir(web_env.data_dir.parent)
    try:
        app = create_app(Path(web_env.data_dir.name), config=web_env.config, clock=web_env.clock)
        app.testing = True
        yield app
    finally:
        os.chdir(before)


def test_photos_show_with_a_relative_data_folder(relative_app: Flask, web_env: Env) -> None:
    web_env.receive(ZTO[0], "5678")
    client = relative_app.test_client()
    token = sign_in(client)
    web_env.clock.advance(3)
    r = client.post(
        "/problem",
        data={"code": ZTO[0], "problem_code": "damaged", "csrf_token": token,
              "photo": (io.BytesIO(jpeg_with_gps()), "box.jpg")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert r.status_code == 200, r.get_data(as_text=True)
    (sha,) = [p["sha256"] for p in web_env.store.web_scan_photos(ZTO[0])]
    for path in (f"/photos/{sha}.jpg", f"/photos/{sha}/thumb.jpg"):
        got = client.get(path)
        assert got.status_code == 200 and got.data[:2] == b"\xff\xd8", path
    assert f"/photos/{sha}/thumb.jpg" in client.get(f"/parcel/{ZTO[0]}").get_data(as_text=True)


def test_search_as_a_clerk_asks(web_env: Env, app: Flask) -> None:
    web_env.receive(ZTO[0], "5678")
    web_env.receive(ZTO[1], "5678")
    web_env.clock.advance(3)
    signed = web_env.station.scan(ScanRequest(type="sign", code=ZTO[1], device="gun-1"))
    assert signed.status == "accepted"
    client = app.test_client()
    sign_in(client)

    def found(q: str) -> dict[str, str]:
        return {r["waybill"]: r["matched"] for r in web_env.store.web_search(q)}

    assert found(ZTO[0][-4:]) == {ZTO[0]: "tail"}
    assert found(ZTO[0][-6:]) == {ZTO[0]: "tail"}
    # Phone last 4 finds signed parcels too, and the page marks them.
    assert found("5678") == {ZTO[0]: "phone", ZTO[1]: "phone"}
    page = client.get("/search?q=5678").get_data(as_text=True)
    assert page.count('class="tag gone"') == 1 and "已签收" in page
    assert found(ZTO[0][3:11]) == {w: "part" for w in ZTO if ZTO[0][3:11] in w and w in ZTO[:2]}
    assert found("zz%_") == {}
    # A parcel that leaves the store leaves the index too.
    with web_env.store.transaction():
        web_env.store.delete_parcel(ZTO[0])
    assert ZTO[0] not in found(ZTO[0][3:11])
    r = client.get("/search?q=" + "9" * 80)
    assert r.status_code == 400
