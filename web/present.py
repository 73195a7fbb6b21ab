"""How reads and outcomes look on the page: one shape for the live feed and for answers."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from edge.station import Outcome
from web import catalog


def hms(at: str) -> str:
    """HH:MM:SS of a stored time: stored times are already the station's local time."""
    return at[11:19] if len(at) >= 19 else at


def tone(status: str, warnings: list[str] | None) -> str:
    """green / amber / red: accepted, duplicate or accepted with warnings, refused."""
    if status == "refused":
        return "bad"
    if status == "duplicate" or warnings:
        return "warn"
    return "ok"


def _warnings(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return [value]
        return [str(w) for w in parsed] if isinstance(parsed, list) else [str(parsed)]
    return [str(w) for w in value]


def card(data: dict[str, Any], lang: str, *, local_time: str = "") -> dict[str, Any]:
    """The fields the sorting screen and the scan answers show, in ``lang``."""
    warnings = _warnings(data.get("warnings"))
    scan_type = str(data.get("type") or "")
    other = bool(scan_type not in ("", "receive") and data.get("seq"))
    message = data.get("message_en") if lang == "en" else data.get("message_zh")
    return {
        "id": data.get("id") or data.get("read_id"),
        "at": local_time,
        "device": data.get("device"),
        "operator": data.get("operator"),
        "code": data.get("code") or data.get("waybill"),
        "kind": data.get("kind"),
        "type": catalog.label("type", data.get("type"), lang) if data.get("type") else "",
        "status": data.get("status"),
        "tone": tone(str(data.get("status")), warnings),
        "message": message or "",
        "seq": data.get("seq"),
        "waybill": data.get("waybill"),
        "carrier": catalog.label("carrier", data.get("carrier"), lang)
        if data.get("carrier")
        else "",
        "shelf": data.get("shelf") or "",
        "pickup_code": data.get("pickup_code") or "",
        "weight_g": data.get("weight_g"),
        "warnings": [catalog.label("warning", w, lang) for w in warnings],
        # A scan that is not a receive gets its own colour and words on the screen.
        "scan_type": scan_type,
        "headline": catalog.text("sort.done_" + scan_type, lang) if other else "",
    }


def read_card(row: sqlite3.Row, lang: str, local_time: str) -> dict[str, Any]:
    return card(dict(row), lang, local_time=local_time)


def outcome_card(outcome: Outcome, lang: str, local_time: str = "") -> dict[str, Any]:
    data = outcome.to_json(lang)
    data["id"] = outcome.read_id
    return card(data, lang, local_time=local_time)


def gun_desks(
    rows: list[sqlite3.Row], lang: str, default_modes: dict[str, str]
) -> list[dict[str, Any]]:
    """Each gun's mode and operator, as the sorting screen shows them at all times.

    A gun without a desk row is in its configured default mode (``default_modes``).
    """
    out = []
    for row in rows:
        mode = row["mode"] or default_modes.get(row["device"], "receive")
        reason = None
        if mode == "problem":
            reason = catalog.label("reason", row["problem_code"], lang)
        elif mode == "dispatch":
            reason = catalog.label("reason", row["dispatch_reason"], lang)
        label = catalog.label("type", mode, lang)
        out.append(
            {
                "device": row["device"],
                "mode": mode,
                "text": catalog.text("sort.gun_mode", lang, mode=label)
                + (f" · {reason}" if reason else ""),
                "operator": row["operator_name"] or catalog.text("sort.nobody", lang),
            }
        )
    return out
