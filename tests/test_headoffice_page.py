"""Head office's page, over HTTP on both backends: sign-in (lockout, sign-out, revoke,
CSRF), the fleet, a parcel's timeline, problem parcels, counts with CSV, records, and
bad parameters answered 400 in the operator's language."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from edge.cli import main
from sync.headoffice.app import hash_token, new_token
from sync.headoffice.dashboard import pages
from sync.headoffice.dashboard.db import Db
from sync.headoffice.dashboard.operators import MAX_FAILURES, add_operator, revoke
from sync.headoffice.records import records_for
from tests.sync_fixtures import (  # noqa: F401
    STATION,
    Receiver,
    a_scan,
    batch,
    post,
    receiver_fixture,
)

PIN = "246810"
OTHER = "GZ-TH-0007"
BEAT = {
    "sent_at": "2026-11-28T09:00:00+08:00",
    "backlog": 37,
    "rejected": 2,
    "oldest_unsent_age_s": 600,
    "last_error": "timeout",
    "versions": {"station_edge": "1.4.0"},
    "disk_free_bytes": 5 * 2**30,
    "clock": {"synced": False},
}
SCREENS = ("/ho/fleet", "/ho/parcel", "/ho/problems", "/ho/counts", "/ho/counts.csv", "/ho/records")


def signed_in(url: str, op_id: str = "hq-1", pin: str = PIN) -> tuple[requests.Session, int]:
    s = requests.Session()
    form = s.get(f"{url}/ho/signin", timeout=5)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, form.text
    r = s.post(
        f"{url}/ho/signin",
        data={"csrf_token": token.group(1), "operator": op_id, "pin": pin},
        allow_redirects=False,
        timeout=10,
    )
    return s, r.status_code


@dataclass
class Page:
    rec: Receiver
    db: Db
    session: requests.Session

    def get(self, path: str, **kw: object) -> requests.Response:
        return self.session.get(self.rec.url + path, allow_redirects=False, timeout=10, **kw)  # type: ignore[arg-type]

    def csrf(self) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', self.get("/ho/fleet").text)
        assert found
        return found.group(1)


@pytest.fixture(name="page")
def page_fixture(receiver: Receiver) -> Iterator[Page]:
    db = Db(receiver.running.storage)
    add_operator(db, "hq-1", "王芳", "staff", PIN, datetime.now(UTC))
    session, status = signed_in(receiver.url)
    assert status == 302
    yield Page(receiver, db, session)


def station_token(rec: Receiver, station: str) -> str:
    token = new_token()
    rec.running.storage.add_token(station, hash_token(token), "station")
    return token


def accepted(r: requests.Response) -> None:
    assert r.status_code == 200
    assert {x["status"] for x in r.json()["results"]} == {"accepted"}, r.json()


def seed(rec: Receiver) -> None:
    """Scans at two stations (one parcel crosses both), a problem, a heartbeat, records."""
    other = station_token(rec, OTHER)
    here = [
        a_scan(1, waybill="SF000000001111", scanned_at="2026-11-27T10:00:00+08:00"),
        a_scan(2, waybill="SF000000002222", type="problem", problem_code="damaged",
               note="外箱破损", scanned_at="2026-11-27T11:00:00+08:00"),
        a_scan(3, waybill="YT000000003333", carrier="yto", scanned_at="2026-10-05T08:00:00+08:00"),
    ]  # fmt: skip
    accepted(post(rec, batch(*here)))
    there = [
        a_scan(1, waybill="SF000000001111", type="dispatch", dispatch_reason="transfer",
               scanned_at="2026-11-27T15:00:00+08:00"),
        a_scan(2, waybill="ZT000000004444", carrier="zto", type="problem",
               problem_code="wrong_address", scanned_at="2026-11-27T16:00:00+08:00"),
    ]  # fmt: skip
    accepted(post(rec, batch(*there, station=OTHER), token=other))
    rec.running.storage.put_heartbeat(STATION, BEAT, datetime.now(UTC).isoformat())
    records = records_for(rec.running.storage)
    assert records is not None
    records.add_records(
        STATION,
        [{"kind": "handover", "id": "h-1", "version": "1", "body": {"courier": "zto-7", "n": 4}}],
        datetime.now(UTC).isoformat(),
    )


def test_every_screen_needs_sign_in(receiver: Receiver) -> None:
    for path in (*SCREENS, "/ho/", "/ho"):
        r = requests.get(receiver.url + path, allow_redirects=False, timeout=5)
        assert r.status_code in (302, 308), path
        assert r.headers["Location"].endswith("/ho/signin") or path == "/ho", path
    signin = requests.get(receiver.url + "/ho/signin", timeout=5)
    assert signin.status_code == 200 and "操作员登录" in signin.text
    assert "script-src 'self'" in signin.headers["Content-Security-Policy"]


def test_wrong_pins_lock_the_operator_out(page: Page) -> None:
    url = page.rec.url
    for _ in range(MAX_FAILURES - 1):
        assert signed_in(url, pin="999999")[1] == 403
    assert signed_in(url, "nobody", PIN)[1] == 403
    s, status = signed_in(url, pin="999999")
    assert status == 403
    _, status = signed_in(url)  # the right PIN, but locked now
    assert status == 403
    form = s.get(f"{url}/ho/signin", timeout=5).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token
    locked = s.post(f"{url}/ho/signin", data={"csrf_token": token.group(1), "operator": "hq-1",
                                              "pin": PIN}, timeout=10)  # fmt: skip
    assert "分钟后再试" in locked.text
    assert page.get("/ho/fleet").status_code == 200  # a session made before goes on


def test_sign_out_and_revoke_end_sessions_for_good(page: Page) -> None:
    assert page.get("/ho/fleet").status_code == 200
    other, _ = signed_in(page.rec.url)
    kept = dict(page.session.cookies)
    r = page.session.post(page.rec.url + "/ho/signout", data={"csrf_token": page.csrf()},
                          allow_redirects=False, timeout=5)  # fmt: skip
    assert r.status_code == 302
    replay = requests.get(page.rec.url + "/ho/fleet", cookies=kept, allow_redirects=False,
                          timeout=5)  # fmt: skip
    assert replay.status_code == 302  # the old cookie is worth nothing now
    assert other.get(page.rec.url + "/ho/fleet", timeout=5).url.endswith("/ho/fleet")
    assert revoke(page.db, "hq-1", disable=True) == 1
    assert (
        other.get(page.rec.url + "/ho/fleet", allow_redirects=False, timeout=5).status_code == 302
    )
    assert signed_in(page.rec.url)[1] == 403  # disabled


def test_an_admin_signs_an_operator_out_everywhere_from_the_page(page: Page) -> None:
    assert page.get("/ho/operators").status_code == 403  # hq-1 is staff
    assert "/ho/operators" not in page.get("/ho/fleet").text
    add_operator(page.db, "hq-0", "张伟", "admin", "112233", datetime.now(UTC))
    admin, status = signed_in(page.rec.url, "hq-0", "112233")
    assert status == 302
    listing = admin.get(page.rec.url + "/ho/operators", timeout=5).text
    assert 'data-operator="hq-1"' in listing and "员工" in listing and "scrypt" not in listing
    token = re.search(r'name="csrf_token" value="([^"]+)"', listing)
    assert token
    forged = admin.post(page.rec.url + "/ho/operators/hq-1/revoke", data={"csrf_token": "x"},
                        timeout=5)  # fmt: skip
    assert forged.status_code == 400
    assert page.get("/ho/fleet").status_code == 200
    done = admin.post(page.rec.url + "/ho/operators/hq-1/revoke",
                      data={"csrf_token": token.group(1)}, timeout=5)  # fmt: skip
    assert done.status_code == 200 and "hq-1的1个会话已结束" in done.text
    assert page.get("/ho/fleet").status_code == 302  # hq-1 is signed out
    assert signed_in(page.rec.url)[1] == 302  # but may sign in again


def test_a_post_without_the_csrf_token_is_refused(page: Page) -> None:
    r = page.session.post(page.rec.url + "/ho/signout", data={}, timeout=5)
    assert r.status_code == 400 and "页面已过期" in r.text
    assert page.get("/ho/fleet").status_code == 200  # still signed in
    cold = requests.post(page.rec.url + "/ho/signin", data={"operator": "hq-1", "pin": PIN},
                         allow_redirects=False, timeout=5)  # fmt: skip
    assert cold.status_code == 400


def test_the_fleet_shows_every_station_and_the_silent_ones_stand_out(page: Page) -> None:
    seed(page.rec)
    html = page.get("/ho/fleet").text
    found = re.findall(r'<tr class="(silent|)" data-station="([^"]+)"', html)
    rows = {station: cls for cls, station in found}
    assert rows == {STATION: "", OTHER: "silent"}  # OTHER never sent a heartbeat
    assert "37" in html and "未同步" in html and "timeout" in html and "1.4.0" in html
    assert "共2个站点，1个失联" in html
    old = datetime.now(UTC) - timedelta(hours=2)
    page.rec.running.storage.put_heartbeat(STATION, BEAT, old.isoformat())
    assert "共2个站点，2个失联" in page.get("/ho/fleet").text
    assert "共2个站点，1个失联" in page.get("/ho/fleet?silent=10080").text  # a week
    en = page.get("/ho/fleet", cookies={"ho_lang": "en"}).text
    assert "2 stations, 2 silent" in en and "Not synced" in en


def test_a_parcels_timeline_by_waybill_and_by_tail(page: Page) -> None:
    seed(page.rec)
    whole = page.get("/ho/parcel?q=SF000000001111").text
    assert f"{STATION} → {OTHER}" in whole
    assert whole.index("入库") < whole.index("transfer")  # in time order
    assert "2026-11-27 10:00" in whole  # in the stations' zone
    tail = page.get("/ho/parcel?q=1111").text
    assert f"{STATION} → {OTHER}" in tail
    many = page.get("/ho/parcel?q=000").text  # too short for a tail: bad
    assert "4到40位" in many
    several = page.get("/ho/parcel?q=2222").text
    assert "SF000000002222" in several
    assert "没找到" in page.get("/ho/parcel?q=9876").text


def test_problem_parcels_across_the_fleet_latest_first(page: Page) -> None:
    seed(page.rec)
    html = page.get("/ho/problems").text
    assert html.index("ZT000000004444") < html.index("SF000000002222")
    assert "外箱破损" in html
    only = page.get("/ho/problems", params={"carrier": "sf"}).text
    assert "SF000000002222" in only and "ZT000000004444" not in only
    mine = page.get("/ho/problems", params={"station": OTHER}).text
    assert "ZT000000004444" in mine and "SF000000002222" not in mine


def test_counts_per_station_and_carrier_by_day_and_month_with_csv(
    page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(page.rec)
    monkeypatch.setattr(pages, "SHOWN_MAX", 2)
    cut = page.get("/ho/counts?by=day&from=2026-11-27&to=2026-11-27").text
    assert "只显示前2行" in cut and cut.count('class="n total"') == 2
    r = page.get("/ho/counts.csv?by=day&from=2026-11-27&to=2026-11-27")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["日期", "站点", "快递公司"] and rows[0][-1] == "合计"
    table = {(row[1], row[2]): row[3:] for row in rows[1:]}
    assert table == {
        (STATION, "sf"): ["1", "0", "0", "1", "0", "2"],
        (OTHER, "sf"): ["0", "1", "0", "0", "0", "1"],
        (OTHER, "zto"): ["0", "0", "0", "1", "0", "1"],
    }
    month = page.get("/ho/counts.csv?by=month&from=2026-10-01&to=2026-11-30&station=" + STATION)
    periods = {(row[0], row[2], row[-1]) for row in csv.reader(io.StringIO(month.text))}
    assert ("2026-10", "yto", "1") in periods and ("2026-11", "sf", "2") in periods
    html = page.get("/ho/counts?by=day&from=2026-11-27&to=2026-11-27").text
    assert "2026-11-27" in html and "counts.csv?by=day" in html


def test_records_as_they_arrive(page: Page) -> None:
    seed(page.rec)
    html = page.get("/ho/records").text
    assert "handover" in html and "h-1" in html and "zto-7" in html
    assert "h-1" not in page.get("/ho/records", params={"station": OTHER}).text


@pytest.mark.parametrize(
    "path",
    [
        "/ho/fleet?silent=0",
        "/ho/fleet?silent=99999999999999999999",
        "/ho/fleet?silent=-5",
        "/ho/fleet?silent=%EF%BC%91",  # a full-width digit
        "/ho/parcel?q=%27%3B--",
        "/ho/parcel?q=" + "9" * 41,
        "/ho/problems?limit=501",
        "/ho/problems?limit=x",
        "/ho/problems?station=" + "x" * 65,
        "/ho/problems?carrier=%00",
        "/ho/counts?by=week",
        "/ho/counts?from=2026-13-01",
        "/ho/counts?from=20261101",
        "/ho/counts?from=2026-11-20&to=2026-11-01",
        "/ho/counts?from=2020-01-01&to=2026-11-01",
        "/ho/counts.csv?to=yesterday",
        "/ho/records?limit=0",
        "/ho/records?kind=%1B%5B31m",
    ],
)
def test_bad_parameters_answer_400_in_words(page: Page, path: str) -> None:
    r = page.get(path)
    assert r.status_code == 400, r.text
    assert "请求有误" in r.text
    assert "Bad request" in page.get(path, cookies={"ho_lang": "en"}).text


def test_the_language_switch_never_sends_elsewhere(page: Page) -> None:
    r = page.get("/ho/lang/en?next=/ho/problems")
    assert r.status_code == 302 and r.headers["Location"].endswith("/ho/problems")
    assert "ho_lang=en" in r.headers["Set-Cookie"]
    for bad in ("https://evil.example/", "//evil.example/ho/", "/v1/query/stations"):
        away = page.get("/ho/lang/zh", params={"next": bad})
        assert away.headers["Location"].endswith("/ho/fleet")


def test_operator_commands_on_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    base = ["--data", str(tmp_path), "head-office"]
    monkeypatch.setattr("sys.stdin", io.StringIO("12\n"))
    assert main([*base, "operator", "add", "hq-2", "--name", "李雷"]) == 2
    assert "4 to 12 digits" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("135790\n"))
    assert main([*base, "operator", "add", "hq-2", "--name", "李雷", "--role", "admin"]) == 0
    assert "135790" not in capsys.readouterr().out
    assert main([*base, "operator", "list"]) == 0
    listed = capsys.readouterr().out
    assert '"id": "hq-2"' in listed and '"role": "admin"' in listed and "scrypt" not in listed
    assert main([*base, "operator", "revoke", "hq-2", "--disable"]) == 0
    assert '"disabled": true' in capsys.readouterr().out
    assert main([*base, "operator", "add", "bad id!", "--name", "x"]) == 2


def test_the_silent_threshold_flag_reaches_every_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    from edge.cli import build_parser
    from sync.headoffice.dashboard.settings import SILENT_ENV, PageSettings

    monkeypatch.setenv(SILENT_ENV, "soon")  # restored after the test, whatever the flag sets
    assert PageSettings.from_env().silent_after == timedelta(minutes=15)  # unreadable: default
    build_parser().parse_args(["head-office", "--silent-after", "45"])
    assert PageSettings.from_env().silent_after == timedelta(minutes=45)  # env: forks see it
    with pytest.raises(SystemExit):
        build_parser().parse_args(["head-office", "--silent-after", "0"])


def test_head_office_never_loads_the_stations_page(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from sync.headoffice.server import start\n"
        f"r = start({str(tmp_path)!r})\n"
        "r.close()\n"
        "print(sorted(m for m in sys.modules if m == 'web' or m.startswith('web.')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)  # fmt: skip
    assert done.stdout.strip() == "[]"
    assert "sync.headoffice.dashboard" in subprocess.run(
        [sys.executable, "-c", code.replace("'web' or m.startswith('web.')",
                                            "'sync.headoffice.dashboard'")],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
