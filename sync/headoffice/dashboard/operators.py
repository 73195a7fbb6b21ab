"""Head-office operators: scrypt PINs (edge.pins), lockout after repeated failures, and
server-side sessions a sign-out or `operator revoke` ends for good. The browser holds
only a random session id; its SHA-256 is what the table keeps."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from edge.pins import hash_pin, verify_pin
from sync.headoffice.dashboard.db import Db

log = logging.getLogger(__name__)

MAX_FAILURES = 5
LOCKED_FOR = timedelta(minutes=15)
IDLE_AFTER = timedelta(hours=12)
SEEN_EVERY = timedelta(minutes=1)  # how often a session's last use is written
ROLES = ("admin", "staff")
# Verified when the operator is unknown, so a wrong ID takes as long as a wrong PIN.
_DUMMY = hash_pin("000000")


def stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sid_hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


@dataclass(frozen=True)
class Operator:
    id: str
    name: str
    role: str
    csrf: str


@dataclass(frozen=True)
class SignIn:
    sid: str | None  # the new session id, when the PIN was right
    locked_minutes: int = 0


def add_operator(db: Db, op_id: str, name: str, role: str, pin: str, now: datetime) -> bool:
    """A new operator, or a new PIN, name and role for a known one (its sessions end:
    a PIN change must lock out whoever learnt the old one). True when new."""
    pin_hash = hash_pin(pin)
    changed = db.run(
        [
            (
                "UPDATE ho_operators SET name = ?, role = ?, pin_hash = ?, failures = 0,"
                " locked_until = NULL, active = 1 WHERE id = ?",
                (name, role, pin_hash, op_id),
            ),
            ("UPDATE ho_sessions SET revoked = 1 WHERE operator = ?", (op_id,)),
        ]
    )
    if changed[0]:
        return False
    db.run(
        [
            (
                "INSERT INTO ho_operators (id, name, role, pin_hash, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (op_id, name, role, pin_hash, stamp(now)),
            )
        ]
    )
    return True


def revoke(db: Db, op_id: str, disable: bool) -> int:
    """End every session of an operator (and bar new ones with ``disable``)."""
    statements: list[tuple[str, tuple[object, ...]]] = [
        ("UPDATE ho_sessions SET revoked = 1 WHERE operator = ? AND revoked = 0", (op_id,))
    ]
    if disable:
        statements.append(("UPDATE ho_operators SET active = 0 WHERE id = ?", (op_id,)))
    return db.run(statements)[0]


def sign_in(db: Db, op_id: str, pin: str, now: datetime) -> SignIn:
    rows = db.rows(
        "SELECT pin_hash, failures, locked_until FROM ho_operators WHERE id = ? AND active = 1",
        (op_id,),
    )
    if not rows:
        verify_pin(pin, _DUMMY)
        log.info("page sign-in refused: unknown or disabled operator")
        return SignIn(None)
    row = rows[0]
    if row["locked_until"] and row["locked_until"] > stamp(now):
        left = datetime.fromisoformat(row["locked_until"].replace("Z", "+00:00")) - now
        return SignIn(None, max(1, -(-int(left.total_seconds()) // 60)))
    if not verify_pin(pin, row["pin_hash"]):
        failures = int(row["failures"]) + 1
        locked = stamp(now + LOCKED_FOR) if failures >= MAX_FAILURES else None
        db.run(
            [
                (
                    "UPDATE ho_operators SET failures = ?, locked_until = ? WHERE id = ?",
                    (0 if locked else failures, locked, op_id),
                )
            ]
        )
        if locked:
            log.warning("page operator %s locked out after %d wrong PINs", op_id, failures)
            return SignIn(None, int(LOCKED_FOR.total_seconds() // 60))
        log.info("page sign-in refused for %s: wrong PIN (%d)", op_id, failures)
        return SignIn(None)
    sid = secrets.token_urlsafe(32)
    db.run(
        [
            (
                "UPDATE ho_operators SET failures = 0, locked_until = NULL WHERE id = ?",
                (op_id,),
            ),
            (
                "INSERT INTO ho_sessions (sid_hash, operator, csrf, created_at, seen_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (sid_hash(sid), op_id, secrets.token_urlsafe(24), stamp(now), stamp(now)),
            ),
        ]
    )
    log.info("page operator %s signed in", op_id)
    return SignIn(sid)


def session_operator(db: Db, sid: str, now: datetime) -> Operator | None:
    """The operator of a live session (not revoked, not idle too long), else None."""
    key = sid_hash(sid)
    rows = db.rows(
        "SELECT o.id, o.name, o.role, s.csrf, s.seen_at FROM ho_sessions s"
        " JOIN ho_operators o ON o.id = s.operator"
        " WHERE s.sid_hash = ? AND s.revoked = 0 AND o.active = 1 AND s.seen_at > ?",
        (key, stamp(now - IDLE_AFTER)),
    )
    if not rows:
        return None
    row = rows[0]
    if row["seen_at"] < stamp(now - SEEN_EVERY):
        db.run([("UPDATE ho_sessions SET seen_at = ? WHERE sid_hash = ?", (stamp(now), key))])
    return Operator(row["id"], row["name"], row["role"], row["csrf"])


def operator_list(db: Db, now: datetime) -> list[dict[str, object]]:
    """Every operator with the number of its live sessions (never a PIN hash)."""
    rows = db.rows(
        "SELECT o.id, o.name, o.role, o.active, o.locked_until,"
        " (SELECT COUNT(*) FROM ho_sessions s WHERE s.operator = o.id AND s.revoked = 0"
        "  AND s.seen_at > ?) AS live FROM ho_operators o ORDER BY o.id",
        (stamp(now - IDLE_AFTER),),
    )
    locked_after = stamp(now)
    return [
        r
        | {
            "active": bool(r["active"]),
            "live": int(r["live"]),
            "locked_until": r["locked_until"] if (r["locked_until"] or "") > locked_after else None,
        }
        for r in rows
    ]


def sign_out(db: Db, sid: str) -> None:
    db.run([("UPDATE ho_sessions SET revoked = 1 WHERE sid_hash = ?", (sid_hash(sid),))])
