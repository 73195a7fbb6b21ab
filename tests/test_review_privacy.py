"""A phone or ID card number typed into any free-text field of the day's screens or the
service desk is kept masked (138****5678) or cut to its last 4, never whole."""

from __future__ import annotations

import shlex
from pathlib import Path

from edge.cli import main
from edge.store import Store
from tests.desk_fixtures import Client, post_code
from tests.web_fixtures import (  # noqa: F401 (fixtures)
    ZTO,
    Env,
    app_fixture,
    clerk_fixture,
    supervisor_fixture,
    web_env_fixture,
)

PHONE = "13812345678"
ID_CARD = "11010519491231002X"
TYPED = f"call {PHONE}, id {ID_CARD}"


def dump(store: Store) -> str:
    """Every text value in every table, as one string."""
    tables = [r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    out = []
    for table in tables:
        for row in store.conn.execute(f'SELECT * FROM "{table}"'):
            out += [str(v) for v in row if isinstance(v, str)]
    return "\n".join(out)


def assert_kept_masked(store: Store) -> None:
    held = dump(store)
    assert PHONE not in held and ID_CARD not in held
    assert "138****5678" in held


def test_day_free_text_is_scrubbed(clerk: Client, supervisor: Client, web_env: Env) -> None:
    web_env.receive(ZTO[0])
    web_env.receive(ZTO[1])
    assert post_code(supervisor, "/couriers", id="zto-7", name=f"张 {PHONE}", carrier="zto") == 302
    assert post_code(clerk, "/returns/refused", code=ZTO[0], note=TYPED) == 200
    seq = web_env.store.conn.execute(
        "SELECT seq FROM scans WHERE type = 'problem' ORDER BY seq DESC LIMIT 1"
    ).fetchone()[0]
    assert post_code(clerk, f"/problems/{seq}/resolve", resolution="found", note=TYPED) == 302
    assert_kept_masked(web_env.store)


def test_courier_name_from_the_cli_is_scrubbed(tmp_path: Path) -> None:
    data = tmp_path / "st"
    assert main(["--data", str(data), "init", "--station", "SZ-NS-0042"]) == 0
    words = f"courier add zto-7 --name '张 {PHONE}' --carrier zto"
    assert main(["--data", str(data), *shlex.split(words)]) == 0
    with Store(data / "station.db") as store:
        assert_kept_masked(store)


def test_a_phone_typed_into_a_batch_is_refused_not_kept_as_a_stray(
    clerk: Client, web_env: Env
) -> None:
    from tests.desk_fixtures import post_form

    opened = post_form(clerk, "/batch/open", kind="return", carrier="zto")
    assert opened.status_code == 302
    scan_url = "/api" + opened.headers["Location"].split("?")[0] + "/scan"
    for typed in (PHONE, "x" * 5000, "<script>alert(1)</script>"):
        answer = post_form(clerk, scan_url, code=typed)
        assert answer.status_code == 409
        assert answer.get_json()["status"] == "refused"
    stray = post_form(clerk, scan_url, code=ZTO[9])
    assert stray.status_code == 409
    held = dump(web_env.store)
    assert PHONE not in held and "xxxxx" not in held and "<script>" not in held
    assert ZTO[9] in held
