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
    # The trigram index finds the digits anywhere; only those at the end are a tail.
    assert found(ZTO[0][-6:-2]).get(ZTO[0]) != "tail"
    # Phone last 4 finds signed parcels too, and the page marks them.
    assert found("5678") == {ZTO[0]: "phone", ZTO[1]: "phone"}
    page = client.get("/search?q=5678").get_data(as_text=True)
    assert page.count('class="tag gone"') == 1 and "已签收" in page
    assert f'<a href="/parcel/{ZTO[0]}">{ZTO[0]}</a>' in page
    assert found(ZTO[0][3:11]) == {w: "part" for w in ZTO if ZTO[0][3:11] in w and w in ZTO[:2]}
    assert found("zz%_") == {}
    # A parcel that leaves the store leaves the index too.
    with web_env.store.transaction():
        web_env.store.delete_parcel(ZTO[0])
    assert ZTO[0] not in found(ZTO[0][3:11])
    r = client.get("/search?q=" + "9" * 80)
    assert r.status_code == 400


def test_a_refused_problem_keeps_what_was_typed(web_env: Env, app: Flask) -> None:
    web_env.receive(ZTO[0], "5678")
    client = app.test_client()
    token = sign_in(client)
    form = {"code": ZTO[0], "problem_code": "damaged", "note": "角被压扁", "csrf_token": token}
    r = client.post("/problem", data=form)
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and 'id="form-error"' in page and "至少要拍一张照片" in page
    assert f'value="{ZTO[0]}"' in page and 'value="角被压扁"' in page
    assert '<option value="damaged" selected>' in page
    not_image = {**form, "photo": (io.BytesIO(b"not an image"), "x.jpg")}
    r = client.post("/problem", data=not_image, content_type="multipart/form-data")
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and 'id="form-error"' in page and 'value="角被压扁"' in page


def test_a_refused_pickup_keeps_the_ticks_and_fields(web_env: Env, app: Flask) -> None:
    web_env.receive(ZTO[0], "5678")
    web_env.receive(ZTO[1], "5678")
    client = app.test_client()
    token = sign_in(client)
    r = client.post(
        "/pickup",
        data={"waybill": [ZTO[1]], "relation": "proxy", "id_last4": "0012", "q": "5678",
              "csrf_token": token},
    )  # fmt: skip
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "写明关系" in page
    assert page.count('name="waybill"') == 2 and page.count("checked") == 2  # the tick, proxy
    assert 'value="proxy" checked' in page and 'value="0012"' in page


@pytest.mark.parametrize(("screen", "flag", "font"), [
    ("connected", False, True), ("disconnected", False, False), (None, True, True),
])  # fmt: skip
def test_install_adds_a_cjk_font_where_a_screen_shows_the_page(
    tmp_path: Path, screen: str | None, flag: bool, font: bool
) -> None:
    from edge.appliance import install

    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (root / "etc/group").write_text("root:x:0:\ndialout:x:20:\n")
    if screen:
        status = root / "sys/class/drm/card1-HDMI-A-1/status"
        status.parent.mkdir(parents=True)
        status.write_text(screen + "\n")
    host = install.install(install.Options(root=root, display=flag))
    wanted = f"apt-get install -y --no-install-recommends {install.CJK_FONT_PACKAGE}"
    assert (wanted in host.commands) == font


def test_sync_status_shows_the_stations_time(
    web_env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    from edge.cli import main
    from tests.web_fixtures import WEB_CONFIG

    (web_env.data_dir / "station.toml").write_text(WEB_CONFIG, encoding="utf-8")
    web_env.store.update_sync_state(last_success_at="2026-11-28T01:00:00+00:00")
    assert main(["--data", str(web_env.data_dir), "sync", "status"]) == 0
    assert "last success:     2026-11-28T09:00:00+08:00" in capsys.readouterr().out


def test_the_command_line_says_what_it_takes(capsys: pytest.CaptureFixture[str]) -> None:
    from edge.barcode import DISPATCH_REASONS, PROBLEM_CODES
    from edge.cli import main

    with pytest.raises(SystemExit) as done:
        main(["scan", "--typ", "receive", "75123456789000"])  # abbreviations are refused
    assert done.value.code == 2
    for words in (["scan", "--help"], ["operator", "add", "--help"]):
        with pytest.raises(SystemExit):
            main(words)
    help_text = " ".join(capsys.readouterr().out.split())
    assert all(code in help_text for code in DISPATCH_REASONS + PROBLEM_CODES)
    assert "--name NAME the name shown on the page" in help_text
