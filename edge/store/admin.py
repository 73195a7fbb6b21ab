"""SQL of running the station from the page: operators changed by a supervisor, each
change audited in the same transaction; the audit log read back with filters; shelves
and layers changed without a restart (edge.desk.layout says why they live here); parcels
moved between layers (移库)."""

from __future__ import annotations

import sqlite3
from typing import Any

from edge.store.base import Migration, StoreBase

MIGRATIONS: list[Migration] = [
    (
        "admin-001-layout-moves",
        """
        -- Shelves changed or added on the page; the config file's shelves are the seed.
        CREATE TABLE shelf_layout (
            shelf TEXT PRIMARY KEY,
            layers INTEGER NOT NULL CHECK (layers BETWEEN 1 AND 20),
            capacity INTEGER NOT NULL CHECK (capacity >= 1),
            updated_at TEXT NOT NULL
        ) WITHOUT ROWID;
        -- One layer's own capacity, or out of use (takes no new parcels).
        CREATE TABLE layer_settings (
            slot TEXT PRIMARY KEY,
            capacity INTEGER CHECK (capacity >= 0),
            out_of_use INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
        ) WITHOUT ROWID;
        -- Bumped by every layout change: a running scanner rebuilds its sorting when it
        -- differs from the one it built with (one small read per receive).
        CREATE TABLE layout_version (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            version INTEGER NOT NULL
        );
        INSERT INTO layout_version (id, version) VALUES (1, 0);
        -- A parcel put on another layer (移库). after_seq: its last scan then, so a parcel
        -- rebuilt from its scans (UNDO) keeps a move made after the scans it keeps.
        CREATE TABLE parcel_moves (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            waybill TEXT NOT NULL,
            after_seq INTEGER,
            from_slot TEXT,
            to_slot TEXT NOT NULL,
            old_code TEXT,
            new_code TEXT,
            at TEXT NOT NULL,
            operator TEXT NOT NULL
        );
        """,
    ),
]


class AdminSQL(StoreBase):
    def admin_operator_add(
        self, operator_id: str, name: str, role: str, pin_hash: str, actor: str, at: str
    ) -> bool:
        """A new operator; False when the ID is taken (a PIN reset is its own action)."""
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO operators (id, name, role, pin_hash, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                (operator_id, name, role, pin_hash, at),
            )
            if cur.rowcount:
                self.audit("operator.add", actor, operator_id, name=name, role=role)
        return bool(cur.rowcount)

    def admin_operator_change(self, operator_id: str, actor: str, action: str,
                              value: Any = None) -> bool:  # fmt: skip
        """disable / enable / role (value: the role) / pin (value: the new hash). A
        disabled operator's page session ends at their next request."""
        updates = {
            "disable": ("active = 0", ()),
            "enable": ("active = 1, failed_pins = 0, locked_until = NULL", ()),
            "role": ("role = ?", (value,)),
            "pin": ("pin_hash = ?, failed_pins = 0, locked_until = NULL", (value,)),
        }
        sql, params = updates[action]
        with self.transaction():
            cur = self.conn.execute(
                f"UPDATE operators SET {sql} WHERE id = ?", (*params, operator_id)
            )
            if cur.rowcount:
                # Never the PIN hash: only that it changed.
                detail = {"role": value} if action == "role" else {}
                self.audit(f"operator.{action}", actor, operator_id, **detail)
        return bool(cur.rowcount)

    def admin_active_supervisors(self) -> int:
        row = self.one("SELECT COUNT(*) FROM operators WHERE role = 'supervisor' AND active = 1")
        return int(row[0]) if row else 0

    def admin_audit(
        self,
        actor: str | None = None,
        action: str | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int = 200,
    ) -> list[sqlite3.Row]:
        """Newest first. ``action`` matches a prefix ("operator." finds every change)."""
        sql, params = "SELECT * FROM audit WHERE 1 = 1", list[Any]()
        if actor:
            sql += " AND actor = ?"
            params.append(actor)
        if action:
            sql += " AND action LIKE ? ESCAPE '\\'"
            params.append(
                action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            )
        if since:
            sql += " AND at >= ?"
            params.append(since)
        if until:
            sql += " AND at < ?"
            params.append(until)
        return self.all(sql + " ORDER BY id DESC LIMIT ?", [*params, limit])

    def admin_audit_actions(self) -> list[str]:
        return [r[0] for r in self.all("SELECT DISTINCT action FROM audit ORDER BY action")]

    # --- shelves -----------------------------------------------------------------------

    def layout_version(self) -> int:
        row = self.one("SELECT version FROM layout_version WHERE id = 1")
        return int(row[0]) if row else 0

    def layout_shelves(self) -> list[sqlite3.Row]:
        return self.all("SELECT * FROM shelf_layout ORDER BY shelf")

    def layout_layers(self) -> list[sqlite3.Row]:
        return self.all("SELECT * FROM layer_settings ORDER BY slot")

    def layout_save_shelf(self, shelf: str, layers: int, capacity: int, actor: str,
                          at: str) -> None:  # fmt: skip
        """Joins the caller's transaction, where the shrink check was made."""
        with self.transaction():
            self.conn.execute(
                "INSERT INTO shelf_layout (shelf, layers, capacity, updated_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (shelf) DO UPDATE SET layers = excluded.layers,"
                " capacity = excluded.capacity, updated_at = excluded.updated_at",
                (shelf, layers, capacity, at),
            )
            self._layout_changed("shelf.save", actor, shelf, layers=layers, capacity=capacity)

    def layout_save_layer(self, slot: str, capacity: int | None, out_of_use: bool, actor: str,
                          at: str) -> None:  # fmt: skip
        with self.transaction():
            self.conn.execute(
                "INSERT INTO layer_settings (slot, capacity, out_of_use, updated_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (slot) DO UPDATE SET"
                " capacity = excluded.capacity, out_of_use = excluded.out_of_use,"
                " updated_at = excluded.updated_at",
                (slot, capacity, int(out_of_use), at),
            )
            self._layout_changed("layer.save", actor, slot, capacity=capacity,
                                 out_of_use=out_of_use)  # fmt: skip

    def _layout_changed(self, action: str, actor: str, subject: str, **detail: Any) -> None:
        self.conn.execute("UPDATE layout_version SET version = version + 1 WHERE id = 1")
        self.audit(action, actor, subject, **detail)

    def parcel_move(self, waybill: str, to_slot: str, new_code: str | None, actor: str,
                    at: str) -> None:  # fmt: skip
        """Put an on-shelf parcel on another layer, keeping its pickup code unless a new
        one is given (the slot load triggers follow the parcel)."""
        with self.transaction():
            row = self.one(
                "SELECT shelf, pickup_code, last_seq FROM parcels WHERE waybill = ?", (waybill,)
            )
            old_slot, old_code, after = (row[0], row[1], row[2]) if row else (None, None, None)
            self.conn.execute(
                "UPDATE parcels SET shelf = ?, pickup_code = COALESCE(?, pickup_code),"
                " updated_at = ? WHERE waybill = ? AND state = 'on_shelf'",
                (to_slot, new_code, at, waybill),
            )
            self.conn.execute(
                "INSERT INTO parcel_moves (waybill, after_seq, from_slot, to_slot, old_code,"
                " new_code, at, operator) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (waybill, after, old_slot, to_slot, old_code, new_code, at, actor),
            )
            self.audit("parcel.move", actor, waybill, to=to_slot, new_code=new_code)

    def last_move(self, waybill: str) -> sqlite3.Row | None:
        return self.one(
            "SELECT * FROM parcel_moves WHERE waybill = ? ORDER BY id DESC LIMIT 1", (waybill,)
        )
