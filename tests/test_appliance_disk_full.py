"""A really full disk (a small tmpfs, no WAL file yet) answers "disk full" plainly in
`station scan`, `station status`, /signin, /livez and /healthz, and loses nothing."""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.cli import main
from edge.pins import hash_pin
from edge.store import Store
from tests.web_fixtures import csrf_of
from web.app import create_app


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("mounting a small tmpfs needs root (CAP_SYS_ADMIN)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> Path:
    filler = folder / "filler"
    with filler.open("wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def test_a_full_disk_is_named_everywhere_and_loses_nothing(
    small_disk: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = small_disk / "st"
    base = ["--data", str(data)]
    assert main([*base, "init"]) == 0
    with Store(data / "station.db") as store:
        store.add_operator("c1", "Clerk", "clerk", hash_pin("2468"))
    assert main([*base, "scan", "--type", "receive", "75000000000001"]) == 0
    app = create_app(data)
    client = app.test_client()
    assert client.get("/livez").status_code == 200
    token = csrf_of(client)
    app.extensions["station"].stores.close_idle()  # the page keeps a few open between requests
    assert not (data / "station.db-wal").exists()  # every connection closed: no WAL left
    capsys.readouterr()

    filler = fill(small_disk)
    assert main([*base, "scan", "--type", "receive", "75000000000002"]) == 3
    assert "disk full" in capsys.readouterr().err
    assert main([*base, "status"]) == 1
    assert "disk full" in capsys.readouterr().out

    for answer in (
        client.get("/livez"),
        client.get("/healthz"),
        client.post("/signin", data={"operator": "c1", "pin": "2468", "csrf_token": token}),
    ):
        body = answer.get_data(as_text=True)
        assert answer.status_code == 503, body
        assert "disk full" in body.lower() or "磁盘已满" in body, body

    os.unlink(filler)
    assert main([*base, "scan", "--type", "receive", "75000000000003"]) == 0
    with Store(data / "station.db") as store:
        held = [r[0] for r in store.all("SELECT waybill FROM scans ORDER BY seq")]
        assert store.integrity_check() == "ok"
    assert held == ["75000000000001", "75000000000003"]
