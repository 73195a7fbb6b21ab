"""SQL for health, metrics, retention and backup."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from edge.store.base import Migration
from edge.store.seq import SeqSQL

MIGRATIONS: list[Migration] = [
    (
        "appliance-001-state-and-counters",
        """
        -- Small facts the appliance keeps: last backup, last retention run, health probe.
        CREATE TABLE appliance_state (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );

        -- Reads by type and answer, for /metrics. Kept by a trigger rather than counted
        -- from reads, so they stay counters (never go down) when retention deletes rows
        -- and a scrape costs nothing on a million rows.
        CREATE TABLE appliance_read_counts (
            type TEXT NOT NULL,
            status TEXT NOT NULL,
            n INTEGER NOT NULL,
            PRIMARY KEY (type, status)
        ) WITHOUT ROWID;
        INSERT INTO appliance_read_counts (type, status, n)
            SELECT coalesce(type, kind), status, count(*) FROM reads GROUP BY 1, 2;
        CREATE TRIGGER appliance_count_reads AFTER INSERT ON reads
        BEGIN
            INSERT INTO appliance_read_counts (type, status, n)
                VALUES (coalesce(NEW.type, NEW.kind), NEW.status, 1)
                ON CONFLICT (type, status) DO UPDATE SET n = n + 1;
        END;

        -- Photos whose file retention deleted (head office holds them); the photos row
        -- stays, as scans refer to it.
        CREATE TABLE appliance_pruned_photos (
            sha256 TEXT PRIMARY KEY REFERENCES photos (sha256),
            pruned_at TEXT NOT NULL
        );
        """,
    ),
]

# Rows deleted per transaction, so the scanner never waits long for the write lock.
DELETE_CHUNK = 2000


class ApplianceSQL(SeqSQL):
    def set_appliance_state(self, key: str, value: str, at: str) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO appliance_state (key, value, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
                " updated_at = excluded.updated_at",
                (key, value, at),
            )

    def health_probe(self, at: str) -> None:
        """Raise StoreError unless the database can both take a write and grow.

        The write catches a read-only or failing card; the rolled-back allocation of a
        few pages catches a database that can no longer grow, which a small in-place
        update would not notice.
        """
        with self.transaction():
            self.conn.execute("SAVEPOINT appliance_room")
            # On failure SQLite may have rolled everything back already: transaction()
            # cleans up; only a successful allocation is given back here.
            self.conn.execute(
                "INSERT INTO appliance_state (key, value, updated_at)"
                " VALUES ('room_probe', hex(randomblob(4096)), ?)",
                (at,),
            )
            self.conn.execute("ROLLBACK TO appliance_room")
            self.conn.execute("RELEASE appliance_room")
            self.conn.execute(
                "INSERT INTO appliance_state (key, value, updated_at)"
                " VALUES ('health_probe', 'ok', ?)"
                " ON CONFLICT (key) DO UPDATE SET updated_at = excluded.updated_at",
                (at,),
            )

    def appliance_state(self, key: str) -> sqlite3.Row | None:
        return self.one("SELECT value, updated_at FROM appliance_state WHERE key = ?", (key,))

    def read_counts(self) -> list[sqlite3.Row]:
        """(type, status, n): every read since the station was installed."""
        return self.all("SELECT type, status, n FROM appliance_read_counts ORDER BY type, status")

    def photos_held_since(self, cutoff: str) -> list[sqlite3.Row]:
        """Photos head office has held since before ``cutoff`` (RFC 3339), not yet pruned."""
        return self.all(
            "SELECT p.sha256, p.path FROM photos p"
            " LEFT JOIN appliance_pruned_photos x ON x.sha256 = p.sha256"
            " WHERE p.uploaded_at IS NOT NULL AND x.sha256 IS NULL"
            " AND julianday(p.uploaded_at) < julianday(?)",
            (cutoff,),
        )

    def mark_photo_pruned(self, sha256: str, at: str) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT OR IGNORE INTO appliance_pruned_photos (sha256, pruned_at) VALUES (?, ?)",
                (sha256, at),
            )

    def photo_pruned(self, sha256: str) -> bool:
        """True when retention deleted the file because head office holds the photo."""
        row = self.one("SELECT 1 FROM appliance_pruned_photos WHERE sha256 = ?", (sha256,))
        return row is not None

    def unlinked_photos(self, created_before: str) -> list[sqlite3.Row]:
        """Photo rows no scan names, made before ``created_before``: a refused or cut-off
        request stored them, or retention deleted their scan."""
        return self.all(
            "SELECT p.sha256, p.path FROM photos p WHERE julianday(p.created_at) < julianday(?)"
            " AND NOT EXISTS (SELECT 1 FROM scan_photos s WHERE s.sha256 = p.sha256)",
            (created_before,),
        )

    def photo_shas(self) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT sha256 FROM photos")}

    def forget_photos(self, shas: list[str]) -> None:
        """Delete photo rows, unless a scan took one up meanwhile."""
        with self.transaction():
            for sha in shas:
                self.conn.execute("DELETE FROM appliance_pruned_photos WHERE sha256 = ?", (sha,))
                self.conn.execute(
                    "DELETE FROM photos WHERE sha256 = ?"
                    " AND NOT EXISTS (SELECT 1 FROM scan_photos s WHERE s.sha256 = ?)",
                    (sha, sha),
                )

    def delete_sent_scans(self, cutoff: str) -> int:
        """Delete scans head office accepted before ``cutoff``; never pending or rejected ones."""
        return self._delete_in_chunks(
            "SELECT seq FROM scan_sync WHERE state = 'sent' AND seq > ?"
            " AND julianday(updated_at) < julianday(?) ORDER BY seq LIMIT ?",
            "DELETE FROM scans WHERE seq IN ({})",
            cutoff,
        )

    def delete_old_reads(self, cutoff: str) -> int:
        """Delete journal lines older than ``cutoff`` whose scan is gone or never was."""
        return self._delete_in_chunks(
            "SELECT r.id FROM reads r LEFT JOIN scans s ON s.seq = r.seq"
            " WHERE r.id > ? AND s.seq IS NULL AND julianday(r.at) < julianday(?)"
            " ORDER BY r.id LIMIT ?",
            "DELETE FROM reads WHERE id IN ({})",
            cutoff,
        )

    def _delete_in_chunks(self, select: str, delete: str, cutoff: str) -> int:
        """Walk the keys upwards with a cursor, so each row is looked at once however many
        recent rows stay; each chunk is its own short transaction."""
        total, cursor = 0, 0
        while True:
            with self.transaction():
                keys = [r[0] for r in self.all(select, (cursor, cutoff, DELETE_CHUNK))]
                if keys:
                    marks = ",".join("?" * len(keys))
                    self.conn.execute(delete.format(marks), keys)
            total += len(keys)
            if len(keys) < DELETE_CHUNK:
                return total
            cursor = keys[-1]

    def backup_to(self, target: Path) -> None:
        """A consistent, compact copy of the live database (writers go on meanwhile)."""
        self.conn.execute("VACUUM INTO ?", (str(target),))

    def restore_from(self, source: Path) -> None:
        """Replace this database's content with ``source``'s, through SQLite's own locking.

        Scan numbers handed out since that backup stay used: head office already holds
        some of them, so numbering carries on above the higher of the two.
        """
        high_water = self.seq_high_water()
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            src.backup(self.conn)
        finally:
            src.close()
            self.forget_cached()
        self.raise_seq_floor(high_water)
