"""Shelves added or changed on the page are seen by every screen that lists shelves."""

from __future__ import annotations

from tests.desk_fixtures import Client, post_code
from tests.web_fixtures import (  # noqa: F401 (fixtures)
    Env,
    app_fixture,
    clerk_fixture,
    supervisor_fixture,
    web_env_fixture,
)


def test_stocktake_offers_a_shelf_added_on_the_page(clerk: Client, supervisor: Client) -> None:
    assert post_code(supervisor, "/shelves", shelf="9", layers="2", capacity="10") == 302
    c, _ = clerk
    listed = c.get("/stocktake").get_data(as_text=True)
    assert 'value="9-2"' in listed
    assert post_code(clerk, "/stocktake", shelf="9-2") == 302
    assert post_code(clerk, "/stocktake", shelf="9-3") == 400
