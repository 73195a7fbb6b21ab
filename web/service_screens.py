"""The service desk's screens, registered on the page by one call from ``create_app``."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from web import receipts, sends, tickets

    for module in (tickets, receipts, sends):
        app.register_blueprint(module.bp)
