"""Shelves changed from the page without a restart: a running station (another process's
Station over the same database) sorts by the new layout at its next receive; a layer with
parcels cannot shrink below its load; a parcel moves keeping its pickup code."""

from __future__ import annotations

from edge import config as config_mod
from edge.desk import layout
from edge.station import ScanRequest
from tests.desk_fixtures import Client
from tests.desk_fixtures import post_code as post
from tests.web_fixtures import (  # noqa: F401 (fixtures)
    ZTO,
    Env,
    app_fixture,
    clerk_fixture,
    supervisor_fixture,
    web_env_fixture,
)


def test_new_shelves_join_the_catch_all_rule_and_layers_keep_their_own_capacity() -> None:
    config = config_mod.parse(
        '[[shelves]]\nid = "1"\nlayers = 2\ncapacity = 5\n'
        '[[sorting]]\nshelves = ["1"]\ncarriers = ["sf"]\n[[sorting]]\nshelves = ["1"]\n',
        "t.toml",
    )
    shelves = [{"shelf": "7", "layers": 1, "capacity": 3}, {"shelf": "1", "layers": 3,
               "capacity": 5}]  # fmt: skip
    layers = [{"slot": "1-1", "capacity": 2, "out_of_use": 0},
              {"slot": "1-2", "capacity": None, "out_of_use": 1}]  # fmt: skip
    effective = layout.effective_config(config, shelves)
    assert [r.shelves for r in effective.sorting] == [["1"], ["1", "7"]]
    sorting = layout.build(config, shelves, layers)
    assert sorting.capacity == {"1-1": 2, "1-2": 0, "1-3": 5, "7-1": 3}
    current = layout.layers(effective, layers)
    fewer = layout.layers(layout.effective_config(config, [shelves[0]]), layers)
    assert layout.shrink_problem(current, fewer, {"1-3": 1}) == "1-3"
    assert layout.shrink_problem(current, fewer, {"1-1": 1}) is None


def test_layout_changes_reach_a_running_station(supervisor: Client, web_env: Env) -> None:
    c, _ = supervisor
    first = web_env.receive(ZTO[0])
    assert first["shelf"] in ("1-1", "1-2", "2-1", "2-2")
    # Every layer of shelves 1 and 2 out of use; a new shelf 3 takes the next parcel.
    for slot in ("1-1", "1-2", "2-1", "2-2"):
        assert post(supervisor, "/shelves/layer", slot=slot, out_of_use="1") == 302
    assert post(supervisor, "/shelves", shelf="3", layers="2", capacity="10") == 302
    # web_env.station was built before the change, as a scanner process would be.
    assert web_env.receive(ZTO[1])["shelf"].startswith("3-")
    page = c.get("/shelves").get_data(as_text=True)
    assert 'data-slot="3-2"' in page and "停用" in page
    actions = [r["action"] for r in web_env.store.admin_audit(action="layer.")]
    assert len(actions) == 4


def test_a_layer_cannot_shrink_below_its_load(
    supervisor: Client, clerk: Client, web_env: Env
) -> None:
    slot = web_env.receive(ZTO[0])["shelf"]
    web_env.receive(ZTO[1])
    load = web_env.store.slot_loads()[slot]
    assert post(supervisor, "/shelves/layer", slot=slot, capacity=str(load - 1)) == 409
    assert post(supervisor, "/shelves/layer", slot=slot, capacity=str(load)) == 302
    shelf_id = slot.split("-")[0]
    layers = int(slot.split("-")[1])
    if layers > 1:
        assert post(supervisor, "/shelves", shelf=shelf_id, layers=str(layers - 1),
                    capacity="20") == 409  # fmt: skip
    assert post(supervisor, "/shelves", shelf=shelf_id, layers="2", capacity="0") == 400
    assert post(supervisor, "/shelves", shelf="a-b", layers="2", capacity="5") == 400
    assert post(supervisor, "/shelves/layer", slot="9-9", capacity="5") == 404
    assert post(clerk, "/shelves", shelf="5", layers="2", capacity="5") == 403


def test_move_keeps_the_pickup_code_unless_asked(clerk: Client, web_env: Env) -> None:
    parcel = web_env.receive(ZTO[0])
    target = "2-2" if parcel["shelf"] != "2-2" else "1-1"
    assert post(clerk, "/move", code=parcel["pickup_code"], slot=target) == 302
    moved = web_env.store.parcel(ZTO[0])
    assert (moved["shelf"], moved["pickup_code"]) == (target, parcel["pickup_code"])
    assert web_env.store.slot_loads()[target] == 1
    assert web_env.store.slot_loads().get(parcel["shelf"], 0) == 0
    back = parcel["shelf"]
    assert post(clerk, "/move", code=ZTO[0], slot=back, new_code="1") == 302
    again = web_env.store.parcel(ZTO[0])
    assert again["shelf"] == back and again["pickup_code"] != parcel["pickup_code"]
    assert again["pickup_code"].startswith(back + "-")
    assert post(clerk, "/move", code="nothing", slot=back) == 400
    assert post(clerk, "/move", code=ZTO[0], slot="8-8") == 400
    (row,) = web_env.store.admin_audit(action="parcel.move", limit=1)
    assert row["subject"] == ZTO[0]


def test_a_move_survives_an_undo_of_a_later_scan(clerk: Client, web_env: Env) -> None:
    parcel = web_env.receive(ZTO[0])
    target = "2-2" if parcel["shelf"] != "2-2" else "1-1"
    assert post(clerk, "/move", code=ZTO[0], slot=target) == 302
    web_env.clock.advance(3)
    stocktake = web_env.station.scan(ScanRequest(type="stocktake", code=ZTO[0], device="gun-1"))
    problem = web_env.station.scan(
        ScanRequest(type="problem", code=ZTO[0], device="gun-1", reason="other")
    )
    assert stocktake.seq and problem.seq
    web_env.station.undo(problem.seq, "s1", "wrong parcel")
    kept = web_env.store.parcel(ZTO[0])
    assert (kept["shelf"], kept["pickup_code"]) == (target, parcel["pickup_code"])
    assert web_env.store.slot_loads()[target] == 1
