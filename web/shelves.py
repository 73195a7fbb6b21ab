"""The shelves from the page: a map of every layer's load, shelves and layers changed by
a supervisor without a restart, and a parcel moved to another layer (移库)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from edge.config import Shelf
from edge.desk import layout
from web import context
from web.auth import supervisor_only
from web.context import PageError, bad

bp = Blueprint("shelves", __name__)


def _layers(shelf_rows: list[Any], layer_rows: list[Any]) -> list[layout.Layer]:
    return layout.layers(layout.effective_config(context.config(), shelf_rows), layer_rows)


@bp.get("/shelves")
def index() -> str:
    store = context.store()
    config = layout.effective_config(context.config(), store.layout_shelves())
    loads = store.slot_loads()
    by_shelf: dict[str, list[dict[str, Any]]] = {s.id: [] for s in config.shelves}
    for layer in layout.layers(config, store.layout_layers()):
        shelf_id = layer.slot.rsplit("-", 1)[0]
        by_shelf[shelf_id].append({"layer": layer, "load": loads.get(layer.slot, 0)})
    moved = store.parcel(request.args.get("moved") or "")
    return render_template("shelves.html", shelves=config.shelves, by_shelf=by_shelf, moved=moved)


def _int(field: str, low: int, high: int) -> int:
    try:
        value = int(request.form.get(field) or "")
    except ValueError:
        raise bad("shelf.err_number", low=low, high=high) from None
    if not low <= value <= high:
        raise bad("shelf.err_number", low=low, high=high)
    return value


def _refuse_shrink(shelf_rows: list[Any], layer_rows: list[Any]) -> None:
    """No layer may end up holding more parcels than it is allowed (checked inside the
    write's transaction, so a receive cannot slip in between)."""
    store = context.store()
    loads = store.slot_loads()
    current = _layers(list(store.layout_shelves()), list(store.layout_layers()))
    slot = layout.shrink_problem(current, _layers(shelf_rows, layer_rows), loads)
    if slot:
        raise PageError(409, "shelf.err_shrink", slot=slot, n=loads[slot])


@bp.post("/shelves")
@supervisor_only
def save_shelf() -> Response:
    shelf_id = (request.form.get("shelf") or "").strip()
    shelf = Shelf(id=shelf_id, layers=_int("layers", 1, 20), capacity=_int("capacity", 1, 9999))
    if shelf.check():
        raise bad("shelf.err_id")
    store = context.store()
    with store.transaction():
        rows = [dict(r) for r in store.layout_shelves() if r["shelf"] != shelf_id]
        rows.append({"shelf": shelf_id, "layers": shelf.layers, "capacity": shelf.capacity})
        _refuse_shrink(rows, list(store.layout_layers()))
        store.layout_save_shelf(shelf_id, shelf.layers, shelf.capacity, context.operator_id(),
                                context.now_iso())  # fmt: skip
    return redirect(url_for("shelves.index"))


@bp.post("/shelves/layer")
@supervisor_only
def save_layer() -> Response:
    slot = (request.form.get("slot") or "").strip()
    store = context.store()
    with store.transaction():
        known = {layer.slot for layer in _layers(list(store.layout_shelves()), [])}
        if slot not in known:
            raise PageError(404, "err.not_found")
        capacity = _int("capacity", 0, 9999) if request.form.get("capacity") else None
        out_of_use = request.form.get("out_of_use") == "1"
        rows = [dict(r) for r in store.layout_layers() if r["slot"] != slot]
        rows.append({"slot": slot, "capacity": capacity, "out_of_use": int(out_of_use)})
        _refuse_shrink(list(store.layout_shelves()), rows)
        store.layout_save_layer(slot, capacity, out_of_use, context.operator_id(),
                                context.now_iso())  # fmt: skip
    return redirect(url_for("shelves.index"))


@bp.post("/move")
def move() -> Response:
    """移库: the parcel (by waybill or pickup code) goes to another layer in use with
    room; its pickup code stays unless a new one is asked for."""
    code = (request.form.get("code") or "").strip()
    to_slot = (request.form.get("slot") or "").strip()
    store = context.store()
    with store.transaction():
        found = [p for p in store.find_parcels(code) if p["state"] == "on_shelf"]
        if len(found) != 1:
            raise bad("shelf.err_parcel")
        parcel = found[0]
        current = _layers(list(store.layout_shelves()), list(store.layout_layers()))
        layers = {layer.slot: layer for layer in current}
        target = layers.get(to_slot)
        if target is None or not target.in_use:
            raise bad("shelf.err_slot")
        if to_slot != parcel["shelf"] and store.slot_loads().get(to_slot, 0) >= target.capacity:
            raise PageError(409, "shelf.err_full", slot=to_slot)
        new_code = None
        if request.form.get("new_code") == "1":
            new_code = context.station().pickup_code_for(to_slot, context.now().date())
            if new_code is None:
                raise PageError(409, "shelf.err_no_code")
        store.parcel_move(parcel["waybill"], to_slot, new_code, context.operator_id(),
                          context.now_iso())  # fmt: skip
    return redirect(url_for("shelves.index", moved=parcel["waybill"]))
