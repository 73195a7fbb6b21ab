"""Refusals through the page's shared error handler leave a log line that names the
screen and the reason, and never the input (it may hold a phone, an ID or a PIN)."""

from __future__ import annotations

import logging

import pytest

from tests.desk_fixtures import Client, post_form
from tests.web_fixtures import (  # noqa: F401 (fixtures)
    Env,
    app_fixture,
    clerk_fixture,
    supervisor_fixture,
    web_env_fixture,
)

PHONE = "13812345678"


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "web.app"]


def test_a_refused_form_is_logged_without_its_input(
    clerk: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="web.app")
    answer = post_form(clerk, "/problems/1/resolve", resolution=PHONE, note=PHONE)
    assert answer.status_code == 400
    (line,) = refusals(caplog)
    assert "problems" in line and "400" in line
    assert PHONE not in caplog.text


def test_unknown_pages_and_ids_are_logged(clerk: Client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="web.app")
    c, _ = clerk
    assert c.get(f"/handover/{PHONE}").status_code == 404
    assert c.get("/handover/99999999999999999999999").status_code == 400
    lines = refusals(caplog)
    assert len(lines) == 2 and "err.not_found" in lines[0] and "err.bad_range" in lines[1]
    assert PHONE not in caplog.text


def test_an_oversized_audit_filter_is_an_empty_result(supervisor: Client) -> None:
    c, _ = supervisor
    assert c.get("/admin/audit", query_string={"action": "x" * 70000}).status_code == 200
    assert c.get("/admin/audit", query_string={"actor": "y" * 70000}).status_code == 200


def test_a_fee_past_its_range_is_refused_plainly(supervisor: Client) -> None:
    for fen, free in (("99999999999999999999999", ""), ("1000001", ""), ("100", "99999999999")):
        answer = post_form(supervisor, "/money/fees", carrier="zto", kind="storage", fen=fen,
                           free_days=free, effective_from="2026-11-01")  # fmt: skip
        assert answer.status_code == 400
        assert "1000000" in answer.get_data(as_text=True)
    assert post_form(supervisor, "/money/fees", carrier="zto", kind="receive", fen="1000000",
                     effective_from="2026-11-01").status_code == 302  # fmt: skip


def test_dates_at_the_calendar_s_end_are_refused_plainly(supervisor: Client) -> None:
    c, _ = supervisor
    assert c.get("/admin/audit?until=9999-12-31").status_code == 400
    for url in ("/money?month=9999-12", "/money.xlsx?month=9999-12", "/money?month=+202-01"):
        assert c.get(url).status_code == 400, url
    assert c.get("/money?month=9998-12").status_code == 200
