"""A parcel received without the recipient's consent, as the receive desk and the sorting
screen show it: amber, with the courier to call. Flask's test client over a real store."""

from __future__ import annotations

import json

from tests.desk_fixtures import Client
from tests.web_fixtures import (  # noqa: F401 (fixtures)
    ZTO,
    Env,
    app_fixture,
    clerk_fixture,
    web_env_fixture,
)
from web.sorting import events


def test_the_receive_desk_and_the_sorting_screen_show_it_amber(clerk: Client, web_env: Env) -> None:
    web_env.store.upsert_manifest([{"waybill": ZTO[7], "consent": "no"}])
    c, token = clerk
    answer = c.post("/api/receive", data={"csrf_token": token, "code": ZTO[7]}).get_json()
    assert (answer["status"], answer["tone"]) == ("accepted", "warn")
    assert "收件人未同意放驿站" in answer["warnings"]
    assert "请联系快递员" in answer["message"]
    web_env.receive(ZTO[8])  # a parcel without a manifest row stays green
    feed = [
        json.loads(line.removeprefix("data: "))
        for line in events(web_env.store.web_reads_after(0, 10), "en").splitlines()
        if line.startswith("data: ")
    ]
    shown = {card["waybill"]: card for card in feed}
    assert shown[ZTO[7]]["tone"] == "warn" and "call the courier" in shown[ZTO[7]]["message"]
    assert shown[ZTO[7]]["warnings"] == ["recipient did not agree to a station"]
    assert shown[ZTO[8]]["tone"] == "ok"
