"""The shelves in force: the config file's shelves, changed from the page.

Changes live in the store, with the config file as the seed, rather than in a rewritten
file. Scanner, page and CLI are separate processes that each read the config once; the
database is the one thing they already share, so a change made on the page reaches the
scanner at its next receive (it checks a version number) with no restart, no reload
signal and no TOML round-trip. It is audited and backed up with everything else. The
file stays the station's starting layout; `station config show` still shows it.

Pure: rows in, ``Shelving`` out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from edge.config import Config, Shelf
from edge.rules import Parcel
from edge.shelving import Shelving, slot_label


@dataclasses.dataclass(frozen=True)
class Layer:
    slot: str
    capacity: int
    in_use: bool


def effective_config(config: Config, shelves: Iterable[Any]) -> Config:
    """The config with each stored shelf replacing the file's one of the same id; shelves
    added on the page join the catch-all sorting rule (no carriers, no weight limits)."""
    stored = {row["shelf"]: row for row in shelves}
    merged = [
        Shelf(id=s.id, layers=stored[s.id]["layers"], capacity=stored[s.id]["capacity"])
        if s.id in stored
        else s
        for s in config.shelves
    ]
    known = {s.id for s in config.shelves}
    added = [
        Shelf(id=row["shelf"], layers=row["layers"], capacity=row["capacity"])
        for row in stored.values()
        if row["shelf"] not in known
    ]
    rules = list(config.sorting)
    if added:
        for i in range(len(rules) - 1, -1, -1):
            rule = rules[i]
            if not rule.carriers and not rule.min_weight_g and not rule.max_weight_g:
                ids = [*rule.shelves, *(s.id for s in added if s.id not in rule.shelves)]
                rules[i] = dataclasses.replace(rule, shelves=ids)
                break
    return dataclasses.replace(config, shelves=merged + added, sorting=rules)


def layers(config: Config, layer_rows: Iterable[Any]) -> list[Layer]:
    """Every layer of the effective shelves with its own capacity and use."""
    settings = {row["slot"]: row for row in layer_rows}
    out = []
    for shelf in config.shelves:
        for n in range(1, shelf.layers + 1):
            slot = slot_label(shelf.id, n)
            row = settings.get(slot)
            capacity = row["capacity"] if row and row["capacity"] is not None else shelf.capacity
            out.append(Layer(slot, capacity, not (row and row["out_of_use"])))
    return out


def build(config: Config, shelf_rows: Iterable[Any],
          layer_rows: Iterable[Any]) -> Shelving:  # fmt: skip
    """Sorting over the shelves in force; a layer out of use takes no new parcels."""
    effective = effective_config(config, shelf_rows)
    shelving = Shelving(effective)
    for layer in layers(effective, layer_rows):
        shelving.capacity[layer.slot] = layer.capacity if layer.in_use else 0
    return shelving


def shrink_problem(
    current: list[Layer], proposed: list[Layer], loads: Mapping[str, int]
) -> str | None:
    """The slot a change would leave holding more parcels than it may: a removed layer
    with parcels, or a capacity below the load. None when the change is safe."""
    kept = {layer.slot: layer for layer in proposed}
    for layer in current:
        load = loads.get(layer.slot, 0)
        if load and (layer.slot not in kept or kept[layer.slot].capacity < load):
            return layer.slot
    return None


def keep_move(parcel: Parcel | None, move: Any) -> Parcel | None:
    """A parcel rebuilt from its scans (UNDO), put back where it was last moved to when
    that move belongs to its current stay: made after the receive it still has."""
    if parcel is None or move is None or parcel.state != "on_shelf":
        return parcel
    if parcel.received_seq is None or move["after_seq"] is None:
        return parcel
    if parcel.received_seq > move["after_seq"]:
        return parcel
    parcel.shelf = move["to_slot"]
    parcel.pickup_code = move["new_code"] or parcel.pickup_code
    return parcel
