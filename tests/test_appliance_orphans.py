"""No orphan photos: one stored for a refused request, or cut off by SIGKILL between its
file and its row, is swept by the nightly job; photos scans name stay."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from flask.testing import FlaskClient

from edge.appliance import orphans, retention
from edge.store import Store
from tests.web_fixtures import (  # noqa: F401 (fixtures)
    Env,
    app_fixture,
    clerk_fixture,
    jpeg_with_gps,
    web_env_fixture,
)
from web import photos

TOP = Path(__file__).resolve().parents[1]
LATER = datetime.now().astimezone() + timedelta(hours=2)


def photo_files(data: Path) -> set[str]:
    return {p.name for p in (data / "photos").rglob("*.jpg")}


def test_a_refused_request_leaves_a_photo_the_sweep_removes(
    clerk: tuple[FlaskClient, str], web_env: Env
) -> None:
    web_env.receive("75000000000001")
    c, token = clerk
    for code in ("75000000000001", "NOT-A-WAYBILL-%%%"):
        c.post(
            "/problem",
            data={"csrf_token": token, "code": code, "problem_code": "damaged",
                  "photo": (io.BytesIO(jpeg_with_gps((800 + len(code), 600))), "p.jpg")},
            content_type="multipart/form-data",
        )  # fmt: skip
    store = web_env.store
    linked = {r[0] for r in store.all("SELECT sha256 FROM scan_photos")}
    rows = store.photo_shas()
    assert len(linked) == 1 and len(rows) == 2, "the refused code should leave an orphan row"

    # Within the grace period a photo may still be on its way to its scan: kept.
    assert orphans.sweep(store, web_env.clock.wall) == 0
    result = retention.prune(store, web_env.config, web_env.clock.wall + timedelta(hours=2))
    assert result.orphan_photos_deleted == 1
    assert store.photo_shas() == linked
    (sha,) = linked
    assert photo_files(web_env.data_dir) == {f"{sha}.jpg"}  # the photo and its thumbnail


KILLED_WRITER = """
import sys, time
from pathlib import Path
from tests.web_fixtures import jpeg_with_gps
from web import photos
stored = photos.save(Path(sys.argv[1]), photos.clean_jpeg(
    jpeg_with_gps(), max_px=1600, quality=80, max_bytes=10**7))
print(stored.sha256, flush=True)
time.sleep(60)  # killed here: the file is written, its row never is
"""


def test_a_photo_cut_off_by_sigkill_is_swept(tmp_path: Path) -> None:
    store = Store(tmp_path / "station.db", create=True)
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(tmp_path)],
        cwd=TOP,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    sha = child.stdout.readline().strip()
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert photo_files(tmp_path) == {f"{sha}.jpg"}
    assert store.photo_shas() == set()

    assert orphans.sweep(store, datetime.now().astimezone(), grace=timedelta(0)) == 2
    assert photo_files(tmp_path) == set()
    store.close()


def test_nightly_reports_the_sweep(tmp_path: Path) -> None:
    store = Store(tmp_path / "station.db", create=True)
    jpeg = photos.clean_jpeg(jpeg_with_gps(), max_px=1600, quality=80, max_bytes=10**7)
    stored = photos.save(tmp_path, jpeg)
    store.web_add_photo(stored.sha256, stored.path.as_posix(), stored.size, "2026-11-01T09:00:00")
    assert orphans.sweep(store, LATER) == 1
    assert store.photo_shas() == set() and photo_files(tmp_path) == set()
    store.close()
