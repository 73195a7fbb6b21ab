"""The uploader against a head office that misbehaves: real HTTP(S) servers on 127.0.0.1
answering garbage, half answers, huge or endless bodies, redirects, refusals and absurd
Retry-After values. Whatever it answers, no scan is lost or marked sent unless head office
answered for its event id, every failure is logged and shown, and nothing is retried in a
hot loop."""

from __future__ import annotations

import functools
import gzip
import hashlib
import logging
import shutil
import ssl
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from edge.cli import main
from edge.store import Store
from sync.client import MAX_ANSWER_BYTES
from sync.station import loop
from sync.station.common import INLINE_ATTEMPTS, MANIFEST_MAX_PAGES
from sync.station.loop import Uploader
from tests.sync_fixtures import (
    ScriptedServer,
    Seen,
    all_accepted,
    answer,
    bulk_scans,
    config_text,
    make_uploader,
    station_config,
    write_token,
)

NOW = 1_800_000_000.0


@dataclass
class Station:
    tmp: Path
    store: Store
    token_file: Path

    def uploader(self, url: str, **head_office: Any) -> Uploader:
        config = station_config(url, self.token_file, **head_office)
        up = make_uploader(self.store, config, self.tmp)
        up.now = lambda: NOW
        return up

    def states(self) -> dict[str, str]:
        return {
            r["event_id"]: r["state"]
            for r in self.store.all(
                "SELECT s.event_id, y.state FROM scans s JOIN scan_sync y ON y.seq = s.seq"
            )
        }

    def pending(self) -> int:
        return int(self.store.sync_status()["backlog"])

    def last_error(self) -> str:
        return str(self.store.sync_status()["last_error"] or "")


@pytest.fixture(name="station")
def station_fixture(tmp_path: Path) -> Iterator[Station]:
    store = Store(tmp_path / "station.db", create=True)
    yield Station(tmp_path, store, write_token(tmp_path / "token", "t" * 43))
    store.close()


def serve(script: Any) -> ScriptedServer:
    return ScriptedServer(script)


def scans_answer(body: bytes, headers: dict[str, str] | None = None) -> Any:
    """A head office answering every batch 200 with this body."""

    def script(seen: Seen, handler: BaseHTTPRequestHandler) -> None:
        answer(handler, 200, body, headers)

    return script


def assert_failed_and_backing_off(station: Station, up: Uploader, server: ScriptedServer) -> None:
    """The failure counted and the next attempt waits (no hot loop)."""
    state = station.store.sync_state()
    assert state["attempts"] >= INLINE_ATTEMPTS and state["next_attempt_at"] > NOW
    sent_before = len(server.seen)
    assert up.turn().state == "waiting"
    assert len(server.seen) == sent_before


# -- 1. a 200 that is not a batch answer --------------------------------------------------
@pytest.mark.parametrize(
    ("body", "headers", "error"),
    [
        (b"", None, "without a results list: empty"),
        (b"not json at all", None, "without a results list: 'not json at all'"),
        (b"<html><body>Welcome to nginx!</body></html>", {"Content-Type": "text/html"}, "<html>"),
        (b'{"results": "all good"}', None, "without a results list"),
        (b'{"ok": true}', None, "without a results list"),
        (b"[1, 2, 3]", None, "without a results list"),
        (b'{"results": [1, "two", null, [], {}]}', None, "only for 0 of 5 scans"),
        (b"[" * 200_000, None, "without a results list"),
        (b"\xff\xfe\x00garbage", None, "without a results list"),
        (gzip.compress(b'{"results": []}' * 50)[:30], {"Content-Encoding": "gzip"}, "list"),
    ],
    ids=[
        "empty",
        "text",
        "html",
        "results-not-list",
        "no-results",
        "list",
        "items-not-answers",
        "nested-too-deep",
        "not-utf8",
        "truncated-gzip",
    ],
)
def test_a_200_that_is_not_a_batch_answer_leaves_every_scan_pending(
    station: Station,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    headers: dict[str, str] | None,
    error: str,
) -> None:
    bulk_scans(station.store, 5)
    with serve(scans_answer(body, headers)) as server:
        up = station.uploader(server.url)
        result = up.turn()
        assert result.state == "failed" and result.accepted == 0
        assert station.pending() == 5
        assert len(server.requests()) == INLINE_ATTEMPTS
        assert error in station.last_error()
        assert_failed_and_backing_off(station, up, server)
    assert set(station.states().values()) == {"pending"}
    assert any(error in r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)


# -- 2. answers that do not match the batch -----------------------------------------------
def test_only_exact_answers_per_event_id_count(station: Station) -> None:
    made = [event_id for _, event_id in bulk_scans(station.store, 7)]
    e = made

    def script(seen: Seen, handler: BaseHTTPRequestHandler) -> None:
        results: list[Any] = [
            {"event_id": e[1], "status": "accepted"},  # out of order: still counts
            {"event_id": e[0], "status": "duplicate"},
            {"event_id": e[2], "status": "ok"},  # unknown status
            {"event_id": e[3], "status": None},
            {"event_id": e[4], "status": "accepted"},  # then contradicted
            {"event_id": e[4], "status": "rejected", "reason": "no"},
            {"event_id": str(uuid.uuid4()), "status": "accepted"},  # never sent
            {"event_id": e[5], "status": "accepted"},  # repeated alike: one answer
            {"event_id": e[5], "status": "accepted"},
            {"event_id": e[6], "status": "rejected", "reason": "waybill:\n  too\tlong\r\n"},
            "garbage",
            {"event_id": ["not", "a", "string"], "status": "accepted"},
        ]
        answer(handler, 200, {"results": results})

    with serve(script) as server:
        up = station.uploader(server.url)
        result = up.turn()
        assert (result.state, result.accepted, result.duplicate, result.rejected) == (
            "failed",
            2,
            1,
            1,
        )
        states = station.states()
        assert [states[x] for x in e] == [
            "sent",
            "sent",
            "pending",
            "pending",
            "pending",
            "sent",
            "rejected",
        ]
        # The retries within the turn sent only what was still pending.
        assert [set(s.event_ids()) for s in server.requests()][1:] == [{e[2], e[3], e[4]}] * (
            INLINE_ATTEMPTS - 1
        )
        assert "only for 0 of 3 scans" in station.last_error()
        assert "stay pending" in station.last_error()
        assert_failed_and_backing_off(station, up, server)
    reason = station.store.rejected_scans()[0]["reason"]
    assert reason == "waybill: too long"


@pytest.mark.parametrize("shape", ["shorter", "longer", "reversed"])
def test_a_results_list_of_the_wrong_length_or_order(station: Station, shape: str) -> None:
    bulk_scans(station.store, 6)

    def script(seen: Seen, handler: BaseHTTPRequestHandler) -> None:
        results = [{"event_id": x, "status": "accepted"} for x in seen.event_ids()]
        if shape == "shorter":
            results = results[:-1]
        elif shape == "longer":
            results += [{"event_id": str(uuid.uuid4()), "status": "accepted"}] * 3
        else:
            results.reverse()
        answer(handler, 200, {"results": results})

    with serve(script) as server:
        result = station.uploader(server.url).turn()
    if shape == "shorter":  # the last scan is never answered; the others are
        assert (result.state, result.accepted) == ("failed", 5)
        assert station.pending() == 1
    else:
        assert (result.state, result.accepted) == ("sent", 6)
        assert station.pending() == 0


# -- 3. a huge answer ---------------------------------------------------------------------
@functools.cache
def gzip_bomb() -> bytes:
    """64 MB of spaces in about 64 KB, compressed once: compressing it per request is
    slower than the station's read timeout on a loaded machine."""
    return gzip.compress(b" " * (64 * 1024 * 1024))


@pytest.mark.parametrize("kind", ["streamed", "declared", "gzip-bomb"])
def test_a_huge_answer_is_cut_off_and_counts_as_a_failure(station: Station, kind: str) -> None:
    bulk_scans(station.store, 3)
    if kind == "gzip-bomb":
        gzip_bomb()  # before the server starts, outside the station's timeout
    written = [0]

    def script(seen: Seen, handler: BaseHTTPRequestHandler) -> None:
        if kind == "gzip-bomb":
            answer(handler, 200, gzip_bomb(), {"Content-Encoding": "gzip"})
            return
        handler.send_response(200)
        if kind == "declared":
            handler.send_header("Content-Length", str(200 * 1024 * 1024))
        handler.send_header("Connection", "close")
        handler.end_headers()
        chunk = b"[" + b" " * (64 * 1024 - 1)
        for _ in range(200 * 16):  # 200 MB unless the station hangs up
            handler.wfile.write(chunk)
            written[0] += len(chunk)

    with serve(script) as server:
        up = station.uploader(server.url)
        result = up.turn()
        assert result.state == "failed"
        assert "byte limit" in station.last_error()
        assert_failed_and_backing_off(station, up, server)
    assert written[0] < INLINE_ATTEMPTS * (MAX_ANSWER_BYTES + 8 * 1024 * 1024)


# -- 4. slow answers ----------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["trickled-body", "trickled-head", "silent"])
def test_an_answer_must_be_complete_within_the_read_timeout(station: Station, kind: str) -> None:
    bulk_scans(station.store, 3)
    trickled = [0]

    def script(seen: Seen, handler: BaseHTTPRequestHandler) -> None:
        if kind == "silent":
            server.stop.wait(10)
            return
        raw = b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n" + b" " * 500
        if kind == "trickled-body":
            handler.wfile.write(raw[:40])
            raw = raw[40:]
        for i in range(len(raw)):  # one byte every 0.1 s: each recv is well in time
            if server.stop.wait(0.1):
                return
            handler.wfile.write(raw[i : i + 1])
            handler.wfile.flush()
            trickled[0] += 1

    with serve(script) as server:
        up = station.uploader(server.url, read_timeout_s=0.5)
        result = up.turn()
        assert result.state == "failed"
        if kind == "silent":  # the per-read timeout and the deadline both end it
            assert "0.5" in station.last_error()
        else:
            assert "no complete answer within 0.5 s" in station.last_error()
            assert trickled[0] < 60  # each answer was cut off long before its end
        assert_failed_and_backing_off(station, up, server)


# -- 5. redirects -------------------------------------------------------------------------
@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirects_are_never_followed(station: Station, status: int) -> None:
    bulk_scans(station.store, 3)
    with serve(all_accepted) as elsewhere:
        target = elsewhere.url.replace("http://", "http://user:secret@") + "/v1/scans?k=v"

        def script(seen: Seen, handler: BaseHTTPRequestHandler) -> None:
            answer(handler, status, b"moved", {"Location": target})

        with serve(script) as server:
            up = station.uploader(server.url)
            result = up.turn()
            assert result.state == "blocked"
            assert len(server.requests()) == 1
            assert up.turn().state == "blocked" and len(server.seen) == 1  # not retried
        assert elsewhere.seen == []
    status_now = station.store.sync_status()
    assert "redirects POST /v1/scans" in status_now["blocked_reason"]
    assert "not followed" in status_now["last_error"]
    assert "secret" not in status_now["last_error"] and "k=v" not in status_now["last_error"]
    assert station.pending() == 3


# -- 6. refusals and Retry-After ----------------------------------------------------------
def test_a_head_office_refusing_every_batch_is_bounded_by_the_turn_budget(
    station: Station, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loop, "TURN_BUDGET_S", 0.3)
    bulk_scans(station.store, 64)

    def script(seen: Seen, handler: BaseHTTPRequestHandler) -> None:
        server.stop.wait(0.05)
        answer(handler, 400, {"error": "no"})

    with serve(script) as server:
        up = station.uploader(server.url)
        assert up.turn().state == "failed"
        # Splitting 64 scans down to each one would take 127 requests.
        assert len(server.requests()) < 20
        assert "splitting it goes on next turn" in station.last_error()
        assert_failed_and_backing_off(station, up, server)
    assert station.pending() > 0


@pytest.mark.parametrize("status", [401, 403])
def test_credentials_refused_forever_stop_without_resending(station: Station, status: int) -> None:
    bulk_scans(station.store, 3)
    with serve(all_accepted) as server:
        server.script = lambda seen, handler: answer(handler, status, {"error": "who are you"})
        up = station.uploader(server.url)
        assert [up.turn().state for _ in range(5)] == ["blocked"] * 5
        assert len(server.seen) == 1
    assert "refuses this station's credentials" in station.last_error()
    assert station.pending() == 3


@pytest.mark.parametrize(
    ("status", "retry_after", "least", "most"),
    [
        (429, "-5", 0.5, 60),
        (429, "soon", 0.5, 60),
        (429, "1e999", 0.5, 60),
        (429, "nan", 0.5, 60),
        (429, "99999999999", 3600, 3600),
        (429, "past-date", 0.5, 60),
        (503, None, 0.5, 60),
        (503, "30", 30, 60),
    ],
)
def test_absurd_retry_after_is_bounded_both_ways(
    station: Station, status: int, retry_after: str | None, least: float, most: float
) -> None:
    bulk_scans(station.store, 3)
    now = time.time()
    headers = {"Date": formatdate(now, usegmt=True)}
    if retry_after == "past-date":
        headers["retry-after"] = formatdate(now - 86400, usegmt=True)  # any case is read
    elif retry_after is not None:
        headers["Retry-After"] = retry_after
    with serve(all_accepted) as server:
        server.script = lambda seen, handler: answer(handler, status, b"busy", headers)
        up = station.uploader(server.url, backoff_initial_s=1.0, backoff_max_s=60.0)
        result = up.turn()
        assert result.state in ("waiting", "failed")
        due = station.store.sync_state()["next_attempt_at"]
        assert least <= due - NOW <= most
        assert f"busy ({status}" in station.last_error()
        asked = len(server.seen)
        assert up.turn().state == "waiting" and len(server.seen) == asked


def test_retry_after_zero_again_and_again_backs_off_more_each_time(station: Station) -> None:
    bulk_scans(station.store, 3)
    with serve(all_accepted) as server:
        server.script = lambda seen, handler: answer(handler, 429, b"", {"Retry-After": "0"})
        up = station.uploader(server.url, backoff_initial_s=1.0, backoff_max_s=1000.0)
        clock = [NOW]
        up.now = lambda: clock[0]
        waits = []
        for _ in range(6):
            assert up.turn().state == "waiting"
            due = station.store.sync_state()["next_attempt_at"]
            waits.append(due - clock[0])
            clock[0] = due
    assert len(server.seen) == 6
    assert waits[-1] > 8 * waits[0] / 2  # doubling, with jitter
    assert station.store.sync_state()["attempts"] == 6


# -- 7. photos and manifest ---------------------------------------------------------------
def add_photo(station: Station, data: bytes, name: str) -> str:
    sha = hashlib.sha256(data).hexdigest()
    (station.tmp / "photos").mkdir(exist_ok=True)
    (station.tmp / "photos" / name).write_bytes(data)
    with station.store.transaction() as conn:
        conn.execute(
            "INSERT INTO photos (sha256, path, size, created_at) VALUES (?, ?, ?, ?)",
            (sha, f"photos/{name}", len(data), "2026-11-22T09:00:00+08:00"),
        )
        seq = station.store.unsent_scans(1)[0]["seq"]
        conn.execute("INSERT INTO scan_photos (seq, sha256) VALUES (?, ?)", (seq, sha))
    return sha


def photo_script(head: int, head_body: bytes = b"", put: int = 201) -> Any:
    def script(seen: Seen, handler: BaseHTTPRequestHandler) -> None:
        if seen.method == "HEAD":
            # A body after a HEAD answer breaks HTTP; it must not be read as the next answer.
            handler.send_response(head)
            handler.send_header("Content-Length", str(len(head_body)))
            handler.end_headers()
            handler.wfile.write(head_body)
        elif seen.method == "PUT":
            answer(handler, put, b"stored")
        else:
            all_accepted(seen, handler)

    return script


def test_a_head_200_with_garbage_is_taken_as_held(station: Station) -> None:
    bulk_scans(station.store, 1)
    sha = add_photo(station, b"\xff\xd8 one", "one.jpg")
    garbage = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
    with serve(photo_script(200, garbage)) as server:
        up = station.uploader(server.url)
        assert (up.turn().state, station.pending()) == ("sent", 0)
        bulk_scans(station.store, 2, prefix="b")
        assert up.turn().accepted == 2  # the next answer was read from the real answer
    assert station.store.sync_status()["photos_waiting"] == 0
    assert [s.method for s in server.seen] == ["POST", "HEAD", "POST"]
    assert sha not in str(station.store.failed_photos())


def test_photos_are_sent_only_with_their_true_hash(station: Station) -> None:
    bulk_scans(station.store, 1)
    good = add_photo(station, b"\xff\xd8 good", "good.jpg")
    rotten = add_photo(station, b"\xff\xd8 rotten", "rotten.jpg")
    (station.tmp / "photos" / "rotten.jpg").write_bytes(b"\xff\xd8 bit rot")
    with serve(photo_script(404, put=201)) as server:
        assert station.uploader(server.url).turn().photos == 2
    puts = server.requests("PUT", "/v1/photos/")
    assert [p.path for p in puts] == [f"/v1/photos/{good}"]
    assert hashlib.sha256(puts[0].body).hexdigest() == good
    failed = {p["sha256"]: p["upload_error"] for p in station.store.failed_photos()}
    assert list(failed) == [rotten] and failed[rotten].startswith("file corrupt")


@pytest.mark.parametrize("head", [400, 405, 302])
def test_odd_photo_answers_back_off_and_never_stop_scans(station: Station, head: int) -> None:
    bulk_scans(station.store, 1)
    add_photo(station, b"\xff\xd8 one", "one.jpg")
    with serve(photo_script(head)) as server:
        up = station.uploader(server.url, backoff_initial_s=60.0, backoff_max_s=60.0)
        assert up.turn().state == "sent"
        bulk_scans(station.store, 2, prefix="b")
        assert up.turn().accepted == 2  # photos wait; scans go
    assert [s.method for s in server.seen] == ["POST", "HEAD", "POST"]
    status = station.store.sync_status()
    assert status["blocked_reason"] is None and status["photos_waiting"] == 1
    assert status["last_error"].startswith("photos: head office ")
    assert str(head) in status["last_error"]


def manifest_script(page: Any) -> Any:
    """Answers GET manifest with page(after) (a dict as JSON, bytes as they are)."""

    def script(seen: Seen, handler: BaseHTTPRequestHandler) -> None:
        if "/manifest" in seen.path:
            after = seen.path.partition("after=")[2]
            body = page(after)
            answer(handler, 200, body)
        else:
            all_accepted(seen, handler)

    return script


@pytest.mark.parametrize(
    "page",
    [
        lambda after: b"<html>oops</html>",
        lambda after: {"parcels": "many"},
        lambda after: {"parcels": [{"waybill": "SF1234567890"}], "next": {"a": 1}},
    ],
    ids=["html", "not-a-list", "odd-cursor"],
)
def test_a_garbage_manifest_is_a_logged_failure_that_blocks_nothing(
    station: Station, page: Any
) -> None:
    bulk_scans(station.store, 2)
    with serve(manifest_script(page)) as server:
        result = station.uploader(server.url, manifest_interval_s=600.0).turn()
    assert (result.state, result.accepted) == ("sent", 2)
    state = station.store.sync_state()
    assert state["blocked_reason"] is None and state["attempts"] == 0
    assert state["manifest_next_at"] - NOW == 60.0  # tried again sooner than the interval
    assert station.last_error().startswith("manifest: head office's manifest")


def test_manifest_parcels_are_checked_field_by_field(station: Station) -> None:
    parcels = [
        {"waybill": "SF1234567890", "carrier": "sf", "phone_last4": "13812345678",
         "recipient_masked": "王*", "declared_weight_g": 800, "valuable": "yes"},
        {"waybill": "YT1234567890", "carrier": {"x": 1}, "phone_last4": "5678",
         "recipient_masked": ["a"], "declared_weight_g": True},
        {"waybill": "bad waybill!"}, {"waybill": 12345678}, "SF000", None,
    ]  # fmt: skip
    with serve(manifest_script(lambda after: {"parcels": parcels, "next": None})) as server:
        station.uploader(server.url, manifest_interval_s=600.0).turn()
    rows = station.store.all(
        "SELECT waybill, carrier, phone_last4, recipient_masked, declared_weight_g, valuable"
        " FROM manifest ORDER BY waybill"
    )
    assert [tuple(r) for r in rows] == [
        ("SF1234567890", "sf", None, "王*", 800, 0),
        ("YT1234567890", None, "5678", None, None, 0),
    ]


def test_a_manifest_cursor_that_never_ends_is_bounded_per_pull(station: Station) -> None:
    def page(after: str) -> dict[str, Any]:
        n = int(after or 0)
        return {"parcels": [{"waybill": f"SF{n:010d}"}], "next": str(n + 1)}

    with serve(manifest_script(page)) as server:
        station.uploader(server.url, manifest_interval_s=600.0).turn()
    assert len(server.requests("GET", "/v1/stations/SZ-NS-0042/manifest")) == MANIFEST_MAX_PAGES
    state = station.store.sync_state()
    assert state["manifest_cursor"] == str(MANIFEST_MAX_PAGES)
    assert state["manifest_next_at"] - NOW == 600.0


def test_a_manifest_cursor_that_comes_back_stops_the_pull(station: Station) -> None:
    def page(after: str) -> dict[str, Any]:
        return {"parcels": [{"waybill": "SF1234567890"}], "next": "B" if after != "B" else "A"}

    with serve(manifest_script(page)) as server:
        station.uploader(server.url, manifest_interval_s=600.0).turn()
    # "" -> B -> A -> B: the third page's cursor had been seen.
    assert len(server.requests("GET", "/v1/stations/SZ-NS-0042/manifest")) == 3
    assert "cursor came back to 'B'" in station.last_error()


def test_a_manifest_answer_other_than_404_never_blocks_scans(station: Station) -> None:
    def script(seen: Seen, handler: BaseHTTPRequestHandler) -> None:
        if "/manifest" in seen.path:
            answer(handler, 400, {"error": "bad cursor"})
        else:
            all_accepted(seen, handler)

    bulk_scans(station.store, 2)
    with serve(script) as server:
        up = station.uploader(server.url, manifest_interval_s=600.0)
        assert up.turn().state == "sent"
    assert station.store.sync_status()["blocked_reason"] is None
    assert "manifest: head office answered 400" in station.last_error()


# -- 8. TLS -------------------------------------------------------------------------------
@pytest.fixture(name="self_signed")
def self_signed_fixture(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a self-signed certificate")
    cert, key = tmp_path / "ho.pem", tmp_path / "ho.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_a_self_signed_certificate_fails_clearly_until_its_ca_is_configured(
    station: Station, self_signed: tuple[Path, Path]
) -> None:
    cert, key = self_signed
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    bulk_scans(station.store, 3)
    with ScriptedServer(all_accepted, tls=tls) as server:
        result = station.uploader(server.url).turn()
        assert result.state == "failed" and station.pending() == 3
        error = station.last_error()
        assert "TLS certificate is not trusted" in error and "self-signed" in error
        assert "ca_bundle" in error
        assert server.seen == []  # the token never went to an untrusted server
        trusted = station.uploader(server.url, ca_bundle=str(cert))
        trusted.now = lambda: NOW + 3600
        assert trusted.turn().accepted == 3


def test_a_missing_ca_bundle_is_a_clear_failure(station: Station) -> None:
    bulk_scans(station.store, 1)
    up = station.uploader("https://127.0.0.1:9", ca_bundle=str(station.tmp / "nope.pem"))
    assert up.turn().state == "failed"
    assert "nope.pem" in station.last_error()


# -- 9. server time -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "server_time", ["1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z", 12, {"a": []}, "garbage"]
)
def test_a_wild_server_time_changes_nothing(station: Station, server_time: Any) -> None:
    bulk_scans(station.store, 3)
    before = [tuple(r) for r in station.store.all("SELECT seq, scanned_at FROM scans")]
    assert len(before) == 3

    def script(seen: Seen, handler: BaseHTTPRequestHandler) -> None:
        results = [{"event_id": x, "status": "accepted"} for x in seen.event_ids()]
        answer(handler, 200, {"results": results, "server_time": server_time},
               {"Date": "Thu, 01 Jan 1970 00:00:00 GMT"})  # fmt: skip

    with serve(script) as server:
        up = station.uploader(server.url)
        assert up.turn().accepted == 3
        bulk_scans(station.store, 2, prefix="b")
        assert up.turn().accepted == 2
    after = station.store.all("SELECT seq, scanned_at FROM scans ORDER BY seq LIMIT 3")
    assert [tuple(r) for r in after] == before
    assert station.store.sync_state()["next_attempt_at"] is None


def test_a_turn_that_fails_unexpectedly_does_not_end_the_loop(
    station: Station, caplog: pytest.LogCaptureFixture
) -> None:
    bulk_scans(station.store, 1)
    with serve(all_accepted) as server:
        up = station.uploader(server.url)
        station.store.close()  # every query now fails
        assert up.turn().state == "failed"
    assert "sync turn failed" in caplog.text


# -- the commands -------------------------------------------------------------------------
def test_sync_once_and_status_against_a_broken_head_office(
    station: Station, capsys: pytest.CaptureFixture[str]
) -> None:
    bulk_scans(station.store, 4)
    with serve(scans_answer(b"<html>maintenance</html>")) as server:
        config = station_config(
            server.url, station.token_file, backoff_initial_s=1.0, backoff_max_s=60.0
        )
        (station.tmp / "station.toml").write_text(config_text(config), encoding="utf-8")
        code = main(["--data", str(station.tmp), "sync", "once", "--timeout", "1"])
        assert code == 1
        assert "timed out with 4 scans unsent" in capsys.readouterr().err
        # Bounded: backoff between turns, never one request after another.
        assert len(server.requests()) <= 2 * INLINE_ATTEMPTS
    assert main(["--data", str(station.tmp), "sync", "status"]) == 0
    out = capsys.readouterr().out
    assert "unsent scans:     4" in out
    assert "head office answered 200 without a results list" in out
