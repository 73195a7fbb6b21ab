"""Reports keep parcels whose carrier is unknown apart from the carriers, in the table
and in the CSV. Flask's test client over a real store and station."""

from __future__ import annotations

import csv
import io
import re

from tests.desk_fixtures import Client
from tests.web_fixtures import (  # noqa: F401 (fixtures)
    ZTO,
    Env,
    app_fixture,
    clerk_fixture,
    web_env_fixture,
)

UNKNOWN = ("1234567890123", "1234567890124")  # numbers three carriers use


def test_unknown_carrier_parcels_are_shown_apart(clerk: Client, web_env: Env) -> None:
    for code in (*UNKNOWN, ZTO[1]):
        assert web_env.receive(code)["status"] == "accepted"
    day = web_env.clock.now(web_env.config.tz).wall.date().isoformat()
    page = clerk[0].get(f"/reports?day={day}").get_data(as_text=True)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", page, re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in rows[1:]]
    assert cells[-1][0] == "快递公司未知" and cells[-1][1] == "2" and cells[-1][-1] == "2"
    assert [c[0] for c in cells[:-1]] == ["中通"]
    assert 'id="carrier-unknown"' in page and "入库时请选择本批快递公司" in page
    body = clerk[0].get(f"/reports.csv?day={day}").get_data(as_text=True)
    table = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert [r[1] for r in table[1:]] == ["中通", "快递公司未知"]


def test_no_unknown_row_when_every_carrier_is_known(clerk: Client, web_env: Env) -> None:
    web_env.receive(ZTO[2])
    day = web_env.clock.now(web_env.config.tz).wall.date().isoformat()
    page = clerk[0].get(f"/reports?day={day}").get_data(as_text=True)
    assert "中通" in page and "快递公司未知" not in page
