"""Where a received parcel goes: the sorting rules, shelf capacity and the pickup code.
Pure: the store says how full each slot is."""

from __future__ import annotations

from datetime import date
from functools import cache

from edge.config import Config


def slot_label(shelf_id: str, layer: int) -> str:
    """A shelf layer as written on scans and labels: "3-2"."""
    return f"{shelf_id}-{layer}"


class Shelving:
    """The sorting rules of one config, with each rule's slots worked out once."""

    def __init__(self, config: Config) -> None:
        self.rules = config.sorting
        self.rule_slots: list[tuple[str, ...]] = []
        for rule in config.sorting:
            slots = []
            for shelf_id in rule.shelves:
                shelf = config.shelf(shelf_id)
                if shelf:
                    slots += [slot_label(shelf.id, layer) for layer in range(1, shelf.layers + 1)]
            self.rule_slots.append(tuple(slots))
        self.capacity = {
            slot_label(s.id, layer): s.capacity
            for s in config.shelves
            for layer in range(1, s.layers + 1)
        }
        self._groups = cache(self._groups_for)

    def matching_rules(self, carrier: str | None, weight_g: int | None) -> tuple[int, ...]:
        """Indexes of the rules that apply. A rule with a minimum weight does not match a
        parcel of unknown weight."""
        matched = []
        for i, rule in enumerate(self.rules):
            if rule.carriers and carrier not in rule.carriers:
                continue
            if rule.min_weight_g and (weight_g is None or weight_g < rule.min_weight_g):
                continue
            if rule.max_weight_g and weight_g is not None and weight_g > rule.max_weight_g:
                continue
            matched.append(i)
        return tuple(matched)

    def _groups_for(self, rules: tuple[int, ...]) -> list[tuple[str, ...]]:
        return [self.rule_slots[i] for i in rules if self.rule_slots[i]]

    def choose(
        self,
        carrier: str | None,
        weight_g: int | None,
        loads: dict[str, int],
        together: str | None = None,
    ) -> str | None:
        """The slot for a parcel: beside the same recipient's parcels when that slot has
        room and the rules allow it, else the emptiest slot of the first rule with room
        (on a tie, the rule's order)."""
        groups = self._groups(self.matching_rules(carrier, weight_g))

        capacity = self.capacity
        has_room = together is not None and capacity.get(together, 0) > loads.get(together, 0)
        if has_room and any(together in g for g in groups):
            return together
        for group in groups:
            best, room = None, 0
            for slot in group:
                n = capacity[slot] - loads.get(slot, 0)
                if n > room:
                    best, room = slot, n
            if best:
                return best
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
