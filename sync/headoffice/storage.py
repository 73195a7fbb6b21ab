"""What the receiver needs from its database: one small interface, so a PostgreSQL
backend can sit beside the SQLite one (sync.headoffice.sqlite)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Principal:
    name: str  # the station code, or the name of a query client
    role: str  # station | query


@dataclass(frozen=True)
class ManifestPage:
    parcels: list[dict[str, Any]]
    next: str | None


class Storage(Protocol):
    def add_token(self, name: str, token_hash: str, role: str) -> None: ...

    def principal(self, token_hash: str) -> Principal | None: ...

    def add_scans(self, rows: Sequence[tuple[Any, ...]]) -> list[tuple[str, str | None]]:
        """Store checked scans (rows.scan_rows) in one transaction; per row ("accepted"|
        "duplicate"|"rejected", reason). Idempotent on (station, event_id) by a unique key."""
        ...

    def accept(
        self, station: str, rows: Sequence[tuple[Any, ...]]
    ) -> tuple[list[tuple[str, str | None]], int | None]:
        """add_scans, and the station's highest seq once they are held: what an upload's
        answer needs, in one transaction (one round trip, one commit)."""
        ...

    def station_seq(self, station: str) -> int | None:
        """The highest seq held for the station (None before its first scan)."""
        ...

    def put_heartbeat(self, station: str, body: dict[str, Any], received_at: str) -> None:
        """Keep a station's latest heartbeat (a checked one)."""
        ...

    def heartbeats(self) -> list[dict[str, Any]]:
        """Every station's latest heartbeat: {"station", "received_at", "heartbeat"}."""
        ...

    def has_photo(self, sha256: str, station: str | None) -> bool:
        """Whether the station sent this photo (any station's, for None)."""
        ...

    def put_photo(self, sha256: str, data: bytes, received_at: str, station: str) -> bool:
        """Store a checked photo for a station; False when that station already sent it."""
        ...

    def import_manifest(self, parcels: Sequence[dict[str, Any]], imported_at: str) -> int: ...

    def manifest(self, station: str, after: str | None, limit: int) -> ManifestPage: ...

    def scans(
        self,
        *,
        station: str | None = None,
        waybill: str | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int = 1000,
    ) -> list[dict[str, Any]]:
        """Scans by station and time range (UTC RFC 3339 bounds), or by waybill."""
        ...

    def close(self) -> None: ...
