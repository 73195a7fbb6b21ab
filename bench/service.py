"""Benchmark of the service desk; each figure beside a baseline measured in the same run.

    .venv/bin/python bench/service.py [--tickets 20000] [--sendings 50000] [--rounds 200]

On a station database holding --tickets tickets (2 % still open) with four history
events each and --sendings sendings (1 % still open, half of those past their deadline),
filled with executemany in one transaction:

- the tickets list (open ones, oldest first, deadlines and breaches worked out: what the
  page and `station tickets --open` show), against the raw SELECT of the same rows;
- the chase list (open sendings past their deadline), against the raw SELECT of the
  open sendings it is made from;
- opening a ticket (one durable transaction: ticket, link, event, audit), against
  recording a receive scan through the core (the same commit at synchronous=FULL).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.web import line, timed  # noqa: E402
from edge import config as config_mod  # noqa: E402
from edge.service import sends_desk, tickets_desk  # noqa: E402
from edge.station import ScanRequest, Station  # noqa: E402
from edge.store import Store  # noqa: E402
from tests.conftest import SMALL_CONFIG, ManualClock  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 28, 18, 0, tzinfo=TZ)
STATES = ("open", "answered", "settled", "followed_up")


def fill(db: Path, tickets: int, sendings: int) -> float:
    t0 = time.monotonic()
    Store(db, create=True).close()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    rows, events, links = [], [], []
    for i in range(tickets):
        opened = (NOW - timedelta(minutes=tickets - i)).isoformat(timespec="seconds")
        state = STATES[i % 4] if i >= tickets * 0.98 else "followed_up"
        rows.append(
            (
                i + 1,
                ("inquiry", "complaint", "claim")[i % 3],
                "damaged_outer",
                state,
                f"{i % 10000:04d}",
                "箱子破了",
                opened,
                "c1",
                opened,
            )
        )
        links.append((i + 1, f"75{i:012d}"))
        events += [(i + 1, opened, "c1", a, None) for a in STATES]
    conn.executemany(
        "INSERT INTO tickets (id, kind, category, state, phone_last4, words, opened_at,"
        " opened_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.executemany("INSERT INTO ticket_waybills VALUES (?, ?)", links)
    conn.executemany(
        "INSERT INTO ticket_events (ticket_id, at, operator, action, words) VALUES (?, ?, ?, ?, ?)",
        events,
    )
    sent = []
    for i in range(sendings):
        at = NOW - timedelta(minutes=(sendings - i) * 2)
        due = at + timedelta(hours=48)
        state = "open" if i >= sendings * 0.99 else "signed"
        if state == "open" and i % 2:
            due = NOW - timedelta(hours=1)
        sent.append(
            (
                f"73{i:012d}",
                "zto",
                "湖南",
                "near",
                1200,
                1300,
                "cash",
                at.isoformat(timespec="seconds"),
                "c1",
                due.isoformat(timespec="seconds"),
                state,
                at.isoformat(timespec="seconds"),
            )
        )
    conn.executemany(
        "INSERT INTO sendings (waybill, carrier, province, zone, weight_g, price_fen, payment,"
        " sent_at, sent_by, sign_due_at, state, updated_at) VALUES"
        " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        sent,
    )
    conn.execute("COMMIT")
    conn.close()
    return time.monotonic() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=20000)
    parser.add_argument("--sendings", type=int, default=50000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    config = config_mod.parse(SMALL_CONFIG.replace("capacity = 3", "capacity = 100000"))
    rules = config.service
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "station.db"
        took = fill(db, args.tickets, args.sendings)
        print(f"filled {args.tickets} tickets, {args.sendings} sendings in {took:.1f} s")
        store = Store(db)
        raw = sqlite3.connect(db)
        n_open = len(tickets_desk.list_tickets(store, rules, NOW, "open"))
        line(
            f"tickets list ({n_open} open)",
            timed(lambda: tickets_desk.list_tickets(store, rules, NOW, "open"), args.rounds),
            timed(
                lambda: raw.execute(
                    "SELECT * FROM tickets WHERE state IN ('open',"
                    " 'answered', 'settled') ORDER BY opened_at, id"
                ).fetchall(),
                args.rounds,
            ),
            "raw SELECT, same rows",
        )
        n_chase = len(sends_desk.list_sendings(store, NOW, "overdue"))
        line(
            f"chase list ({n_chase} past deadline)",
            timed(lambda: sends_desk.list_sendings(store, NOW, "overdue"), args.rounds),
            timed(
                lambda: raw.execute(
                    "SELECT * FROM sendings WHERE state = 'open' ORDER BY sent_at DESC"
                ).fetchall(),
                args.rounds,
            ),
            "raw SELECT of open sendings",
        )
        clock = ManualClock(wall=NOW)
        station = Station(store, config, clock)
        codes = iter(f"75{i:012d}" for i in range(10**6, 2 * 10**6))

        def receive() -> None:
            clock.advance(3)
            station.scan(ScanRequest(type="receive", code=next(codes), device="bench"))

        line(
            "open a ticket (durable)",
            timed(
                lambda: tickets_desk.open_ticket(
                    store,
                    rules,
                    NOW,
                    "c1",
                    kind="complaint",
                    words="破了",
                    waybills=["75123456789001"],
                ),
                args.rounds,
            ),
            timed(receive, args.rounds),
            "a receive scan, same commit",
        )
        store.close()
        raw.close()


if __name__ == "__main__":
    main()
