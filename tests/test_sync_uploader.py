"""The uploader against the real receiver (directly or through the fault proxy): the JSON it
builds, batching, per-item results, whole-batch refusals, retry state kept in SQLite,
credentials, photos, manifest and clock correction."""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from datetime import datetime, timedelta
from email.utils import formatdate
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from edge.store import Store
from sync.client import Reply, retry_after_s
from sync.faultproxy import FaultPlan, FaultProxy
from sync.headoffice.manifest_csv import parse_manifest_csv
from sync.station.common import backoff_s
from sync.token import TokenFileError, read_token
from tests.conftest import ManualClock
from tests.sync_fixtures import (  # noqa: F401
    STATION,
    Env,
    bulk_scans,
    env_fixture,
    jpeg,
    receiver_fixture,
    write_token,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CONTRACT_KEYS = {
    "event_id", "seq", "type", "waybill", "carrier", "scanned_at", "clock", "device",
    "operator", "weight_g", "shelf", "pickup_code", "phone_last4", "dispatch_reason",
    "problem_code", "signer", "photos", "note",
}  # fmt: skip


def add_photo(env: Env, data: bytes, name: str = "p.jpg") -> str:
    sha = hashlib.sha256(data).hexdigest()
    folder = env.tmp / "photos"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(data)
    with env.store.transaction() as conn:
        conn.execute(
            "INSERT INTO photos (sha256, path, size, created_at) VALUES (?, ?, ?, ?)",
            (sha, f"photos/{name}", len(data), "2026-11-22T09:00:00+08:00"),
        )
    return sha


# -- what is sent -------------------------------------------------------------------------
def test_scans_go_as_the_contract_says(env: Env) -> None:
    received = env.scan("receive", "SF1234567890123", weight_g=1250, phone_last4="5678")
    signed = env.scan("sign", "SF1234567890123", signer_relation="proxy", signer_id_last4="1234")
    photo = add_photo(env, jpeg("a damaged box"))
    problem = env.scan("problem", "YT1234567890123", reason="damaged", photos=(photo,))
    result = env.uploader().turn()
    assert (result.state, result.accepted, result.rejected) == ("sent", 3, 0)
    held = env.held()
    assert list(held) == [received.event_id, signed.event_id, problem.event_id]

    sent = env.held()
    first = sent[received.event_id]
    assert (first["seq"], first["type"], first["waybill"], first["carrier"]) == (
        received.seq,
        "receive",
        "SF1234567890123",
        "sf",
    )
    assert (first["weight_g"], first["phone_last4"], first["shelf"], first["pickup_code"]) == (
        1250,
        "5678",
        received.shelf,
        received.pickup_code,
    )
    assert first["clock_synced"] == 1 and first["clock_corrected"] == 0
    assert first["boot_id"] == "boot-a" and first["device"] == "gun-1"
    assert first["operator"] == "op-1"
    sign = sent[signed.event_id]
    assert (sign["signer_relation"], sign["signer_id_last4"]) == ("proxy", "1234")
    assert sent[problem.event_id]["photos"] == photo
    assert sent[problem.event_id]["problem_code"] == "damaged"
    assert set(env.states().values()) == {"sent"}


def test_scan_json_has_exactly_the_contract_fields(env: Env) -> None:
    from sync.station.scans import scan_json

    env.scan("receive", "SF1234567890123")
    row = env.store.unsent_scans(10)[0]
    item = scan_json(row, None, SHANGHAI)
    assert set(item) == CONTRACT_KEYS
    assert set(item["clock"]) == {"synced", "corrected", "boot_id", "mono_ns"}
    assert item["signer"] is None and item["photos"] == []


def test_undone_unsent_scans_are_withheld_not_sent(env: Env) -> None:
    kept = env.scan("receive", "SF1234567890123")
    undone = env.scan("receive", "SF1400000000001")
    out = env.station().undo(undone.seq or 0, "op-1", "wrong parcel")
    assert out.status == "accepted"
    assert env.states()[undone.event_id or ""] == "withheld"
    env.uploader().turn()
    assert list(env.held()) == [kept.event_id]
    assert env.states()[undone.event_id or ""] == "withheld"


def test_batches_respect_the_scan_and_byte_limits(env: Env) -> None:
    bulk_scans(env.store, 50)
    up = env.uploader(batch_max_scans=7)
    up.turn()
    assert up.http.wire.requests == 8  # ceil(50 / 7)
    bulk_scans(env.store, 50, prefix="b")
    up = env.uploader(batch_max_bytes=4096)
    up.turn()
    assert up.http.wire.requests >= 5  # about 450 bytes of JSON per scan
    assert len(env.held()) == 100


def test_per_item_rejections_are_set_aside_and_shown(env: Env) -> None:
    bulk_scans(env.store, 20, bad_every=7)
    result = env.uploader().turn()
    assert (result.accepted, result.rejected) == (18, 2)
    status = env.store.sync_status()
    assert (status["backlog"], status["sent"], status["rejected"]) == (0, 18, 2)
    rejected = env.store.rejected_scans()
    assert [r["reason"] for r in rejected] == ["waybill: expected 4 to 40 characters"] * 2
    # Never resent on its own...
    again = env.uploader().turn()
    assert again.state == "idle" and env.store.sync_status()["rejected"] == 2
    # ... only after `station sync retry`.
    assert env.store.retry_rejected_scan(rejected[0]["event_id"]) == "rejected"
    assert env.store.sync_status()["backlog"] == 1
    assert env.uploader().turn().rejected == 1
    assert env.store.retry_rejected_scan("no-such-event") == ""


# -- whole-batch answers ------------------------------------------------------------------
def test_a_whole_batch_refusal_is_bisected_to_the_culprit(env: Env) -> None:
    made = bulk_scans(env.store, 40)
    culprit = made[25][1]
    plan = FaultPlan(poison=culprit)
    with FaultProxy(env.receiver.url, plan) as proxy:
        result = env.uploader(proxy.url).turn()
    assert (result.accepted, result.rejected) == (39, 1)
    assert [r["event_id"] for r in env.store.rejected_scans()] == [culprit]
    assert env.store.rejected_scans()[0]["reason"].startswith("422:")
    assert proxy.counts["422"] <= 2 * 6  # a bisection, not one request per scan


def test_413_halves_the_batch_and_goes_on(env: Env) -> None:
    bulk_scans(env.store, 100)
    with FaultProxy(env.receiver.url, FaultPlan(max_batch=30)) as proxy:
        up = env.uploader(proxy.url)
        result = up.turn()
    assert result.accepted == 100 and up.batch_limit <= 30
    assert proxy.counts["413"] >= 1
    assert len(env.held()) == 100


def test_credentials_refused_stop_everything_until_the_token_is_fixed(env: Env) -> None:
    bulk_scans(env.store, 10)
    write_token(env.token_file, "w" * 43)
    up = env.uploader()
    result = up.turn()
    assert result.state == "blocked"
    status = env.store.sync_status()
    assert "refuses this station's credentials" in status["blocked_reason"]
    assert status["backlog"] == 10
    assert up.turn().state == "blocked"  # the same token is not tried again
    write_token(env.token_file, env.receiver.token)
    assert up.turn().accepted == 10
    assert env.store.sync_status()["blocked_reason"] is None


def test_the_token_never_reaches_a_log(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    bulk_scans(env.store, 5)
    with FaultProxy(env.receiver.url, FaultPlan()) as proxy:
        proxy.plan.queue("500", "reset-before", "401")
        up = env.uploader(proxy.url)
        up.turn()
        up.turn()
    assert caplog.records, "the failures were logged"
    assert env.receiver.token not in caplog.text
    assert env.receiver.token not in str(env.store.sync_status())
    assert env.receiver.token not in repr(up)  # not in a traceback's locals either


def test_token_file_open_to_others_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = write_token(tmp_path / "token", "s" * 43, mode=0o644)
    with pytest.raises(TokenFileError, match=r"chmod 600 .*token") as err:
        read_token(path)
    assert "s" * 43 not in str(err.value)
    path.chmod(0o600)
    assert read_token(path) == "s" * 43
    with pytest.raises(TokenFileError, match="does not exist"):
        read_token(tmp_path / "missing")


@pytest.mark.parametrize("fault", ["503", "429-date"])
def test_retry_after_is_honoured_and_survives_a_restart(env: Env, fault: str) -> None:
    bulk_scans(env.store, 5)
    now = [1_800_000_000.0]
    with FaultProxy(env.receiver.url, FaultPlan(retry_after_s=30)) as proxy:
        proxy.plan.queue(fault)
        up = env.uploader(proxy.url)
        up.now = lambda: now[0]
        assert up.turn().state == "waiting"
        due = env.store.sync_state()["next_attempt_at"]
        assert 29 <= due - now[0] <= 31
        # A new process (restart) keeps waiting.
        again = env.uploader(proxy.url)
        again.now = lambda: now[0] + 10
        assert again.turn().state == "waiting"
        again.now = lambda: now[0] + 31
        assert again.turn().accepted == 5
    assert env.store.sync_state()["next_attempt_at"] is None


def test_retry_after_parsing() -> None:
    date = formatdate(1_800_000_000, usegmt=True)
    later = formatdate(1_800_000_120, usegmt=True)
    assert retry_after_s(Reply(503, {"Retry-After": "7"}, b"")) == 7
    assert retry_after_s(Reply(429, {"Retry-After": later, "Date": date}, b"")) == 120
    assert retry_after_s(Reply(429, {"Retry-After": date, "Date": later}, b"")) == 0
    assert retry_after_s(Reply(503, {}, b"")) is None
    assert retry_after_s(Reply(503, {"Retry-After": "soon"}, b"")) is None


def test_server_errors_back_off_in_sqlite_and_never_give_up(env: Env) -> None:
    bulk_scans(env.store, 5)
    with FaultProxy(env.receiver.url, FaultPlan()) as proxy:
        proxy.plan.queue("500", "500")
        assert env.uploader(proxy.url).turn().accepted == 5  # retried within the turn
        bulk_scans(env.store, 5, prefix="x")
        proxy.plan.queue(*["500"] * 9)
        now = [1_800_000_000.0]
        up = env.uploader(proxy.url, backoff_initial_s=1.0, backoff_max_s=60.0)
        up.now = lambda: now[0]
        assert up.turn().state == "failed"
        first = env.store.sync_state()
        assert first["attempts"] == 3 and first["next_attempt_at"] > now[0]
        assert "500" in env.store.sync_status()["last_error"]
        restarted = env.uploader(proxy.url, backoff_initial_s=1.0, backoff_max_s=60.0)
        restarted.now = lambda: now[0] + 0.1
        assert restarted.turn().state == "waiting"
        restarted.now = lambda: now[0] + 1000
        assert restarted.turn().state == "failed"
        assert env.store.sync_state()["attempts"] == 6
        restarted.now = lambda: now[0] + 2000
        assert restarted.turn().state == "failed"
        restarted.now = lambda: now[0] + 3000
        assert restarted.turn().accepted == 5
    assert env.store.sync_state()["attempts"] == 0


def test_backoff_grows_with_jitter_up_to_the_cap() -> None:
    import random

    rng = random.Random(1)
    waits = [backoff_s(n, 2.0, 300.0, rng) for n in range(1, 15)]
    assert 1.0 <= waits[0] <= 2.0
    assert all(w <= 300.0 for w in waits)
    assert max(waits[-5:]) >= 150.0
    assert len({round(w, 3) for w in waits[-5:]}) == 5  # jittered, not lock-step


@pytest.mark.parametrize("fault", ["reset-after", "slow"])
def test_a_lost_answer_means_resend_and_head_office_holds_one(env: Env, fault: str) -> None:
    made = bulk_scans(env.store, 30)
    plan = FaultPlan(slow_s=2.5)
    with FaultProxy(env.receiver.url, plan) as proxy:
        plan.queue(fault)
        up = env.uploader(proxy.url, read_timeout_s=1.0)
        result = up.turn()
    assert proxy.counts[fault] == 1
    assert (result.accepted, result.duplicate) == (0, 30)  # committed the first time
    held = env.held()
    assert len(held) == 30 and list(held) == [e for _, e in made]


def test_reset_before_forwarding_is_retried(env: Env) -> None:
    bulk_scans(env.store, 30)
    with FaultProxy(env.receiver.url, FaultPlan()) as proxy:
        proxy.plan.queue("reset-before")
        result = env.uploader(proxy.url).turn()
    assert proxy.counts["reset-before"] == 1 and result.accepted == 30


def test_connection_refused_is_a_failure_kept_for_later(env: Env) -> None:
    bulk_scans(env.store, 3)
    result = env.uploader("http://127.0.0.1:9").turn()
    assert result.state == "failed"
    status = env.store.sync_status()
    assert status["backlog"] == 3 and status["failing"] and status["next_attempt_at"]


# -- photos -------------------------------------------------------------------------------
def test_photos_follow_their_scans(env: Env) -> None:
    good = add_photo(env, jpeg("photo one"), "one.jpg")
    corrupt = add_photo(env, jpeg("photo two"), "two.jpg")
    missing = add_photo(env, jpeg("photo three"), "three.jpg")
    (env.tmp / "photos" / "two.jpg").write_bytes(b"\xff\xd8 bit rot")
    (env.tmp / "photos" / "three.jpg").unlink()
    env.scan("problem", "SF1234567890123", reason="damaged", photos=(good, corrupt, missing))
    result = env.uploader().turn()
    assert result.accepted == 1 and result.photos == 3
    assert env.receiver.running.storage.has_photo(good, STATION)
    assert not env.receiver.running.storage.has_photo(corrupt, None)
    failed = {p["sha256"]: p["upload_error"] for p in env.store.failed_photos()}
    assert failed[corrupt].startswith("file corrupt")
    assert failed[missing].startswith("file missing")
    assert env.uploader().turn().photos == 0  # reported, not retried forever
    status = env.store.sync_status()
    assert (status["photos_waiting"], status["photos_failed"]) == (0, 2)


def test_a_photo_head_office_holds_is_not_sent_again(env: Env) -> None:
    data = jpeg("already there")
    sha = add_photo(env, data)
    env.receiver.running.storage.put_photo(sha, data, "2026-11-22T00:00:00Z", STATION)
    env.scan("problem", "SF1234567890123", reason="damaged", photos=(sha,))
    with FaultProxy(env.receiver.url, FaultPlan()) as proxy:
        env.uploader(proxy.url).turn()
    assert proxy.counts["passed"] == 2  # POST scans, HEAD photo: no PUT


def test_a_photo_never_delays_a_scan(env: Env) -> None:
    sha = add_photo(env, b"\xff\xd8 slow photo")
    env.scan("problem", "SF1234567890123", reason="damaged", photos=(sha,))
    with FaultProxy(
        env.receiver.url, FaultPlan(paths=("/v1/photos",), rate=1.0, kinds=("500",))
    ) as proxy:
        up = env.uploader(proxy.url, backoff_initial_s=60.0, backoff_max_s=60.0)
        assert up.turn().accepted == 1  # the scan went first
        env.scan("receive", "SF1400000000001")
        result = up.turn()  # photos keep failing: the next scan is not held up
    assert (result.state, result.accepted) == ("sent", 1)
    assert proxy.counts["passed"] == 2  # the two POSTs; the photo was tried only once
    status = env.store.sync_status()
    assert (status["sent"], status["photos_waiting"], status["failing"]) == (2, 1, False)


# -- manifest -----------------------------------------------------------------------------
def test_the_manifest_is_pulled_and_used_at_receive(env: Env) -> None:
    csv = (
        "station,waybill,carrier,phone_last4,recipient_masked,declared_weight_g\n"
        f"{STATION},SF1234567890123,sf,4321,王*,800\n"
        f"SZ-OTHER-1,SF1400000000001,sf,1111,李*,500\n"
    )
    env.receiver.running.storage.import_manifest(parse_manifest_csv(csv), "2026-11-22T00:00Z")
    env.uploader(manifest_interval_s=60.0).turn()
    rows = env.store.all("SELECT waybill, phone_last4, recipient_masked FROM manifest")
    assert [tuple(r) for r in rows] == [("SF1234567890123", "4321", "王*")]
    assert env.store.sync_state()["manifest_cursor"]
    out = env.scan("receive", "SF1234567890123")
    sent = env.store.one("SELECT phone_last4 FROM scans WHERE seq = ?", (out.seq,))
    assert sent is not None and sent["phone_last4"] == "4321"


# -- clock --------------------------------------------------------------------------------
def test_a_station_booted_at_1970_sends_corrected_times(env: Env) -> None:
    clock = env.clock
    clock.wall = datetime(1970, 1, 1, 8, 0, 5, tzinfo=SHANGHAI)
    clock.synced = False
    clock.boot_id = "boot-no-rtc"
    early = env.scan("receive", "SF1234567890123")  # at mono T, wall 1970
    mono_early = clock.mono_ns - 1_000_000_000
    up = env.uploader(hold_unsynced_s=600.0)
    assert up.turn().state == "held"  # waiting for the clock to sync
    assert env.held() == {}
    clock.advance(100)
    true_wall = datetime(2026, 11, 22, 9, 30, 0, tzinfo=SHANGHAI)
    clock.wall, clock.synced = true_wall, True
    result = up.turn()
    assert result.accepted == 1
    row = env.held()[early.event_id or ""]
    expected = true_wall - timedelta(seconds=(clock.mono_ns - mono_early) / 1e9)
    assert datetime.fromisoformat(row["scanned_at"]) == expected
    assert (row["clock_synced"], row["clock_corrected"]) == (0, 1)


def test_an_uncorrectable_scan_goes_unsynced_after_the_hold(env: Env) -> None:
    clock = env.clock
    clock.wall, clock.synced, clock.boot_id = datetime(1970, 1, 1, tzinfo=SHANGHAI), False, "old"
    env.scan("receive", "SF1234567890123")
    clock.boot_id = "new"  # rebooted before the clock ever synced in that boot
    clock.wall, clock.synced = datetime(2026, 11, 22, 9, 0, tzinfo=SHANGHAI), True
    up = env.uploader(hold_unsynced_s=600.0)
    assert up.turn().accepted == 1
    row = next(iter(env.held().values()))
    assert (row["clock_synced"], row["clock_corrected"]) == (0, 0)
    assert row["scanned_at"].startswith("1970-01-01")


def test_sync_points_are_kept_once_per_boot(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db", create=True) as store:
        assert store.record_clock_sync_point("b1", "2026-11-22T09:00:00+08:00", 5)
        assert not store.record_clock_sync_point("b1", "2026-11-22T10:00:00+08:00", 9)
        assert store.clock_sync_points(["b1", "b2"]) == {"b1": ("2026-11-22T09:00:00+08:00", 5)}


def test_status_reports_age_of_the_oldest_unsent(env: Env) -> None:
    clock = ManualClock(wall=datetime(2026, 11, 22, 9, 0, tzinfo=SHANGHAI))
    bulk_scans(env.store, 3, clock=clock)
    status = env.store.sync_status(now=datetime(2026, 11, 22, 10, 0, tzinfo=SHANGHAI))
    assert status["backlog"] == 3 and status["oldest_unsent_age_s"] == 3600.0
    assert status["last_success_at"] is None
    assert uuid.UUID(env.store.unsent_scans(1)[0]["event_id"])


def test_a_manifest_failure_does_not_hold_up_scans(env: Env) -> None:
    bulk_scans(env.store, 3)
    with FaultProxy(env.receiver.url, FaultPlan(paths=("/v1/stations/",))) as proxy:
        proxy.plan.queue("500")
        result = env.uploader(proxy.url, manifest_interval_s=3600.0).turn()
    assert (result.state, result.accepted) == ("sent", 3)
    state = env.store.sync_state()
    assert state["attempts"] == 0
    # Tried again within a minute, not after the hour.
    assert state["manifest_next_at"] - time.time() <= 60.0


def test_status_age_of_an_unsynced_scan_uses_the_corrected_time(env: Env) -> None:
    clock = ManualClock(
        wall=datetime(1970, 1, 1, 8, 0, tzinfo=SHANGHAI), synced=False, boot_id="boot-x"
    )
    bulk_scans(env.store, 1, clock=clock)
    later = datetime(2026, 11, 22, 9, 0, tzinfo=SHANGHAI)
    assert env.store.sync_status(now=later)["oldest_unsent_age_s"] is None  # unknowable yet
    # The clock synced 100 s (monotonic) after the scan, reading 09:00.
    env.store.record_clock_sync_point("boot-x", later.isoformat(), clock.mono_ns + 99_500_000_000)
    status = env.store.sync_status(now=later + timedelta(seconds=60))
    assert status["oldest_unsent_age_s"] == 160.0


def test_a_few_new_scans_wait_the_gathering_window_then_go_together(env: Env) -> None:
    first = env.scan("receive", "SF1234567890123")  # the clock moves 1 s per scan
    up = env.uploader(gather_s=5.0)
    assert up.turn().state == "gathering"
    env.scan("receive", "SF1400000000001")
    assert env.states()[first.event_id or ""] == "pending"
    env.clock.advance(4)  # the first has now waited 5 s
    result = up.turn()
    assert (result.state, result.accepted) == ("sent", 2)


def test_a_large_backlog_is_never_held_for_gathering(env: Env) -> None:
    bulk_scans(env.store, 60, clock=env.clock)
    result = env.uploader(gather_s=60.0).turn()
    assert (result.state, result.accepted) == ("sent", 60)
