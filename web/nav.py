"""The page's navigation, built once per language and role.

Every page renders it: 23 links, each a ``url_for`` and a catalog lookup, were about a
third of a search page's rendering time at 200k parcels. The links never change while the
app runs, so they are made once per (script root, language, role) and kept.
"""

from __future__ import annotations

from functools import lru_cache

from flask import current_app, url_for

from web import catalog

# (endpoint, catalog key, group): "main" stays visible on a phone, "extra" goes behind the
# menu button. Most used first.
LINKS = [
    ("sorting.screen", "nav.sorting", "main"),
    ("desk.receive", "nav.receive", "main"),
    ("desk.pickup", "nav.pickup", "main"),
    ("parcels.search", "nav.search", "main"),
    ("desk.dispatch", "nav.dispatch", "extra"),
    ("desk.problem", "nav.problem", "extra"),
    ("stocktake.index", "nav.stocktake", "extra"),
    ("overdue.index", "nav.overdue", "extra"),
    ("reports.index", "nav.reports", "extra"),
    ("status.index", "nav.status", "extra"),
    ("handover.index", "nav.handover", "extra"),
    ("returns.index", "nav.returns", "extra"),
    ("problems_life.index", "nav.problems_life", "extra"),
    ("money.index", "nav.money", "extra"),
    ("shelves.index", "nav.shelves", "extra"),
    ("tickets.index", "nav.tickets", "extra"),
    ("receipts.index", "nav.receipts", "extra"),
    ("sends.index", "nav.sends", "extra"),
    ("labels.index", "nav.labels", "extra"),
]
SUPERVISOR_LINKS = [
    ("supervisor.scans", "nav.scans", "extra"),
    ("supervisor.operators", "nav.operators", "extra"),
    ("supervisor.config_view", "nav.config", "extra"),
    ("admin.operators", "nav.admin", "extra"),
]


def links(lang: str, role: str) -> list[tuple[str, str, str, str]]:
    """(endpoint, href, text, group) for the signed-in operator's role."""
    return _built(id(current_app), url_for("sorting.screen"), lang, role)


@lru_cache(maxsize=64)
def _built(_app: int, _root: str, lang: str, role: str) -> list[tuple[str, str, str, str]]:
    # Keyed by the app and where it is mounted (the first link's URL), so a second app
    # in one process, or a prefix, never sees another's links.
    chosen = LINKS + (SUPERVISOR_LINKS if role == "supervisor" else [])
    return [
        (endpoint, url_for(endpoint), catalog.text(key, lang), group)
        for endpoint, key, group in chosen
    ]
