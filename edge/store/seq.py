"""Scan numbers: the high-water mark that keeps a seq from ever being handed out twice."""

from __future__ import annotations

from edge.store.base import StoreBase


class SeqSQL(StoreBase):
    def seq_high_water(self) -> int:
        """The highest seq ever handed out (or raised to): AUTOINCREMENT keeps it in
        sqlite_sequence, so it stays after retention deletes the rows."""
        row = self.one("SELECT seq FROM sqlite_sequence WHERE name = 'scans'")
        return int(row[0]) if row else 0

    def raise_seq_floor(self, seq: int) -> None:
        """Make the next scan's seq strictly greater than ``seq`` (never lowers it).

        For numbers this station used before its database was replaced: a restore from
        an older backup, a copied card, or head office's highest seq for this station.
        """
        with self.transaction() as conn:
            updated = conn.execute(
                "UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'scans'", (seq,)
            ).rowcount
            if not updated:
                conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('scans', ?)", (seq,))
