"""SQL for guns and scales: connection state and live weights the page reads, and the
tare/zero requests the scanning process carries out (it alone owns the serial port)."""

from __future__ import annotations

import sqlite3

from edge.store.base import Migration, StoreBase

MIGRATIONS: list[Migration] = [
    (
        "devices-001-state",
        """
        -- One row per configured gun or scale, kept by the scanning process.
        -- state: connected, disconnected (unplugged or not found) or silent (a scale that
        -- is open but sends nothing). since: when state last changed.
        CREATE TABLE devices (
            name TEXT PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('gun', 'scale')),
            state TEXT NOT NULL CHECK (state IN ('connected', 'disconnected', 'silent')),
            path TEXT,
            detail TEXT,
            since TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            last_code TEXT,
            last_code_at TEXT,
            weight_g INTEGER,
            weight_flags TEXT,
            weight_at TEXT,
            stable_g INTEGER,
            stable_at TEXT
        );

        -- Tare/zero asked for by the CLI or the page, done by the scanning process.
        CREATE TABLE device_commands (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            device TEXT NOT NULL,
            command TEXT NOT NULL CHECK (command IN ('tare', 'zero')),
            requested_at TEXT NOT NULL,
            requested_by TEXT,
            done_at TEXT,
            ok INTEGER,
            detail TEXT
        );
        CREATE INDEX device_commands_pending ON device_commands (done_at, id);
        """,
    ),
]


class DeviceSQL(StoreBase):
    def set_device_state(
        self, name: str, kind: str, state: str, at: str, *, path: str | None, detail: str | None
    ) -> None:
        """Record a gun's or scale's state; ``since`` moves only when the state changes."""
        with self.transaction():
            self.conn.execute(
                "INSERT INTO devices (name, kind, state, path, detail, since, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET"
                "  since = CASE WHEN state = excluded.state THEN since ELSE excluded.since END,"
                "  kind = excluded.kind, state = excluded.state, path = excluded.path,"
                "  detail = excluded.detail, updated_at = excluded.updated_at",
                (name, kind, state, path, detail, at, at),
            )

    def set_device_code(self, name: str, code: str, at: str) -> None:
        with self.transaction():
            self.conn.execute(
                "UPDATE devices SET last_code = ?, last_code_at = ? WHERE name = ?",
                (code, at, name),
            )

    def set_scale_weight(
        self,
        name: str,
        at: str,
        *,
        weight_g: int | None,
        flags: str,
        stable_g: int | None = None,
        stable_at: str | None = None,
    ) -> None:
        """The live reading; with ``stable_at`` also the latest stable weight."""
        with self.transaction():
            self.conn.execute(
                "UPDATE devices SET weight_g = ?, weight_flags = ?, weight_at = ?,"
                " stable_g = CASE WHEN ? IS NULL THEN stable_g ELSE ? END,"
                " stable_at = COALESCE(?, stable_at)"
                " WHERE name = ?",
                (weight_g, flags, at, stable_at, stable_g, stable_at, name),
            )

    def clear_scale_weight(self, name: str) -> None:
        with self.transaction():
            self.conn.execute(
                "UPDATE devices SET weight_g = NULL, weight_flags = NULL, weight_at = NULL,"
                " stable_g = NULL, stable_at = NULL WHERE name = ?",
                (name,),
            )

    def forget_devices_except(self, names: list[str]) -> None:
        """Drop rows of guns and scales no longer in the config."""
        marks = ",".join("?" * len(names))
        with self.transaction():
            self.conn.execute(f"DELETE FROM devices WHERE name NOT IN ({marks})", names)

    def devices(self) -> list[sqlite3.Row]:
        return self.all("SELECT * FROM devices ORDER BY kind, name")

    def device(self, name: str) -> sqlite3.Row | None:
        return self.one("SELECT * FROM devices WHERE name = ?", (name,))

    def request_device_command(
        self, device: str, command: str, at: str, by: str | None = None
    ) -> int:
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO device_commands (device, command, requested_at, requested_by)"
                " VALUES (?, ?, ?, ?)",
                (device, command, at, by),
            )
            return int(cur.lastrowid or 0)

    def pending_device_commands(self) -> list[sqlite3.Row]:
        return self.all("SELECT * FROM device_commands WHERE done_at IS NULL ORDER BY id")

    def finish_device_command(self, command_id: int, ok: bool, detail: str, at: str) -> None:
        with self.transaction():
            self.conn.execute(
                "UPDATE device_commands SET done_at = ?, ok = ?, detail = ? WHERE id = ?",
                (at, int(ok), detail, command_id),
            )

    def device_command(self, command_id: int) -> sqlite3.Row | None:
        return self.one("SELECT * FROM device_commands WHERE id = ?", (command_id,))
