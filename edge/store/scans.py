"""SQL of the scan core: reads, scans, parcels, desks, pickup codes, operators, audit."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from edge.store.seq import SeqSQL

SCAN_COLUMNS = (
    "event_id", "type", "waybill", "carrier", "scanned_at", "boot_id", "mono_ns",
    "clock_synced", "device", "operator", "weight_g", "shelf", "pickup_code", "phone_last4",
    "dispatch_reason", "problem_code", "signer_relation", "signer_id_last4", "note",
)  # fmt: skip
READ_COLUMNS = (
    "at", "boot_id", "mono_ns", "device", "operator", "raw", "code", "kind", "type", "status",
    "message_key", "message_zh", "message_en", "event_id", "seq", "waybill", "carrier", "shelf",
    "pickup_code", "weight_g", "warnings",
)  # fmt: skip
PARCEL_COLUMNS = (
    "waybill", "carrier", "state", "shelf", "pickup_code", "phone_last4", "recipient_masked",
    "declared_weight_g", "weight_g", "valuable", "problem_code", "dispatch_reason",
    "received_at", "received_seq", "updated_at", "last_seq",
)  # fmt: skip


def new_event_id() -> str:
    """A time-ordered UUID (version 7: 48-bit milliseconds, then random bits). New ids land
    at the end of the event_id index instead of a random page of it. Formatted here rather
    than with uuid and secrets, whose imports (hashlib's OpenSSL) slowed every cold start."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10))
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"
    )


_PARCEL_PLACE = "SELECT state, shelf FROM parcels WHERE waybill = ?"
_COUNT_LOADS = (
    "SELECT shelf, COUNT(*) FROM parcels WHERE state = 'on_shelf' AND shelf IS NOT NULL"
    " GROUP BY shelf"
)
# "Read it from the table": the old place of a parcel when the caller did not give it.
_READ: Any = object()
_INSERT_SCAN = _insert_sql("scans", SCAN_COLUMNS)
_INSERT_READ = _insert_sql("reads", READ_COLUMNS)
_UPSERT_PARCEL = _insert_sql("parcels", PARCEL_COLUMNS) + (
    " ON CONFLICT (waybill) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in PARCEL_COLUMNS if c != "waybill")
)


class ScanSQL(SeqSQL):
    _slot_loads: dict[str, int] | None = None
    _slot_loads_version = 0

    # --- the hot path of a scan (called inside one transaction) ---

    def last_read(self, device: str) -> sqlite3.Row | None:
        return self.one(
            "SELECT code, type, boot_id, mono_ns FROM reads WHERE device = ?"
            " ORDER BY id DESC LIMIT 1",
            (device,),
        )

    def parcel(self, waybill: str) -> sqlite3.Row | None:
        return self.one("SELECT * FROM parcels WHERE waybill = ?", (waybill,))

    def manifest_entry(self, waybill: str) -> sqlite3.Row | None:
        return self.one("SELECT * FROM manifest WHERE waybill = ?", (waybill,))

    def slot_loads(self) -> dict[str, int]:
        """Parcels on the shelves per slot. Call inside the write transaction.

        Kept in memory rather than in a trigger-kept table, which cost a b-tree write per
        scan. Counted from the on-shelf parcels (a covering index) when first asked; this
        connection's own parcel writes update it as they happen; a commit by any other
        process changes ``PRAGMA data_version``, and then it is counted again. Do not
        change the returned dict.
        """
        version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        if self._slot_loads is None or version != self._slot_loads_version:
            cur = self.conn.cursor()
            cur.row_factory = None
            self._slot_loads = dict(cur.execute(_COUNT_LOADS))
            self._slot_loads_version = version
        return self._slot_loads

    def forget_cached(self) -> None:
        self._slot_loads = None
        super().forget_cached()

    def _move_load(
        self, waybill: str, new: tuple[str, str | None] | None, old: Any = _READ
    ) -> None:
        """Apply a parcel's move (state, shelf) to the in-memory slot loads; call before
        the parcel row is written, as the old row is read here unless ``old`` is given."""
        loads = self._slot_loads
        if loads is None:
            return
        if old is _READ:
            row = self.conn.execute(_PARCEL_PLACE, (waybill,)).fetchone()
            old = (row[0], row[1]) if row else None
        if old == new:
            return
        if old is not None and old[0] == "on_shelf" and old[1] is not None:
            loads[old[1]] = loads.get(old[1], 0) - 1
        if new is not None and new[0] == "on_shelf" and new[1] is not None:
            loads[new[1]] = loads.get(new[1], 0) + 1

    def slot_of_recipient(self, phone_last4: str) -> str | None:
        row = self.one(
            "SELECT shelf FROM parcels WHERE phone_last4 = ? AND state = 'on_shelf'"
            " ORDER BY received_seq DESC LIMIT 1",
            (phone_last4,),
        )
        return row[0] if row else None

    def next_pickup_seq(self, day: str) -> int:
        row = self.one(
            "INSERT INTO pickup_counters (day, value) VALUES (?, 1)"
            " ON CONFLICT (day) DO UPDATE SET value = value + 1 RETURNING value",
            (day,),
        )
        assert row is not None
        return int(row[0])

    def pickup_code_taken(self, code: str) -> bool:
        return (
            self.one("SELECT 1 FROM parcels WHERE pickup_code = ? AND state = 'on_shelf'", (code,))
            is not None
        )

    def insert_scan(self, scan: dict[str, Any], photos: tuple[str, ...] = ()) -> tuple[int, str]:
        """Append a scan, pending for sync; returns (seq, event_id)."""
        row = dict.fromkeys(SCAN_COLUMNS)
        row.update(scan)
        row["event_id"] = row["event_id"] or new_event_id()
        cur = self.conn.execute(_INSERT_SCAN, row)
        seq = int(cur.lastrowid or 0)
        self.conn.execute("INSERT INTO scan_sync (seq) VALUES (?)", (seq,))
        for sha in photos:
            self.conn.execute("INSERT INTO scan_photos (seq, sha256) VALUES (?, ?)", (seq, sha))
        return seq, str(row["event_id"])

    def save_parcel(self, parcel: dict[str, Any], stored: Any = _READ) -> None:
        """Write ``parcel``; ``stored``: its (state, shelf) as read in this transaction,
        None when it had no row (saves reading it again on the scan path)."""
        self._move_load(parcel["waybill"], (parcel["state"], parcel["shelf"]), stored)
        self.conn.execute(_UPSERT_PARCEL, parcel)

    def delete_parcel(self, waybill: str) -> None:
        self._move_load(waybill, None)
        self.conn.execute("DELETE FROM parcels WHERE waybill = ?", (waybill,))

    def insert_read(self, read: dict[str, Any]) -> int:
        row = dict.fromkeys(READ_COLUMNS)
        row.update(read)
        if isinstance(row["warnings"], list):
            row["warnings"] = json.dumps(row["warnings"]) if row["warnings"] else None
        cur = self.conn.execute(_INSERT_READ, row)
        return int(cur.lastrowid or 0)

    # --- desks ---

    def desk_row(self, device: str) -> sqlite3.Row | None:
        return self.one("SELECT * FROM desks WHERE device = ?", (device,))

    def save_desk(self, desk: dict[str, Any]) -> None:
        self.conn.execute(
            "INSERT INTO desks (device, mode, operator, dispatch_reason, problem_code, carrier,"
            " updated_at) VALUES (:device, :mode, :operator, :dispatch_reason, :problem_code,"
            " :carrier, :updated_at) ON CONFLICT (device) DO UPDATE SET mode = excluded.mode,"
            " operator = excluded.operator, dispatch_reason = excluded.dispatch_reason,"
            " problem_code = excluded.problem_code, carrier = excluded.carrier,"
            " updated_at = excluded.updated_at",
            desk,
        )

    # --- undo ---

    def scan_row(self, seq: int) -> sqlite3.Row | None:
        return self.one(
            "SELECT s.*, y.state AS sync_state, u.at AS undone_at FROM scans s"
            " LEFT JOIN scan_sync y ON y.seq = s.seq LEFT JOIN scan_undos u ON u.seq = s.seq"
            " WHERE s.seq = ?",
            (seq,),
        )

    def last_scan_seq(self, device: str) -> int | None:
        # No index on device: walking back from the newest scan finds it within a few rows.
        row = self.one(
            "SELECT s.seq FROM scans s WHERE s.device = ?"
            " AND NOT EXISTS (SELECT 1 FROM scan_undos u WHERE u.seq = s.seq)"
            " ORDER BY s.seq DESC LIMIT 1",
            (device,),
        )
        return int(row[0]) if row else None

    def mark_undone(self, seq: int, at: str, actor: str | None, reason: str | None) -> None:
        self.conn.execute(
            "INSERT INTO scan_undos (seq, at, actor, reason) VALUES (?, ?, ?, ?)",
            (seq, at, actor, reason),
        )
        # Not sent yet: head office never needs to see it.
        self.conn.execute(
            "UPDATE scan_sync SET state = 'withheld', updated_at = ?"
            " WHERE seq = ? AND state = 'pending'",
            (at, seq),
        )

    def live_scans(self, waybill: str) -> list[sqlite3.Row]:
        """A waybill's scans that were not undone, oldest first."""
        return self.all(
            "SELECT * FROM scans s WHERE waybill = ?"
            " AND NOT EXISTS (SELECT 1 FROM scan_undos u WHERE u.seq = s.seq) ORDER BY seq",
            (waybill,),
        )

    # --- audit and operators ---

    def operator(self, operator_id: str) -> sqlite3.Row | None:
        return self.one("SELECT * FROM operators WHERE id = ?", (operator_id,))

    def active_operators(self) -> list[sqlite3.Row]:
        return self.all("SELECT * FROM operators WHERE active = 1 ORDER BY id")

    def add_operator(self, operator_id: str, name: str, role: str, pin_hash: str) -> None:
        """Add an operator or replace their name, role and PIN."""
        now = datetime.now().astimezone().isoformat(timespec="seconds")
        with self.transaction():
            self.conn.execute(
                "INSERT INTO operators (id, name, role, pin_hash, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
                " role = excluded.role, pin_hash = excluded.pin_hash, failed_pins = 0,"
                " locked_until = NULL, active = 1",
                (operator_id, name, role, pin_hash, now),
            )
            self.audit("operator.add", None, operator_id, name=name, role=role)

    # --- reading back ---

    def history(self, waybill: str) -> list[sqlite3.Row]:
        """Every scan of a waybill with its sync and undo state, oldest first."""
        return self.all(
            "SELECT s.*, y.state AS sync_state, y.reason AS sync_reason, u.at AS undone_at,"
            " u.reason AS undo_reason FROM scans s LEFT JOIN scan_sync y ON y.seq = s.seq"
            " LEFT JOIN scan_undos u ON u.seq = s.seq WHERE s.waybill = ? ORDER BY s.seq",
            (waybill,),
        )

    def parcels_where(
        self, state: str | None = None, received_before: str | None = None, limit: int = 1000
    ) -> list[sqlite3.Row]:
        sql, params = "SELECT * FROM parcels WHERE 1 = 1", list[Any]()
        if state:
            sql += " AND state = ?"
            params.append(state)
        if received_before:
            sql += " AND received_at < ?"
            params.append(received_before)
        sql += " ORDER BY received_at, waybill LIMIT ?"
        params.append(limit)
        return self.all(sql, params)

    def find_parcels(self, text: str, limit: int = 50) -> list[sqlite3.Row]:
        """Parcels by waybill, pickup code (on the shelves) or phone last 4."""
        return self.all(
            "SELECT * FROM parcels WHERE waybill = :t"
            " UNION SELECT * FROM parcels WHERE pickup_code = :t AND state = 'on_shelf'"
            " UNION SELECT * FROM parcels WHERE phone_last4 = :t AND state = 'on_shelf'"
            " LIMIT :n",
            {"t": text, "n": limit},
        )

    def scans_since(self, since: str | None) -> Iterator[sqlite3.Row]:
        sql = (
            "SELECT s.*, y.state AS sync_state FROM scans s LEFT JOIN scan_sync y ON y.seq = s.seq"
        )
        params: tuple[str, ...] = ()
        if since:
            sql += " WHERE s.scanned_at >= ?"
            params = (since,)
        yield from self.conn.execute(sql + " ORDER BY s.seq", params)

    def daily_counts(self, start: str, end: str) -> list[sqlite3.Row]:
        """Scans per carrier and type between two local ISO times, undone ones left out."""
        return self.all(
            "SELECT COALESCE(carrier, '') AS carrier, type, COUNT(*) AS n FROM scans s"
            " WHERE scanned_at >= ? AND scanned_at < ?"
            " AND NOT EXISTS (SELECT 1 FROM scan_undos u WHERE u.seq = s.seq)"
            " GROUP BY 1, 2",
            (start, end),
        )

    def on_shelf_by_carrier(self) -> list[sqlite3.Row]:
        return self.all(
            "SELECT COALESCE(carrier, '') AS carrier, COUNT(*) AS n FROM parcels"
            " WHERE state = 'on_shelf' GROUP BY 1"
        )
