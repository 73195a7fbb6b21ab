"""Helpers for the day's page tests: a signed-in client posts a form with its token."""

from __future__ import annotations

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

Client = tuple[FlaskClient, str]


def post_form(client: Client, url: str, **data: str) -> TestResponse:
    c, token = client
    return c.post(url, data={"csrf_token": token, **data})


def post_code(client: Client, url: str, **data: str) -> int:
    return post_form(client, url, **data).status_code
