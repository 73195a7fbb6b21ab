"""SQL of running the station from the page: operators changed by a supervisor, each
change audited in the same transaction, and the audit log read back with filters."""

from __future__ import annotations

import sqlite3
from typing import Any

from edge.store.base import StoreBase


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
