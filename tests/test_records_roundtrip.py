"""The station's other records reach a real head office on 127.0.0.1 exactly once, a
changed record goes again as a new version, and head office's answers come back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests

from edge.cli import main
from sync.contract import RECORD_KINDS
from tests.records_fixtures import AT, ZTO, Made, every_record, held, ho_rows
from tests.sync_fixtures import (  # noqa: F401
    STATION,
    Env,
    config_text,
    env_fixture,
    receiver_fixture,
)


def made(env: Env) -> Made:
    out = env.scan("problem", ZTO[5], reason="damaged")
    return every_record(env.store, env.tmp, out.seq)


def test_every_kind_reaches_head_office_once(env: Env) -> None:
    m = made(env)
    up = env.uploader()
    assert up.turn().state == "sent"
    records = held(env.receiver)
    assert sorted(r["kind"] for r in records) == sorted(RECORD_KINDS)
    assert {r["kind"]: r["id"] for r in records} == m.ids
    assert all(n == 0 for n in env.store.outbox_counts().values())
    # Nothing is sent twice, and the photos records name are at head office.
    up.turn()
    assert len(held(env.receiver)) == len(RECORD_KINDS)
    photos = {r["sha256"] for r in ho_rows(env.receiver, "SELECT sha256 FROM photos")}
    by_kind = {r["kind"]: r["body"] for r in records}
    assert m.signature in photos and set(by_kind["ticket"]["photos"]) <= photos
    assert by_kind["handover"]["signature"] == m.signature
    # No whole number ever leaves the station; names go masked.
    assert by_kind["resolution"]["note"] == "paid; rang 138****5678"
    assert (by_kind["sending"]["sender_name"], by_kind["sending"]["receiver_name"]) == (
        "王**",
        "李*",
    )
    assert by_kind["ticket"]["events"][0]["action"] == "open"
    assert by_kind["dispatch_batch"]["items"][0]["waybill"] == ZTO[0]
    assert "13812345678" not in json.dumps(records, ensure_ascii=False)
    up.close()


def test_a_changed_record_goes_again_as_a_new_version(env: Env) -> None:
    made(env)
    up = env.uploader()
    up.turn()
    tid = int(env.store.all("SELECT id FROM tickets")[0][0])
    env.clock.advance(60)
    assert env.store.service_ticket_update(
        tid, "open", {"state": "answered", "answered_at": AT.isoformat()}, ["answered"],
        "2026-11-23T09:05:00+08:00", "c1", "已联系快递员",
    )  # fmt: skip
    assert env.store.outbox_counts()["ticket"] == 1
    up.turn()
    tickets = [r for r in held(env.receiver) if r["kind"] == "ticket"]
    assert [t["body"]["state"] for t in tickets] == ["open", "answered"]
    assert len({t["version"] for t in tickets}) == 2
    assert env.store.outbox_counts()["ticket"] == 0
    up.close()


def test_query_api_pages_records_by_kind(env: Env) -> None:
    made(env)
    env.uploader().turn()
    url = f"{env.receiver.url}/v1/stations/{STATION}/records"
    auth = {"Authorization": f"Bearer {env.receiver.query_token()}"}
    got = requests.get(url, params={"kind": "ticket"}, headers=auth, timeout=5).json()
    assert [r["kind"] for r in got["records"]] == ["ticket"]
    page = requests.get(url, params={"after": got["next"]}, headers=auth, timeout=5).json()
    assert all(int(r["cursor"]) > int(got["next"]) for r in page["records"])
    assert requests.get(url, params={"after": "x"}, headers=auth, timeout=5).status_code == 400
    other = requests.get(
        f"{env.receiver.url}/v1/stations/XX-1/records",
        headers={"Authorization": f"Bearer {env.receiver.token}"},
        timeout=5,
    )
    assert other.status_code == 403


def head_office(env: Env, *words: str) -> dict[str, Any]:
    """Run `station head-office …` as head office would, in its own process."""
    where = ["--data", str(env.receiver.data_dir)]
    if db := getattr(env.receiver, "db_url", None):  # head office on PostgreSQL
        where += ["--db", db]
    done = subprocess.run(
        [sys.executable, "-m", "edge.cli", "head-office", *words, *where],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_head_offices_answers_come_back(env: Env) -> None:
    m = made(env)
    up = env.uploader(manifest_interval_s=0.01)
    up.turn()
    tid, rbid = m.ids["ticket"], m.ids["receipt_batch"]
    head_office(env, "ticket-answer", STATION, tid, "--text", "已赔付，请回电")
    head_office(env, "receipt-confirm", STATION, rbid, "--by", "hq-7")
    head_office(env, "sign-record", STATION, ZTO[2], "--at", "2026-11-24T10:00:00+08:00")
    head_office(env, "sign-record", "OTHER-1", ZTO[2])  # another station's: never seen here
    env.store.outbox_set_state(updates_next_at=None)
    up.turn()
    ticket = env.store.service_ticket(int(tid))
    assert ticket is not None and ticket["state"] == "answered"
    last = env.store.service_ticket_events(int(tid))[-1]
    assert (last["operator"], last["words"]) == ("head-office", "已赔付，请回电")
    batch = env.store.one("SELECT * FROM receipt_batches WHERE id = ?", (int(rbid),))
    assert batch is not None and batch["state"] == "confirmed"
    sending = env.store.service_sending(ZTO[2])
    assert sending is not None
    assert (sending["state"], sending["signed_at"]) == ("signed", "2026-11-24T10:00:00+08:00")
    assert env.store.outbox_state()["updates_cursor"] == "3"
    # The changes go back up as new versions at once or on the next turn.
    up.turn()
    kinds = [r["kind"] for r in held(env.receiver)]
    assert kinds.count("ticket") == 2 and kinds.count("sending") == 2
    assert kinds.count("receipt_batch") == 2 and kinds.count("receipt") == 2
    # Pulled again: nothing new, nothing applied twice.
    env.store.outbox_set_state(updates_next_at=None)
    up.turn()
    assert len(env.store.service_ticket_events(int(tid))) == 2
    up.close()


def test_head_office_cli_refuses_a_bad_update(env: Env, capsys: Any) -> None:
    data = str(env.receiver.data_dir)
    base = ["head-office"]
    assert main([*base, "ticket-answer", STATION, "abc", "--text", "x", "--data", data]) == 2
    assert "ref" in capsys.readouterr().err
    assert main([*base, "sign-record", STATION, ZTO[1], "--at", "yesterday", "--data", data]) == 2
    assert main([*base, "ticket-answer", STATION, "1", "--text", "打 13812345678",
                 "--data", data]) == 2  # fmt: skip
    assert "whole phone" in capsys.readouterr().err


def station_toml(env: Env) -> Path:
    config = env.tmp / "station.toml"
    config.write_text(config_text(env.config()), encoding="utf-8")
    return config


def test_sync_status_shows_the_records(env: Env, capsys: Any) -> None:
    made(env)
    args = ["--config", str(station_toml(env)), "--data", str(env.tmp)]
    assert main([*args, "sync", "status"]) == 0
    out = capsys.readouterr().out
    assert "records waiting:  handover 1, dispatch_batch 1" in out
    assert main([*args, "sync", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["records"]["pending"]["ticket"] == 1


def test_a_record_breaking_the_contract_never_leaves_the_station(env: Env) -> None:
    made(env)
    with env.store.transaction():  # as if a bug had stored a whole name and number
        env.store.conn.execute(
            "UPDATE sendings SET sender_name = '王小明', province = '13812345678'"
        )
    env.uploader().turn()
    assert "sending" not in {r["kind"] for r in held(env.receiver)}
    (aside,) = env.store.outbox_rejected()
    assert aside["kind"] == "sending" and aside["reason"].startswith("not sent: body.")
    assert env.store.outbox_counts()["sending"] == 0
    # Once fixed, a person sends it again.
    with env.store.transaction():
        env.store.conn.execute("UPDATE sendings SET sender_name = '王**', province = '广东'")
    args = ["--config", str(station_toml(env)), "--data", str(env.tmp), "sync"]
    assert main([*args, "retry-record", "sending", aside["id"]]) == 0
    assert main([*args, "retry-record", "sending", aside["id"]]) == 1
    env.uploader().turn()
    assert "sending" in {r["kind"] for r in held(env.receiver)}
    assert env.store.outbox_rejected() == []


def test_a_refused_version_is_forgotten_once_a_newer_one_is_held(env: Env) -> None:
    made(env)
    with env.store.transaction():
        env.store.conn.execute("UPDATE sendings SET sender_name = '王小明'")
    env.uploader().turn()
    assert len(env.store.outbox_rejected()) == 1
    # Set aside at the station, nothing left to post: not an empty request, not a failure.
    assert not env.store.outbox_state()["attempts"]
    # The clerk corrects the sending on the page: a new version, which head office takes.
    with env.store.transaction():
        env.store.conn.execute(
            "UPDATE sendings SET sender_name = '王**', updated_at = '2099-01-01T00:00:00+08:00'"
        )
    env.uploader().turn()
    assert "sending" in {r["kind"] for r in held(env.receiver)}
    assert env.store.outbox_rejected() == []  # nothing left to look at, nothing growing
