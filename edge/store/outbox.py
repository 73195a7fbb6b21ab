"""SQL of the records that go to head office beside the scans (contract version 3) and of
the updates head office sends back. The records stay in their own areas' tables
(``edge.store.outbox_sources`` says where); this mixin reads them, marks exactly the
version head office answered for, keeps refused versions aside, and holds the job's
own retry state, so nothing here ever touches the scan queue."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from edge.store.base import Migration
from edge.store.notify import NotifySQL
from edge.store.outbox_sources import SOURCES
from edge.store.receipts import ReceiptSQL
from edge.store.sendings import SendingSQL
from edge.store.service import ServiceSQL

MIGRATIONS: list[Migration] = [
    (
        "outbox-001-state",
        """
        -- One row: the records job's retry state (Unix seconds where compared) and the
        -- cursor of head office's updates. unsupported_until: head office answered 404.
        CREATE TABLE outbox_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_at REAL,
            unsupported_until REAL,
            last_error TEXT,
            last_error_at TEXT,
            last_sent_at TEXT,
            updates_cursor TEXT,
            updates_next_at REAL
        );
        INSERT INTO outbox_state (id) VALUES (1);
        -- A version head office refused: kept aside with its reason, not resent; a
        -- later change of the record is a new version and goes.
        CREATE TABLE outbox_rejected (
            kind TEXT NOT NULL,
            id TEXT NOT NULL,
            version TEXT NOT NULL,
            stamp TEXT NOT NULL,  -- the source's version column, to skip it in SQL
            reason TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (kind, id, version)
        ) WITHOUT ROWID;
        """,
    ),
]

_STATE = (
    "attempts",
    "next_at",
    "unsupported_until",
    "last_error",
    "last_error_at",
    "last_sent_at",
    "updates_cursor",
    "updates_next_at",
)


@dataclass(frozen=True)
class OutboxRecord:
    kind: str
    id: str
    version: str
    body: dict[str, Any]
    photos: list[str]

    def item(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "version": self.version, "body": self.body}


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class OutboxSQL(ServiceSQL, ReceiptSQL, SendingSQL, NotifySQL):
    # --- records to send ----------------------------------------------------------------
    def _pending_sql(self, kind: str) -> str:
        s = SOURCES[kind]
        return (
            f"FROM {s.table} t WHERE t.sync_state = 'pending' AND t.{s.version} IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM outbox_rejected r WHERE r.kind = ?"
            f" AND r.id = CAST(t.{s.key} AS TEXT) AND r.stamp = t.{s.version})"
        )

    def _record(self, kind: str, row: sqlite3.Row) -> OutboxRecord:
        """A row as the contract sends it. The version is the row's own stamp plus a digest
        of the body: two changes within one second of the stamp are two versions."""
        s = SOURCES[kind]
        body, photos = s.body(self.conn, row)
        text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        return OutboxRecord(kind, str(row[s.key]), f"{row[s.version]}_{digest}", body, photos)

    def outbox_pending(self, kind: str, limit: int = 50) -> list[OutboxRecord]:
        """The oldest records of a kind head office does not hold in their latest version."""
        s = SOURCES[kind]
        rows = self.all(f"SELECT t.* {self._pending_sql(kind)} ORDER BY t.{s.key} LIMIT ?",
                        (kind, limit))  # fmt: skip
        return [self._record(kind, row) for row in rows]

    def outbox_counts(self) -> dict[str, int]:
        counts = {}
        for kind in SOURCES:
            row = self.one(f"SELECT COUNT(*) {self._pending_sql(kind)}", (kind,))
            counts[kind] = int(row[0]) if row else 0
        return counts

    def outbox_apply(self, answers: Iterable[tuple[str, str, str, str, str | None]]) -> None:
        """Head office's answers, in one transaction: (kind, id, version, status, reason).
        accepted/duplicate mark that version held (a newer one stays pending); rejected
        keeps the version aside with its reason."""
        at = _utc_now()
        with self.transaction() as conn:
            for kind, rid, version, status, reason in answers:
                s = SOURCES[kind]
                row = self.one(
                    f"SELECT * FROM {s.table} WHERE CAST({s.key} AS TEXT) = ?"
                    " AND sync_state = 'pending'",
                    (rid,),
                )
                # Changed since it was read for upload: the newer version stays pending.
                if row is None or self._record(kind, row).version != version:
                    continue
                if status == "rejected":
                    conn.execute(
                        "INSERT INTO outbox_rejected (kind, id, version, stamp, reason, at)"
                        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        (kind, rid, version, row[s.version], reason or "rejected", at),
                    )
                    continue
                # Held: refusals of its older versions are settled with it.
                conn.execute("DELETE FROM outbox_rejected WHERE kind = ? AND id = ?", (kind, rid))
                if s.done == "synced":
                    self.service_mark_synced(kind, [(row[s.key], row[s.version])])
                else:
                    conn.execute(
                        f"UPDATE {s.table} SET sync_state = 'sent', synced_at = ?"
                        f" WHERE {s.key} = ? AND sync_state = 'pending'",
                        (at, row[s.key]),
                    )
            conn.execute("UPDATE outbox_state SET last_sent_at = ? WHERE id = 1", (at,))

    def outbox_rejected(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self.all("SELECT * FROM outbox_rejected ORDER BY at DESC LIMIT ?", (limit,))
        return [dict(r) for r in rows]

    def outbox_retry(self, kind: str, rid: str, actor: str) -> int:
        """Forget head office's refusals of a record, so its current version goes again
        (after what it refused was fixed at head office). Audited."""
        with self.transaction() as conn:
            n = conn.execute(
                "DELETE FROM outbox_rejected WHERE kind = ? AND id = ?", (kind, rid)
            ).rowcount
            if n:
                self.audit("sync.retry_record", actor, f"{kind} {rid}", versions=n)
        return n

    def outbox_photos(self, shas: Sequence[str]) -> list[sqlite3.Row]:
        """Of these photos, those not yet at head office nor failed."""
        if not shas:
            return []
        marks = ", ".join("?" * len(shas))
        return self.all(
            f"SELECT sha256, path FROM photos WHERE sha256 IN ({marks})"
            " AND uploaded_at IS NULL AND upload_error IS NULL ORDER BY sha256",
            list(shas),
        )

    # --- the job's state -------------------------------------------------------------------
    def outbox_state(self) -> dict[str, Any]:
        row = self.one("SELECT * FROM outbox_state WHERE id = 1")
        return dict(row) if row else {}

    def outbox_set_state(self, **fields: Any) -> None:
        unknown = set(fields) - set(_STATE)
        if unknown:
            raise ValueError(f"not an outbox_state field: {', '.join(sorted(unknown))}")
        sets = ", ".join(f"{name} = :{name}" for name in fields)
        with self.transaction() as conn:
            conn.execute(f"UPDATE outbox_state SET {sets} WHERE id = 1", fields)

    def outbox_failure(self, error: str, **fields: Any) -> None:
        self.outbox_set_state(last_error=error, last_error_at=_utc_now(), **fields)

    # --- head office's updates -------------------------------------------------------------
    def outbox_apply_updates(self, updates: Sequence[dict[str, Any]], cursor: str) -> int:
        """Apply checked updates and move the cursor past them, in one transaction; an
        update for a record the station does not have (or already moved on) changes
        nothing. Returns how many changed something."""
        changed = 0
        with self.transaction() as conn:
            for u in updates:
                changed += self._apply_update(u["kind"], u["ref"], u["at"], u.get("body") or {})
            conn.execute("UPDATE outbox_state SET updates_cursor = ? WHERE id = 1", (cursor,))
        return changed

    def _apply_update(self, kind: str, ref: str, at: str, body: dict[str, Any]) -> bool:
        by = str(body.get("by") or "head-office")
        if kind == "receipt_confirm":
            return self.service_batch_confirm(int(ref), at, by)
        if kind == "sign_record":
            return self.service_sending_signed(ref, at, by)
        if kind == "notify_status":
            return self.notify_set_status(ref, at, body)
        return self._ticket_answer(int(ref), at, by, body["words"])

    def _ticket_answer(self, tid: int, at: str, by: str, words: str) -> bool:
        """Head office's answer: an open ticket becomes answered; one already moved on keeps
        its state and gains the answer in its history."""
        row = self.service_ticket(tid)
        if row is None:
            return False
        state = row["state"]
        fields = {"state": "answered", "answered_at": at} if state == "open" else {"state": state}
        return self.service_ticket_update(tid, state, fields, ["answered"], at, by, words)

    def outbox_status(self) -> dict[str, Any]:
        state = self.outbox_state()

        def stamp(value: float | None) -> str | None:
            if not value:
                return None
            return datetime.fromtimestamp(value, UTC).isoformat(timespec="seconds")

        rejected = self.one("SELECT COUNT(*) FROM outbox_rejected")
        return {
            "pending": self.outbox_counts(),
            "rejected": int(rejected[0]) if rejected else 0,
            "last_sent_at": state.get("last_sent_at"),
            "last_error": state.get("last_error"),
            "last_error_at": state.get("last_error_at"),
            "next_attempt_at": stamp(state.get("next_at")),
            "unsupported_until": stamp(state.get("unsupported_until")),
            "updates_cursor": state.get("updates_cursor"),
        }
