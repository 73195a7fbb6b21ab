"""The live weight of the scale the page's receive desk uses, read from the store (the
scale is read by `station scanner`, a separate process)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from web import context


def scale_name() -> str | None:
    """The scale paired with the page's desk: [web] scale; else the only configured
    scale; else the only scale paired with a gun; else the only scale the scanning
    process reports (a simulated one in the demo). None when that is not one scale."""
    config = context.config()
    if config.web.scale:
        return config.web.scale
    for names in (
        [s.name for s in config.scales],
        [g.scale for g in config.scanners if g.scale],
        [d["name"] for d in context.store().devices() if d["kind"] == "scale"],
    ):
        if len(set(names)) == 1:
            return names[0]
        if names:
            return None
    return None


def _age_s(at: str | None) -> float | None:
    if not at:
        return None
    try:
        return (context.now() - datetime.fromisoformat(at)).total_seconds()
    except (TypeError, ValueError):
        return None


def desk_scale() -> dict[str, Any]:
    """The scale's name, link state, live weight, and the stable weight a scan would take.

    ``stable_g`` is set only when the latest stable reading is fresh (weight_max_age_s)
    and is the latest reading at all: a parcel lifted off since then voids it.
    """
    name = scale_name()
    row = context.store().device(name) if name else None
    if row is None:
        return {"name": name, "connected": False, "weight_g": None, "stable_g": None}
    age = _age_s(row["stable_at"])
    fresh = age is not None and age <= context.config().web.weight_max_age_s
    latest = row["stable_at"] is not None and row["stable_at"] == row["weight_at"]
    connected = row["state"] == "connected"
    stable = connected and fresh and latest and (row["stable_g"] or 0) > 0
    return {
        "name": name,
        "connected": connected,
        "weight_g": row["weight_g"] if connected else None,
        "stable_g": row["stable_g"] if stable else None,
    }
