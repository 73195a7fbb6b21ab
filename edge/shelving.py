"""Where a received parcel goes: the sorting rules, shelf capacity and the pickup code.
Pure: the store answers how full a slot is through a callback."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from edge.config import Config


def slot_label(shelf_id: str, layer: int) -> str:
    """A shelf layer as written on scans and labels: "3-2"."""
    return f"{shelf_id}-{layer}"


def candidate_slots(config: Config, carrier: str | None, weight_g: int | None) -> list[list[str]]:
    """Slot groups of the matching rules, first rule first. A rule with a minimum
    weight does not match a parcel of unknown weight."""
    groups = []
    for rule in config.sorting:
        if rule.carriers and carrier not in rule.carriers:
            continue
        if rule.min_weight_g and (weight_g is None or weight_g < rule.min_weight_g):
            continue
        if rule.max_weight_g and weight_g is not None and weight_g > rule.max_weight_g:
            continue
        group = []
        for shelf_id in rule.shelves:
            shelf = config.shelf(shelf_id)
            if shelf:
                group += [slot_label(shelf.id, layer) for layer in range(1, shelf.layers + 1)]
        if group:
            groups.append(group)
    return groups


def choose_slot(
    config: Config,
    carrier: str | None,
    weight_g: int | None,
    load: Callable[[str], int],
    together: str | None = None,
) -> str | None:
    """The slot for a parcel: beside the same recipient's parcels when that slot has room
    (and the rules allow it), else the least loaded slot of the first rule with room."""

    def room(slot: str) -> bool:
        shelf = config.shelf(slot.rsplit("-", 1)[0])
        return shelf is not None and load(slot) < shelf.capacity

    groups = candidate_slots(config, carrier, weight_g)
    if together and any(together in g for g in groups) and room(together):
        return together
    for group in groups:
        loads = [(load(slot), i, slot) for i, slot in enumerate(group)]
        free = [(n, i, slot) for n, i, slot in loads if room(slot)]
        if free:
            return min(free)[2]
    return None


def format_pickup_code(fmt: str, slot: str, day: date, seq: int) -> str:
    shelf_id, layer = slot.rsplit("-", 1)
    return fmt.format(
        shelf=shelf_id,
        layer=int(layer),
        weekday=day.isoweekday(),
        day=day.day,
        month=day.month,
        seq=seq,
    )
