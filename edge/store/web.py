"""SQL for the tablet page: sign-in, the live feed, search, timelines, photos, stocktakes,
the return list and reports."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from edge.store.base import StoreBase
from edge.store.web_schema import MIGRATIONS

__all__ = ["MIGRATIONS", "SignInAttempt", "WebSQL", "shelf_match"]

# What the sorting screen needs of a read; kept narrow so the feed stays cheap.
FEED_COLUMNS = (
    "id, at, device, operator, code, kind, type, status, message_key, message_zh, "
    "message_en, seq, waybill, carrier, shelf, pickup_code, weight_g, warnings"
)


# Parcels through the trigram index of their waybills. CROSS JOIN keeps the index
# first: the planner otherwise walks every waybill and asks the index about each.
_BY_GRAMS = (
    "SELECT p.* FROM web_waybill_grams g CROSS JOIN web_waybill_ids i ON i.id = g.rowid "
    "CROSS JOIN parcels p ON p.waybill = i.waybill "
)


@dataclass(frozen=True)
class SignInAttempt:
    """One sign-in, its PIN already checked; times are RFC 3339 in the station's zone."""

    operator_id: str
    pin_ok: bool
    client: str
    session_hash: str
    now: str
    lock_until: str
    attempts: int
    client_lock_until: str
    client_attempts: int


def shelf_match(shelf: str) -> tuple[str, list[str]]:
    """SQL condition on parcels.shelf for a whole shelf ("3") or one layer ("3-2")."""
    if "-" in shelf:
        return "shelf = ?", [shelf]
    return "(shelf = ? OR shelf LIKE ? ESCAPE '\\')", [shelf, _like_prefix(shelf) + "-%"]


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class WebSQL(StoreBase):
    # --- operators and sign-in (operators are added by `station operator add`) ---------

    def web_operators(self) -> list[sqlite3.Row]:
        return self.all(
            "SELECT id, name, role, failed_pins, locked_until, active, created_at "
            "FROM operators ORDER BY active DESC, id"
        )

    def web_sign_in(self, attempt: SignInAttempt) -> str:
        """Decide a sign-in whose PIN was already checked, in one write transaction.

        The operator's lock, the client's lock, both counts and the new session are read
        and written together, so parallel attempts cannot slip past a lock. Returns
        "ok", "wrong", "locked" (the operator) or "client_locked"; each is audited.
        """
        a = attempt
        with self.transaction():
            client = self.one(
                "SELECT failures, locked_until FROM web_signin_clients WHERE client = ?",
                (a.client,),
            )
            if client and client["locked_until"] and client["locked_until"] > a.now:
                self.audit("web.sign_in_client_locked", None, a.operator_id[:40], remote=a.client)
                return "client_locked"
            row = self.one(
                "SELECT failed_pins, locked_until FROM operators WHERE id = ? AND active = 1",
                (a.operator_id,),
            )
            locked = bool(row and row["locked_until"] and row["locked_until"] > a.now)
            if row is not None and not locked and a.pin_ok:
                self.conn.execute(
                    "UPDATE operators SET failed_pins = 0, locked_until = NULL WHERE id = ?",
                    (a.operator_id,),
                )
                self.conn.execute("DELETE FROM web_signin_clients WHERE client = ?", (a.client,))
                self.conn.execute(
                    "INSERT INTO web_sessions (id, operator, created_at, seen_at, remote) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (a.session_hash, a.operator_id, a.now, a.now, a.client),
                )
                self.audit("web.sign_in", a.operator_id, a.operator_id, remote=a.client)
                return "ok"
            failures = (client["failures"] if client else 0) + 1
            client_lock = a.client_lock_until if failures >= a.client_attempts else None
            self.conn.execute(
                "INSERT INTO web_signin_clients (client, failures, locked_until) "
                "VALUES (?, ?, ?) ON CONFLICT (client) DO UPDATE SET "
                "failures = excluded.failures, locked_until = excluded.locked_until",
                (a.client, 0 if client_lock else failures, client_lock),
            )
            if row is None:
                self.audit("web.sign_in_unknown", None, a.operator_id[:40], remote=a.client)
                return "wrong"
            if locked:
                self.audit("web.sign_in_locked", a.operator_id, a.operator_id, remote=a.client)
                return "locked"
            failed = int(row["failed_pins"]) + 1
            lock = a.lock_until if failed >= a.attempts else None
            self.conn.execute(
                "UPDATE operators SET failed_pins = ?, locked_until = ? WHERE id = ?",
                (0 if lock else failed, lock, a.operator_id),
            )
            self.audit(
                "web.pin_locked" if lock else "web.pin_wrong",
                a.operator_id,
                a.operator_id,
                failed=failed,
                locked_until=lock,
                remote=a.client,
            )
            return "locked" if lock else "wrong"

    def web_session(self, session_hash: str, idle_after: str) -> sqlite3.Row | None:
        """The operator of a live session (last seen after ``idle_after``), or None."""
        return self.one(
            "SELECT o.*, s.seen_at AS session_seen_at FROM web_sessions s "
            "JOIN operators o ON o.id = s.operator "
            "WHERE s.id = ? AND s.seen_at > ? AND o.active = 1",
            (session_hash, idle_after),
        )

    def web_session_seen(self, session_hash: str, at: str) -> None:
        """Mark a session used. Never waits for another writer: when the database is
        busy this raises StoreError at once and the caller tries again later."""
        row = self.one("PRAGMA busy_timeout")
        waited = int(row[0]) if row else 0
        self.conn.execute("PRAGMA busy_timeout = 0")
        try:
            with self.transaction():
                self.conn.execute(
                    "UPDATE web_sessions SET seen_at = ? WHERE id = ?", (at, session_hash)
                )
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {waited}")

    def web_session_end(self, session_hash: str, actor: str) -> None:
        with self.transaction():
            self.conn.execute("DELETE FROM web_sessions WHERE id = ?", (session_hash,))
            self.audit("web.sign_out", actor, actor)

    def web_set_active(self, operator_id: str, active: bool, actor: str) -> bool:
        """Enable or disable an operator; disabling ends their sessions (a trigger)."""
        with self.transaction():
            cur = self.conn.execute(
                "UPDATE operators SET active = ? WHERE id = ?", (int(active), operator_id)
            )
            if cur.rowcount:
                action = "web.operator_enable" if active else "web.operator_disable"
                self.audit(action, actor, operator_id)
        return bool(cur.rowcount)

    def web_unlock(self, operator_id: str, actor: str) -> bool:
        with self.transaction():
            cur = self.conn.execute(
                "UPDATE operators SET failed_pins = 0, locked_until = NULL WHERE id = ?",
                (operator_id,),
            )
            if cur.rowcount:
                self.audit("web.unlock", actor, operator_id)
        return bool(cur.rowcount)

    # --- the live feed -----------------------------------------------------------------

    def web_reads_after(self, after_id: int, limit: int = 200) -> list[sqlite3.Row]:
        return self.all(
            f"SELECT {FEED_COLUMNS} FROM reads WHERE id > ? ORDER BY id LIMIT ?",
            (after_id, limit),
        )

    def web_last_read_id(self) -> int:
        row = self.one("SELECT MAX(id) FROM reads")
        return int(row[0] or 0) if row else 0

    def web_last_read_per_device(self) -> list[sqlite3.Row]:
        """The newest read of every device (reads_device makes it one seek per device)."""
        return self.all(
            f"SELECT {FEED_COLUMNS} FROM reads WHERE id IN "
            "(SELECT MAX(id) FROM reads GROUP BY device) ORDER BY device"
        )

    # --- search ---------------------------------------------------------------------

    def web_search(self, text: str, limit: int = 50) -> list[dict[str, Any]]:
        """Parcels as a clerk asks for them, in every state, each with how it matched:
        ``waybill``, ``pickup_code`` (on the shelves), ``tail`` (last 4-6 characters),
        ``phone`` (last 4) or ``part`` (any 5 or more letters or digits of the waybill).

        Cheapest first; a whole waybill or pickup code ends the search, and any part of
        a waybill is looked for only while there is room left in ``limit``.
        """
        queries = [
            ("waybill", "SELECT * FROM parcels WHERE waybill = :t"),
            ("pickup_code", "SELECT * FROM parcels WHERE pickup_code = :t AND state = 'on_shelf'"),
        ]
        if 4 <= len(text) <= 6:
            # One index, on the last 4: seek there, then compare the whole tail.
            queries.append(("tail", "SELECT * FROM parcels WHERE substr(waybill, -4) ="
                            f" substr(:t, -4) AND substr(waybill, -{len(text)}) = :t"))  # fmt: skip
        if len(text) == 4 and text.isdigit():
            queries.append(("phone", "SELECT * FROM parcels WHERE phone_last4 = :t"))
        if len(text) >= 5 and text.isascii() and text.isalnum():
            # Letters and digits only: LIKE needs no escapes and the trigram index serves it.
            queries.append(("part", _BY_GRAMS + "WHERE g.waybill LIKE '%' || :t || '%' LIMIT :n"))
        found: dict[str, dict[str, Any]] = {}
        for matched, sql in queries:
            if len(found) >= limit:
                break
            rows = self.all(sql + (" LIMIT :n" if "LIMIT" not in sql else ""),
                            {"t": text, "n": limit})  # fmt: skip
            for row in rows:
                found.setdefault(row["waybill"], {**dict(row), "matched": matched})
            if found and matched in ("waybill", "pickup_code"):
                break
        # On the shelves first, then the most recently changed.
        ordered = sorted(found.values(), key=lambda r: r["updated_at"] or "", reverse=True)
        ordered.sort(key=lambda r: r["state"] != "on_shelf")
        return ordered[:limit]

    # --- guns' modes ---------------------------------------------------------------------

    def web_gun_desks(self) -> list[sqlite3.Row]:
        """Every gun: its desk's mode, reason and operator (mode NULL: never changed).

        Guns come from the desks table and from the devices table (a gun that has only
        ever read in its default mode has no desk row); page desks are left out.
        """
        return self.all(
            "SELECT g.device, d.mode, d.problem_code, d.dispatch_reason, d.operator, "
            "o.name AS operator_name FROM "
            "(SELECT device FROM desks WHERE device NOT LIKE 'web:%' "
            " UNION SELECT name FROM devices WHERE kind = 'gun') g "
            "LEFT JOIN desks d ON d.device = g.device "
            "LEFT JOIN operators o ON o.id = d.operator ORDER BY g.device"
        )

    # --- scans and photos --------------------------------------------------------------

    def web_recent_scans(self, limit: int = 50) -> list[sqlite3.Row]:
        return self.all(
            "SELECT s.*, u.at AS undone_at FROM scans s "
            "LEFT JOIN scan_undos u ON u.seq = s.seq ORDER BY s.seq DESC LIMIT ?",
            (limit,),
        )

    def web_scan_photos(self, waybill: str) -> list[sqlite3.Row]:
        """The photos of a waybill's scans: (seq, sha256)."""
        return self.all(
            "SELECT p.seq, p.sha256 FROM scan_photos p JOIN scans s ON s.seq = p.seq "
            "WHERE s.waybill = ? ORDER BY p.seq",
            (waybill,),
        )

    def web_add_photo(self, sha256: str, path: str, size: int, at: str) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT OR IGNORE INTO photos (sha256, path, size, created_at) VALUES (?, ?, ?, ?)",
                (sha256, path, size, at),
            )

    def web_photo(self, sha256: str) -> sqlite3.Row | None:
        return self.one("SELECT * FROM photos WHERE sha256 = ?", (sha256,))

    # --- stocktake ---------------------------------------------------------------------

    def web_stocktake_open(self, shelf: str, operator: str, device: str, at: str) -> int:
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO stocktakes (shelf, operator, device, started_at) VALUES (?, ?, ?, ?)",
                (shelf, operator, device, at),
            )
            self.audit("web.stocktake_open", operator, shelf, id=cur.lastrowid)
        return int(cur.lastrowid or 0)

    def web_stocktake(self, stocktake_id: int) -> sqlite3.Row | None:
        return self.one("SELECT * FROM stocktakes WHERE id = ?", (stocktake_id,))

    def web_stocktakes(self, limit: int = 20) -> list[sqlite3.Row]:
        return self.all("SELECT * FROM stocktakes ORDER BY id DESC LIMIT ?", (limit,))

    def web_stocktake_add(
        self,
        stocktake_id: int,
        waybill: str,
        at: str,
        verdict: str,
        parcel: sqlite3.Row | None,
        seq: int | None,
    ) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT OR REPLACE INTO stocktake_items "
                "(stocktake_id, waybill, at, verdict, recorded_shelf, recorded_state, seq) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    stocktake_id,
                    waybill,
                    at,
                    verdict,
                    parcel["shelf"] if parcel else None,
                    parcel["state"] if parcel else None,
                    seq,
                ),
            )

    def web_stocktake_items(self, stocktake_id: int) -> list[sqlite3.Row]:
        return self.all(
            "SELECT * FROM stocktake_items WHERE stocktake_id = ? ORDER BY at DESC",
            (stocktake_id,),
        )

    def web_on_shelf(self, shelf: str) -> list[sqlite3.Row]:
        cond, params = shelf_match(shelf)
        return self.all(
            f"SELECT * FROM parcels WHERE state = 'on_shelf' AND {cond} "
            "ORDER BY shelf, pickup_code",
            params,
        )

    def web_stocktake_close(
        self, stocktake_id: int, at: str, actor: str, summary: dict[str, Any]
    ) -> bool:
        with self.transaction():
            cur = self.conn.execute(
                "UPDATE stocktakes SET closed_at = ?, summary = ? "
                "WHERE id = ? AND closed_at IS NULL",
                (at, json.dumps(summary, ensure_ascii=False), stocktake_id),
            )
            if cur.rowcount:
                self.audit("web.stocktake_close", actor, str(stocktake_id), **summary)
        return bool(cur.rowcount)

    # --- the return list of parcels left too long --------------------------------------

    def web_return_add(self, items: list[tuple[str, int]], at: str, actor: str) -> int:
        """Put (waybill, days on the shelf) on the return list; returns how many were new."""
        with self.transaction():
            added = 0
            for waybill, days in items:
                cur = self.conn.execute(
                    "INSERT OR IGNORE INTO return_list (waybill, added_at, added_by, days) "
                    "SELECT waybill, ?, ?, ? FROM parcels WHERE waybill = ? AND state = 'on_shelf'",
                    (at, actor, days, waybill),
                )
                added += cur.rowcount
            if added:
                self.audit("web.return_list_add", actor, None, waybills=[w for w, _ in items])
        return added

    def web_return_list(self) -> list[sqlite3.Row]:
        """Listed parcels still on the shelves (a return dispatch takes them off)."""
        return self.all(
            "SELECT r.*, p.carrier, p.shelf, p.pickup_code, p.received_at "
            "FROM return_list r JOIN parcels p ON p.waybill = r.waybill "
            "WHERE p.state = 'on_shelf' ORDER BY r.added_at, r.waybill"
        )

    def web_returns_listed(self, waybills: list[str]) -> set[str]:
        if not waybills:
            return set()
        marks = ", ".join("?" * len(waybills))
        rows = self.all(f"SELECT waybill FROM return_list WHERE waybill IN ({marks})", waybills)
        return {r[0] for r in rows}

    # --- reports -----------------------------------------------------------------------

    def web_report_hourly(self, start: str, end: str) -> list[sqlite3.Row]:
        """Scans not undone between two local times, per hour of the day and type."""
        return self.all(
            "SELECT CAST(substr(scanned_at, 12, 2) AS INTEGER) AS hour, type, COUNT(*) AS n "
            "FROM scans s WHERE scanned_at >= ? AND scanned_at < ? "
            "AND NOT EXISTS (SELECT 1 FROM scan_undos u WHERE u.seq = s.seq) GROUP BY 1, 2",
            (start, end),
        )
