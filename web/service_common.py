"""What the service desk's screens share: refusals worded from the catalog, form values."""

from __future__ import annotations

from flask import request

from edge.service.errors import ServiceError
from web import context
from web.context import PageError

# A refusal that names a state conflict is 409; the rest is bad input.
CONFLICTS = {
    "ticket.changed",
    "ticket.no_going_back",
    "send.duplicate",
    "receipt.already_signed",
    "receipt.missing",
}


def refused(exc: ServiceError) -> PageError:
    params = {k: v for k, v in exc.params.items() if k != "fields"}
    status = 409 if exc.key in CONFLICTS else 400
    if exc.key.endswith(("not_found", "not_required")):
        status = 404
    return PageError(status, exc.key, **params)


def text(name: str, limit: int = 200) -> str | None:
    return (request.form.get(name) or "").strip()[:limit] or None


def number(name: str, field_key: str, high: int = 1_000_000) -> int | None:
    """A whole number typed on a form (weights in grams, copies, scores), or a 400 naming it."""
    value = text(name)
    if value is None:
        return None
    return context.bounded_int(value, context.t(field_key), high=high)
