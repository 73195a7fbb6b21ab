"""Benchmark: the station's other records to head office, and what they cost the scans.

1. A backlog of tickets drained to a local reference receiver (its own process) by the
   records job (requests of up to 256 KB), beside a naive sender measured in the same
   run: one POST per record, no compression. The naive one runs on a sample.
2. Scans drained to a version-1 head office (404 to records) with a records backlog
   waiting, beside the same drain with no records: the ratio shows records never hold
   scans up.

    .venv/bin/python bench/records.py [--records 2000] [--naive-sample 300] [--scans 5000]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sync import free_port, start_receiver  # noqa: E402
from edge.service import tickets_desk  # noqa: E402
from edge.store import Store  # noqa: E402
from sync.client import HeadOfficeClient  # noqa: E402
from sync.headoffice.app import hash_token, new_token  # noqa: E402
from sync.headoffice.sqlite import SQLiteStorage  # noqa: E402
from tests.records_fixtures import AT, RULES  # noqa: E402
from tests.sync_fixtures import (  # noqa: E402
    STATION,
    ScriptedServer,
    Seen,
    all_accepted,
    answer,
    bulk_scans,
    make_uploader,
    station_config,
    write_token,
)


def tickets(store: Store, n: int) -> None:
    with store.transaction():
        for i in range(n):
            tickets_desk.open_ticket(
                store, RULES, AT, "c1", kind="complaint", words=f"外包装破损，第 {i} 件",
                waybills=[f"75123456{i:06d}"], phone_last4="5678", category="damaged_outer",
            )  # fmt: skip


def drain_records(store: Store, url: str, token_file: Path, tmp: Path) -> tuple[float, float]:
    up = make_uploader(store, station_config(url, token_file), tmp)
    total = sum(store.outbox_counts().values())
    started = time.perf_counter()
    while sum(store.outbox_counts().values()):
        up.turn()
    elapsed = time.perf_counter() - started
    up.close()
    return total / elapsed, up.http.wire.total / total


def naive_records(store: Store, url: str, token: str) -> tuple[float, float]:
    client = HeadOfficeClient(url, token)
    sent = 0
    started = time.perf_counter()
    while records := store.outbox_pending("ticket", 1):
        r = records[0]
        body = json.dumps({"station": STATION, "sent_at": AT.isoformat(),
                           "records": [r.item()]}, ensure_ascii=False).encode()  # fmt: skip
        reply = client.post_json("/v1/records", body, compress=False)
        status = reply.json()["results"][0]["status"]
        store.outbox_apply([(r.kind, r.id, r.version, status, None)])
        sent += 1
    elapsed = time.perf_counter() - started
    client.close()
    return sent / elapsed, client.wire.total / sent


def version_1(seen: Seen, handler: object) -> None:
    if seen.path.startswith("/v1/photos/"):
        answer(handler, 404 if seen.method == "HEAD" else 201)  # type: ignore[arg-type]
    else:
        all_accepted(seen, handler)  # type: ignore[arg-type]


def drain_scans(tmp: Path, name: str, scans: int, records: int) -> float:
    """Seconds to drain ``scans`` to a version-1 head office with ``records`` waiting."""
    store = Store(tmp / f"{name}.db", create=True)
    tickets(store, records)
    bulk_scans(store, scans)
    with ScriptedServer(version_1) as ho:
        up = make_uploader(store, station_config(ho.url, tmp / "token"), tmp)
        started = time.perf_counter()
        while store.sync_status()["backlog"]:
            up.turn()
        elapsed = time.perf_counter() - started
        up.close()
    assert sum(store.outbox_counts().values()) == records
    store.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--naive-sample", type=int, default=300)
    parser.add_argument("--scans", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        storage = SQLiteStorage(tmp / "head-office")
        token = new_token()
        storage.add_token(STATION, hash_token(token), "station")
        storage.close()
        token_file = write_token(tmp / "token", token)
        port = free_port()
        receiver = start_receiver(tmp / "head-office", port)
        url = f"http://127.0.0.1:{port}"
        try:
            store = Store(tmp / "station.db", create=True)
            tickets(store, args.records)
            rate, per_record = drain_records(store, url, token_file, tmp)
            naive_store = Store(tmp / "naive.db", create=True)
            tickets(naive_store, args.naive_sample)
            naive_rate, naive_per = naive_records(naive_store, url, token)
        finally:
            receiver.terminate()
            receiver.wait(timeout=10)
        alone = drain_scans(tmp, "alone", args.scans, 0)
        beside = drain_scans(tmp, "beside", args.scans, args.records)
    print(f"drain of {args.records} tickets (naive: {args.naive_sample}-record sample)")
    print(
        f"  records/s       job {rate:9.0f}   naive {naive_rate:7.0f}   "
        f"ratio {rate / naive_rate:5.1f}x"
    )
    print(
        f"  bytes/record    job {per_record:9.1f}   naive {naive_per:7.1f}   "
        f"ratio {naive_per / per_record:5.1f}x smaller"
    )
    print(f"drain of {args.scans} scans to a version-1 head office (404 to records)")
    print(
        f"  seconds         with {args.records} records waiting {beside:6.2f}   "
        f"without {alone:6.2f}   ratio {beside / alone:5.2f}x"
    )


if __name__ == "__main__":
    main()
