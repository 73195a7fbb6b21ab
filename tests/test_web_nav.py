"""The navigation, built once per language and role: right links, right words, and each
role sees only its own."""

from __future__ import annotations

from flask import Flask, url_for

from tests.web_fixtures import app_fixture, web_env_fixture  # noqa: F401 (fixtures)
from web import catalog, nav


def test_links_follow_the_role_and_the_language(app: Flask) -> None:
    with app.test_request_context("/"):
        clerk = nav.links("zh", "clerk")
        boss = nav.links("en", "supervisor")
        assert [e for e, *_ in clerk] == [e for e, _, _ in nav.LINKS]
        assert [e for e, *_ in boss] == [e for e, _, _ in nav.LINKS + nav.SUPERVISOR_LINKS]
        for (endpoint, href, text, _group), (_e, key, _g) in zip(clerk, nav.LINKS, strict=True):
            assert href == url_for(endpoint)
            assert text == catalog.text(key, "zh")
        assert clerk[0][2] == catalog.text("nav.sorting", "zh")
        assert boss[0][2] == catalog.text("nav.sorting", "en")
        assert nav.links("zh", "clerk") is clerk  # made once, then kept


def test_every_nav_key_is_in_the_catalog() -> None:
    for _endpoint, key, _group in nav.LINKS + nav.SUPERVISOR_LINKS:
        assert key in catalog.STRINGS
