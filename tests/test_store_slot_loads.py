"""Slot loads kept in memory by the writer always equal a count of the parcels on the
shelves, whoever wrote last: this connection, another process, or a rolled-back
transaction."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from edge.store import Store


def parcel(waybill: str, state: str, shelf: str | None) -> dict[str, object]:
    return {
        "waybill": waybill, "carrier": None, "state": state, "shelf": shelf,
        "pickup_code": None, "phone_last4": None, "recipient_masked": None,
        "declared_weight_g": None, "weight_g": None, "valuable": 0, "problem_code": None,
        "dispatch_reason": None, "received_at": None, "received_seq": None,
        "updated_at": "2026-11-28T09:00:00+08:00", "last_seq": None,
    }  # fmt: skip


def table(store: Store) -> dict[str, int]:
    rows = store.all(
        "SELECT shelf, COUNT(*) FROM parcels WHERE state = 'on_shelf' AND shelf IS NOT NULL"
        " GROUP BY shelf"
    )
    return {r[0]: r[1] for r in rows}


def cached(store: Store) -> dict[str, int]:
    with store.transaction():
        return {k: v for k, v in store.slot_loads().items() if v}


def test_cached_loads_follow_every_writer(tmp_path: Path) -> None:
    db = tmp_path / "station.db"
    mine, other = Store(db, create=True), Store(db)
    rng = random.Random(7)
    slots = ["1-1", "1-2", "2-1", None]
    for step in range(300):
        writer = mine if rng.random() < 0.7 else other
        waybill = f"W{rng.randrange(40)}"
        state = rng.choice(["on_shelf", "on_shelf", "signed", "dispatched"])
        with writer.transaction():
            writer.slot_loads()  # as a receive does, so the cache is live while writing
            if rng.random() < 0.1:
                writer.delete_parcel(waybill)
            else:
                writer.save_parcel(parcel(waybill, state, rng.choice(slots)))
        if step % 7 == 0:
            with pytest.raises(RuntimeError), mine.transaction():
                mine.slot_loads()
                mine.save_parcel(parcel("ROLLED-BACK", "on_shelf", "1-1"))
                raise RuntimeError("refused after the write")
        assert cached(mine) == table(mine), step
    mine.close()
    other.close()
