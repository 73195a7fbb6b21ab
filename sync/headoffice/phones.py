"""Head office's phone book: full recipient numbers, encrypted at rest, kept until N days
after pickup.

Only this module ever sees a full number in the clear, and only to hand it to a gateway.
The numbers are Fernet tokens in their own SQLite file; the key is a separate file
(mode 600) so a copied database alone reveals nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from sync.headoffice.keyfile import made_once
from sync.headoffice.notify.dbfile import open_db

DB_NAME = "phones.db"
KEY_NAME = "phones.key"

MIGRATIONS = (
    (
        "phones_v1",
        """
        CREATE TABLE phones (
            station TEXT NOT NULL,
            waybill TEXT NOT NULL,
            phone BLOB NOT NULL,          -- Fernet token, never the number itself
            consent INTEGER,              -- 1 yes, 0 no, NULL: the manifest did not say
            added_at TEXT NOT NULL,
            picked_at TEXT,               -- set on the sign scan, purge counts from it
            PRIMARY KEY (station, waybill)
        ) WITHOUT ROWID;
        """,
    ),
)


@dataclass(frozen=True)
class Entry:
    station: str
    waybill: str
    phone: str
    consent: bool | None


def load_key(folder: Path) -> Fernet:
    """The key file in ``folder``, made (mode 600) on first use."""
    return Fernet(made_once(folder / KEY_NAME, Fernet.generate_key).strip())


class PhoneBook:
    """Encrypted numbers by (station, waybill)."""

    def __init__(self, folder: Path) -> None:
        self._fernet = load_key(folder)
        self._conn = open_db(folder / DB_NAME, MIGRATIONS)

    def close(self) -> None:
        self._conn.close()

    def put(self, rows: Iterable[tuple[str, str, str, bool | None]], now: datetime) -> int:
        """Keep (station, waybill, phone, consent) rows; a re-import replaces the number."""
        count = 0
        with self._conn:
            self._conn.execute("BEGIN")
            for station, waybill, phone, consent in rows:
                self._conn.execute(
                    "INSERT INTO phones (station, waybill, phone, consent, added_at)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (station, waybill) DO UPDATE SET"
                    " phone = excluded.phone, consent = excluded.consent",
                    (
                        station,
                        waybill,
                        self._fernet.encrypt(phone.encode()),
                        None if consent is None else int(consent),
                        now.isoformat(timespec="seconds"),
                    ),
                )
                count += 1
        return count

    def get(self, station: str, waybill: str) -> Entry | None:
        row = self._conn.execute(
            "SELECT phone, consent FROM phones WHERE station = ? AND waybill = ?",
            (station, waybill),
        ).fetchone()
        if row is None:
            return None
        try:
            phone = self._fernet.decrypt(row[0]).decode()
        except InvalidToken:
            return None  # written under another key: as good as absent
        consent = None if row[1] is None else bool(row[1])
        return Entry(station, waybill, phone, consent)

    def consent(self, station: str, waybill: str) -> bool | None:
        row = self._conn.execute(
            "SELECT consent FROM phones WHERE station = ? AND waybill = ?", (station, waybill)
        ).fetchone()
        return None if row is None or row[0] is None else bool(row[0])

    def picked(self, station: str, waybill: str, at: datetime) -> None:
        self._conn.execute(
            "UPDATE phones SET picked_at = ? WHERE station = ? AND waybill = ?"
            " AND picked_at IS NULL",
            (at.isoformat(timespec="seconds"), station, waybill),
        )

    def purge(self, now: datetime, keep_days: int) -> int:
        """Forget numbers of parcels picked up more than ``keep_days`` ago."""
        cutoff = (now - timedelta(days=keep_days)).isoformat(timespec="seconds")
        cur = self._conn.execute(
            "DELETE FROM phones WHERE picked_at IS NOT NULL AND picked_at < ?", (cutoff,)
        )
        return cur.rowcount
