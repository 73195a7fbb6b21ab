"""Running the station from the page: operators changed by a supervisor and audited, the
last supervisor kept, the audit log filtered; a disabled operator is signed out."""

from __future__ import annotations

import json

from flask import Flask

from tests.desk_fixtures import Client
from tests.desk_fixtures import post_code as post
from tests.web_fixtures import (  # noqa: F401 (fixtures)
    CLERK,
    Env,
    app_fixture,
    clerk_fixture,
    sign_in,
    supervisor_fixture,
    web_env_fixture,
)


def test_operators_changed_from_the_page_are_audited(
    supervisor: Client, clerk: Client, web_env: Env, app: Flask
) -> None:
    c, _ = supervisor
    assert c.get("/admin/operators").status_code == 200
    assert clerk[0].get("/admin/operators").status_code == 403
    assert (
        post(supervisor, "/admin/operators", id="c2", name="Zhao", role="clerk", pin="2468") == 302
    )
    assert (
        post(supervisor, "/admin/operators", id="c2", name="Zhao", role="clerk", pin="2468") == 409
    )
    assert post(supervisor, "/admin/operators", id="c 3", name="Q", role="clerk", pin="2468") == 400
    assert post(supervisor, "/admin/operators", id="c3", name="Q", role="clerk", pin="12") == 400
    assert post(supervisor, "/admin/operators/c2", action="role", role="supervisor") == 302
    assert post(supervisor, "/admin/operators/c2", action="role", role="king") == 400
    assert post(supervisor, "/admin/operators/c2", action="pin", pin="13579") == 302
    assert post(supervisor, "/admin/operators/nobody", action="disable") == 404
    assert post(supervisor, "/admin/operators/c1", action="explode") == 400
    # A disabled clerk's open page session ends at the next request.
    assert post(supervisor, "/admin/operators/c1", action="disable") == 302
    assert clerk[0].get("/handover").status_code in (302, 401)
    assert post(supervisor, "/admin/operators/c1", action="enable") == 302
    again = app.test_client()
    sign_in(again, CLERK)
    # The new operator signs in with the reset PIN.
    zhao = app.test_client()
    sign_in(zhao, ("c2", "Zhao", "13579"))
    actions = [r["action"] for r in web_env.store.admin_audit(actor="s1", action="operator.")]
    assert actions == ["operator.enable", "operator.disable", "operator.pin", "operator.role",
                       "operator.add"]  # fmt: skip
    details = [r["detail"] or "" for r in web_env.store.admin_audit(action="operator.")]
    assert not any("scrypt" in d or "13579" in d for d in details)
    assert json.loads(web_env.store.admin_audit(action="operator.role")[0]["detail"]) == {
        "role": "supervisor"
    }


def test_the_last_supervisor_stays(supervisor: Client) -> None:
    assert post(supervisor, "/admin/operators/s1", action="disable") == 409
    assert post(supervisor, "/admin/operators/s1", action="role", role="clerk") == 409


def test_audit_log_filters(supervisor: Client) -> None:
    c, _ = supervisor
    post(supervisor, "/admin/operators/c1", action="role", role="clerk")
    table = c.get("/admin/audit?actor=s1&action=operator.").get_data(as_text=True)
    table = table.split('id="audit"')[1]
    assert "operator.role" in table and "web.sign_in" not in table
    table = c.get("/admin/audit?since=2000-01-01&until=2000-01-02").get_data(as_text=True)
    assert "operator.role" not in table.split('id="audit"')[1]
    assert c.get("/admin/audit?since=yesterday").status_code == 400
