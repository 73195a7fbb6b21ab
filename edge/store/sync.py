"""SQL for the uploader: unsent scans, results, retry state, sync status."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from edge.store.base import Migration, StoreBase
from sync.clock import SyncPoint, corrected

MIGRATIONS: list[Migration] = [
    (
        "sync-001-state",
        """
        -- One row: the uploader's retry state and what the page shows about sync.
        -- Times the uploader compares are Unix seconds; the others are RFC 3339 text.
        CREATE TABLE sync_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL,
            last_attempt_at TEXT,
            last_success_at TEXT,
            last_error TEXT,
            last_error_at TEXT,
            blocked_reason TEXT,
            manifest_cursor TEXT,
            manifest_next_at REAL,
            updated_at TEXT
        );
        INSERT INTO sync_state (id) VALUES (1);

        -- Wall and monotonic clocks read together once the clock was synced in a boot:
        -- scans recorded earlier in that boot are corrected from it when sent.
        CREATE TABLE clock_sync_points (
            boot_id TEXT PRIMARY KEY,
            wall_at_sync TEXT NOT NULL,
            mono_at_sync INTEGER NOT NULL,
            recorded_at TEXT NOT NULL
        );
        """,
    ),
    (
        "sync-002-manifest-consent-receipt",
        """
        -- Contract version 6: whether the recipient agreed to collection at a station
        -- (a parcel without it is received, amber, and the courier called), and the signed
        -- receipt (回单) the sender wants back, in edge.service.receipts' notation, with
        -- the hops that set its due date.
        ALTER TABLE manifest ADD COLUMN consent TEXT NOT NULL DEFAULT 'unknown'
            CHECK (consent IN ('yes', 'no', 'unknown'));
        ALTER TABLE manifest ADD COLUMN receipt TEXT;
        ALTER TABLE manifest ADD COLUMN hops INTEGER;
        """,
    ),
]

_STATE_FIELDS = (
    "attempts",
    "next_attempt_at",
    "last_attempt_at",
    "last_success_at",
    "last_error",
    "last_error_at",
    "blocked_reason",
    "manifest_cursor",
    "manifest_next_at",
)


def _true_time(row: sqlite3.Row) -> datetime | None:
    """A scan's time, corrected from its boot's sync point when recorded unsynced."""
    try:
        scanned = datetime.fromisoformat(row["scanned_at"])
        if row["clock_synced"]:
            return scanned
        if row["wall_at_sync"] is None:
            return None
        point = SyncPoint(datetime.fromisoformat(row["wall_at_sync"]), row["mono_at_sync"])
        return corrected(point, row["mono_ns"])
    except (TypeError, ValueError):
        return None


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class SyncSQL(StoreBase):
    # -- scans to send ----------------------------------------------------------------
    def unsent_scans(self, limit: int, after_seq: int = 0) -> list[sqlite3.Row]:
        """The oldest pending scans after ``after_seq``, in seq order, each with its photos
        ("sha,sha" or None)."""
        return self.all(
            """
            SELECT s.*, (
                SELECT group_concat(sha256, ',') FROM (
                    SELECT sha256 FROM scan_photos p WHERE p.seq = s.seq ORDER BY p.rowid)
            ) AS photos
            FROM scan_sync y JOIN scans s ON s.seq = y.seq
            WHERE y.state = 'pending' AND y.seq > ?
            ORDER BY y.seq
            LIMIT ?
            """,
            (after_seq, limit),
        )

    def apply_sync_results(
        self, results: Iterable[tuple[int, str, str | None]], *, at: str | None = None
    ) -> None:
        """Record head office's answers in one transaction: (seq, "sent"|"rejected", reason).

        A scan undone while it was on its way is marked sent too: head office holds it.
        """
        at = at or _utc_now()
        results = list(results)
        sent = [seq for seq, state, _ in results if state == "sent"]
        rejected = [(reason, at, seq) for seq, state, reason in results if state == "rejected"]
        with self.transaction() as conn:
            # One statement per 500 sent scans: far cheaper than one per scan.
            for i in range(0, len(sent), 500):
                chunk = sent[i : i + 500]
                marks = ",".join("?" * len(chunk))
                conn.execute(
                    "UPDATE scan_sync SET state = 'sent', reason = NULL, updated_at = ?"
                    f" WHERE state IN ('pending', 'withheld') AND seq IN ({marks})",
                    [at, *chunk],
                )
            conn.executemany(
                "UPDATE scan_sync SET state = 'rejected', reason = ?, updated_at = ?"
                " WHERE seq = ? AND state = 'pending'",
                rejected,
            )
            conn.execute(
                "UPDATE sync_state SET attempts = 0, next_attempt_at = NULL, blocked_reason = NULL,"
                " last_success_at = ?, last_attempt_at = ?, updated_at = ? WHERE id = 1",
                (at, at, at),
            )

    def rejected_scans(self, limit: int = 200) -> list[dict[str, Any]]:
        """Scans head office refused, set aside for staff with the reason."""
        rows = self.all(
            """
            SELECT s.seq, s.event_id, s.type, s.waybill, s.scanned_at, s.device, y.reason,
                   y.updated_at
            FROM scan_sync y JOIN scans s ON s.seq = y.seq
            WHERE y.state = 'rejected' ORDER BY y.seq LIMIT ?
            """,
            (limit,),
        )
        return [dict(r) for r in rows]

    def retry_rejected_scan(self, event_id: str, actor: str = "cli") -> str:
        """Put a rejected scan back in the queue; returns its state before ("" if unknown)."""
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT y.seq, y.state FROM scans s JOIN scan_sync y ON y.seq = s.seq"
                " WHERE s.event_id = ?",
                (event_id,),
            ).fetchone()
            if row is None:
                return ""
            if row["state"] == "rejected":
                at = _utc_now()
                conn.execute(
                    "UPDATE scan_sync SET state = 'pending', reason = NULL, updated_at = ?"
                    " WHERE seq = ?",
                    (at, row["seq"]),
                )
                conn.execute(
                    "INSERT INTO audit (at, actor, action, subject, detail)"
                    " VALUES (?, ?, 'sync.retry', ?, ?)",
                    (at, actor, event_id, json.dumps({"seq": row["seq"]})),
                )
            return str(row["state"])

    # -- retry state -------------------------------------------------------------------
    def sync_state(self) -> dict[str, Any]:
        row = self.one("SELECT * FROM sync_state WHERE id = 1")
        return dict(row) if row else {}

    def update_sync_state(self, **fields: Any) -> None:
        unknown = set(fields) - set(_STATE_FIELDS)
        if unknown:
            raise ValueError(f"not a sync_state field: {', '.join(sorted(unknown))}")
        fields["updated_at"] = _utc_now()
        sets = ", ".join(f"{name} = :{name}" for name in fields)
        with self.transaction() as conn:
            conn.execute(f"UPDATE sync_state SET {sets} WHERE id = 1", fields)

    def record_sync_failure(self, error: str, *, attempts: int, next_attempt_at: float) -> None:
        at = _utc_now()
        self.update_sync_state(
            attempts=attempts,
            next_attempt_at=next_attempt_at,
            last_attempt_at=at,
            last_error=error,
            last_error_at=at,
        )

    def record_side_failure(self, error: str) -> None:
        """A failure that holds no scan up (photos, manifest): shown in the status only."""
        self.update_sync_state(last_error=error, last_error_at=_utc_now())

    # -- status ------------------------------------------------------------------------
    def sync_status(self, now: datetime | None = None) -> dict[str, Any]:
        """What the page and `station status` show about sync to head office."""
        now = now or datetime.now(UTC)
        counts = {
            r["state"]: r["n"]
            for r in self.all("SELECT state, count(*) AS n FROM scan_sync GROUP BY state")
        }
        oldest = self.one(
            "SELECT s.scanned_at, s.clock_synced, s.mono_ns, p.wall_at_sync, p.mono_at_sync"
            " FROM scan_sync y JOIN scans s ON s.seq = y.seq"
            " LEFT JOIN clock_sync_points p ON p.boot_id = s.boot_id"
            " WHERE y.state = 'pending' ORDER BY y.seq LIMIT 1"
        )
        age = None
        if oldest is not None:
            scanned = _true_time(oldest)
            # An unsynced time that cannot be corrected (1970 …) has no meaningful age.
            if scanned is not None:
                age = max(0.0, (now - scanned).total_seconds())
        photos = self.one(
            "SELECT sum(uploaded_at IS NULL AND upload_error IS NULL) AS waiting,"
            " sum(upload_error IS NOT NULL) AS failed FROM photos"
        )
        state = self.sync_state()
        next_at = state.get("next_attempt_at")
        return {
            "backlog": counts.get("pending", 0),
            "sent": counts.get("sent", 0),
            "rejected": counts.get("rejected", 0),
            "withheld": counts.get("withheld", 0),
            "oldest_unsent_age_s": None if age is None else round(age, 1),
            "last_success_at": state.get("last_success_at"),
            "last_attempt_at": state.get("last_attempt_at"),
            "last_error": state.get("last_error"),
            "last_error_at": state.get("last_error_at"),
            "failing": bool(state.get("attempts")),
            "attempts": state.get("attempts", 0),
            "blocked_reason": state.get("blocked_reason"),
            "next_attempt_at": (
                datetime.fromtimestamp(next_at, UTC).isoformat(timespec="seconds")
                if next_at
                else None
            ),
            "photos_waiting": (photos["waiting"] or 0) if photos else 0,
            "photos_failed": (photos["failed"] or 0) if photos else 0,
        }

    # -- clock -------------------------------------------------------------------------
    def record_clock_sync_point(self, boot_id: str, wall_at_sync: str, mono_at_sync: int) -> bool:
        """Keep the first synced reading of a boot; True when this one was new."""
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO clock_sync_points (boot_id, wall_at_sync, mono_at_sync, recorded_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (boot_id) DO NOTHING",
                (boot_id, wall_at_sync, mono_at_sync, _utc_now()),
            )
            return cur.rowcount == 1

    def clock_sync_points(self, boot_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
        """boot_id -> (wall_at_sync, mono_at_sync) for those boots that synced."""
        ids = list(dict.fromkeys(boot_ids))
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.all(
            f"SELECT boot_id, wall_at_sync, mono_at_sync FROM clock_sync_points"
            f" WHERE boot_id IN ({marks})",
            ids,
        )
        return {r["boot_id"]: (r["wall_at_sync"], r["mono_at_sync"]) for r in rows}

    # -- photos ------------------------------------------------------------------------
    def photos_to_upload(self, limit: int = 20) -> list[sqlite3.Row]:
        """Photos of scans head office already holds, not yet uploaded nor failed."""
        return self.all(
            """
            SELECT p.sha256, p.path, p.size FROM photos p
            WHERE p.uploaded_at IS NULL AND p.upload_error IS NULL AND EXISTS (
                SELECT 1 FROM scan_photos sp JOIN scan_sync y ON y.seq = sp.seq
                WHERE sp.sha256 = p.sha256 AND y.state = 'sent')
            ORDER BY p.created_at, p.sha256 LIMIT ?
            """,
            (limit,),
        )

    def mark_photo_uploaded(self, sha256: str, at: str | None = None) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE photos SET uploaded_at = ?, upload_error = NULL WHERE sha256 = ?",
                (at or _utc_now(), sha256),
            )

    def mark_photo_failed(self, sha256: str, error: str) -> None:
        """A photo that cannot be sent (missing, corrupt, refused): reported, not retried."""
        with self.transaction() as conn:
            conn.execute("UPDATE photos SET upload_error = ? WHERE sha256 = ?", (error, sha256))

    def failed_photos(self) -> list[dict[str, Any]]:
        rows = self.all(
            "SELECT sha256, path, upload_error FROM photos WHERE upload_error IS NOT NULL"
            " ORDER BY created_at"
        )
        return [dict(r) for r in rows]

    # -- manifest ----------------------------------------------------------------------
    def received_without_consent(self, start: str, end: str) -> int:
        """Receives between two local ISO times, not undone, of parcels whose manifest
        says the recipient did not agree to a station (the courier was to be called)."""
        row = self.one(
            "SELECT COUNT(*) FROM scans s JOIN manifest m ON m.waybill = s.waybill"
            " WHERE s.type = 'receive' AND s.scanned_at >= ? AND s.scanned_at < ?"
            " AND m.consent = 'no'"
            " AND NOT EXISTS (SELECT 1 FROM scan_undos u WHERE u.seq = s.seq)",
            (start, end),
        )
        return int(row[0]) if row else 0

    def upsert_manifest(self, parcels: Iterable[dict[str, Any]], *, at: str | None = None) -> int:
        at = at or _utc_now()
        rows = [
            (
                p["waybill"],
                p.get("carrier"),
                p.get("phone_last4"),
                p.get("recipient_masked"),
                p.get("declared_weight_g"),
                1 if p.get("valuable") else 0,
                p.get("consent") or "unknown",
                p.get("receipt"),
                p.get("hops"),
                at,
            )
            for p in parcels
        ]
        with self.transaction() as conn:
            conn.executemany(
                """
                INSERT INTO manifest (waybill, carrier, phone_last4, recipient_masked,
                                      declared_weight_g, valuable, consent, receipt, hops,
                                      fetched_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (waybill) DO UPDATE SET
                    carrier = excluded.carrier, phone_last4 = excluded.phone_last4,
                    recipient_masked = excluded.recipient_masked,
                    declared_weight_g = excluded.declared_weight_g,
                    valuable = excluded.valuable, consent = excluded.consent,
                    receipt = excluded.receipt, hops = excluded.hops,
                    fetched_at = excluded.fetched_at
                """,
                rows,
            )
        return len(rows)
