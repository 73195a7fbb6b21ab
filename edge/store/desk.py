"""SQL of the station's day: couriers, handovers (到件交接), return and delivery batches
(退件 / 批量出库), problem resolutions, piece fees and monthly statements.

Each record that head office should see carries its own ``sync_state`` ('open' while it
is being worked on, then 'pending' until uploaded, then 'sent'), so an uploader can send
it later as a record type of its own without ever touching the scan queue.
"""

from __future__ import annotations

import sqlite3

from edge.store.base import Migration, StoreBase

MIGRATIONS: list[Migration] = [
    (
        "desk-001-day",
        """
        CREATE TABLE couriers (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            carrier TEXT NOT NULL,
            phone_last4 TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        );
        -- A courier handing over a batch: receive scans at `device` with seq > start_seq
        -- belong to it until it is closed (end_seq), so scanning needs no extra write.
        CREATE TABLE handovers (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            courier TEXT NOT NULL REFERENCES couriers (id),
            carrier TEXT NOT NULL,
            device TEXT NOT NULL,
            operator TEXT,
            opened_at TEXT NOT NULL,
            start_seq INTEGER NOT NULL,
            closed_at TEXT,
            end_seq INTEGER,
            signature TEXT,
            sync_state TEXT NOT NULL DEFAULT 'open'
                CHECK (sync_state IN ('open', 'pending', 'sent')),
            synced_at TEXT
        );
        CREATE UNIQUE INDEX handovers_open ON handovers (device) WHERE closed_at IS NULL;
        -- Expected rows are copied from the manifest when the handover opens; scanned is
        -- filled in when it closes.
        CREATE TABLE handover_items (
            handover_id INTEGER NOT NULL REFERENCES handovers (id),
            waybill TEXT NOT NULL,
            expected INTEGER NOT NULL,
            scanned INTEGER NOT NULL,
            PRIMARY KEY (handover_id, waybill)
        ) WITHOUT ROWID;

        -- Why a parcel on the return list goes back, when not simply left too long.
        CREATE TABLE return_reasons (
            waybill TEXT PRIMARY KEY,
            reason TEXT NOT NULL,
            note TEXT,
            at TEXT NOT NULL,
            operator TEXT
        ) WITHOUT ROWID;
        -- A batch of parcels leaving with one carrier's courier: back to the carrier
        -- (return) or out for delivery.
        CREATE TABLE batches (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL CHECK (kind IN ('return', 'delivery')),
            carrier TEXT NOT NULL,
            courier TEXT,
            device TEXT NOT NULL,
            operator TEXT,
            opened_at TEXT NOT NULL,
            closed_at TEXT,
            signature TEXT,
            sync_state TEXT NOT NULL DEFAULT 'open'
                CHECK (sync_state IN ('open', 'pending', 'sent')),
            synced_at TEXT
        );
        -- listed: on the batch's list when it opened; seq: the dispatch scan that took it
        -- out; stray: scanned but not listed (flagged, not dispatched).
        CREATE TABLE batch_items (
            batch_id INTEGER NOT NULL REFERENCES batches (id),
            waybill TEXT NOT NULL,
            reason TEXT,
            listed INTEGER NOT NULL,
            seq INTEGER,
            stray INTEGER NOT NULL DEFAULT 0,
            at TEXT,
            PRIMARY KEY (batch_id, waybill)
        ) WITHOUT ROWID;

        -- Closes one problem scan: a problem is open until a row here names its seq.
        CREATE TABLE problem_resolutions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            problem_seq INTEGER NOT NULL UNIQUE,
            waybill TEXT NOT NULL,
            resolution TEXT NOT NULL CHECK (resolution IN
                ('found', 'delivered', 'returned', 'compensated', 'written_off')),
            note TEXT NOT NULL,
            operator TEXT NOT NULL,
            resolved_at TEXT NOT NULL,
            sync_state TEXT NOT NULL DEFAULT 'pending' CHECK (sync_state IN ('pending', 'sent')),
            synced_at TEXT
        );

        -- Piece fees in fen, per carrier and kind, from a local date on. storage: per day
        -- on the shelf beyond free_days, charged when the parcel leaves.
        CREATE TABLE piece_fees (
            carrier TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('receive', 'sign', 'return', 'storage')),
            effective_from TEXT NOT NULL,
            fen INTEGER NOT NULL CHECK (fen >= 0),
            free_days INTEGER,
            set_at TEXT NOT NULL,
            set_by TEXT,
            PRIMARY KEY (carrier, kind, effective_from)
        ) WITHOUT ROWID;
        CREATE TABLE monthly_reports (
            month TEXT PRIMARY KEY,
            made_at TEXT NOT NULL,
            body TEXT NOT NULL,
            sync_state TEXT NOT NULL DEFAULT 'pending' CHECK (sync_state IN ('pending', 'sent')),
            synced_at TEXT
        ) WITHOUT ROWID;
        """,
    ),
]

# Record type -> (table, key column): what an uploader sends, keyed as head office dedups.
DESK_RECORDS = {
    "handover": ("handovers", "id"),
    "batch": ("batches", "id"),
    "resolution": ("problem_resolutions", "id"),
    "monthly": ("monthly_reports", "month"),
}
# Scans that are not corrections made by UNDO of a sent scan.
REAL_PROBLEM = "s.type = 'problem' AND COALESCE(s.note, '') NOT LIKE 'UNDO %'"
NOT_UNDONE = "NOT EXISTS (SELECT 1 FROM scan_undos u WHERE u.seq = s.seq)"


class DeskSQL(StoreBase):
    # --- couriers ----------------------------------------------------------------------

    def courier_save(
        self, courier_id: str, name: str, carrier: str, phone_last4: str | None, at: str
    ) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO couriers (id, name, carrier, phone_last4, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
                " carrier = excluded.carrier, phone_last4 = excluded.phone_last4, active = 1",
                (courier_id, name, carrier, phone_last4, at),
            )
            self.audit("courier.save", None, courier_id, name=name, carrier=carrier)

    def courier_set_active(self, courier_id: str, active: bool, actor: str) -> bool:
        with self.transaction():
            cur = self.conn.execute(
                "UPDATE couriers SET active = ? WHERE id = ?", (int(active), courier_id)
            )
            if cur.rowcount:
                self.audit("courier.enable" if active else "courier.disable", actor, courier_id)
        return bool(cur.rowcount)

    def courier(self, courier_id: str) -> sqlite3.Row | None:
        return self.one("SELECT * FROM couriers WHERE id = ?", (courier_id,))

    def couriers(self) -> list[sqlite3.Row]:
        return self.all("SELECT * FROM couriers ORDER BY active DESC, carrier, id")

    # --- handovers ---------------------------------------------------------------------

    def handover_open(
        self, courier: sqlite3.Row, device: str, operator: str | None, at: str
    ) -> int:
        """Open a handover at ``device`` (closing, unsigned, one left open there) with the
        manifest's parcels of that carrier not received yet as its expected list."""
        with self.transaction():
            current = self.handover_open_at(device)
            if current is not None:
                self.handover_close(int(current["id"]), at, None)
            row = self.one("SELECT COALESCE(MAX(seq), 0) FROM scans")
            cur = self.conn.execute(
                "INSERT INTO handovers (courier, carrier, device, operator, opened_at, start_seq)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (courier["id"], courier["carrier"], device, operator, at, row[0] if row else 0),
            )
            handover_id = int(cur.lastrowid or 0)
            self.conn.execute(
                "INSERT INTO handover_items (handover_id, waybill, expected, scanned)"
                " SELECT ?, m.waybill, 1, 0 FROM manifest m WHERE m.carrier = ? AND NOT EXISTS"
                " (SELECT 1 FROM parcels p WHERE p.waybill = m.waybill"
                "  AND p.state <> 'registered')",
                (handover_id, courier["carrier"]),
            )
            self.audit("handover.open", operator, str(handover_id), courier=courier["id"])
        return handover_id

    def handover_open_at(self, device: str) -> sqlite3.Row | None:
        return self.one("SELECT * FROM handovers WHERE device = ? AND closed_at IS NULL", (device,))

    def handover(self, handover_id: int) -> sqlite3.Row | None:
        return self.one(
            "SELECT h.*, c.name AS courier_name FROM handovers h"
            " JOIN couriers c ON c.id = h.courier WHERE h.id = ?",
            (handover_id,),
        )

    def handovers(self, start: str | None = None, end: str | None = None) -> list[sqlite3.Row]:
        return self.all(
            "SELECT h.*, c.name AS courier_name FROM handovers h JOIN couriers c"
            " ON c.id = h.courier WHERE opened_at >= COALESCE(?, '')"
            " AND opened_at < COALESCE(?, '~')"
            " ORDER BY h.id DESC",
            (start, end),
        )

    def handover_scanned(self, handover: sqlite3.Row) -> list[str]:
        """Waybills received at the handover's device while it was open, not undone."""
        if handover["closed_at"] is not None:
            return [
                r[0]
                for r in self.all(
                    "SELECT waybill FROM handover_items WHERE handover_id = ? AND scanned = 1"
                    " ORDER BY waybill",
                    (handover["id"],),
                )
            ]
        rows = self.all(
            f"SELECT DISTINCT waybill FROM scans s WHERE s.seq > ? AND s.device = ?"
            f" AND s.type = 'receive' AND {NOT_UNDONE} ORDER BY seq",
            (handover["start_seq"], handover["device"]),
        )
        return [r[0] for r in rows]

    def handover_expected(self, handover_id: int) -> list[str]:
        rows = self.all(
            "SELECT waybill FROM handover_items WHERE handover_id = ? AND expected = 1"
            " ORDER BY waybill",
            (handover_id,),
        )
        return [r[0] for r in rows]

    def handover_close(self, handover_id: int, at: str, signature: str | None) -> bool:
        """Freeze what was scanned, then mark the sheet pending for head office."""
        with self.transaction():
            handover = self.handover(handover_id)
            if handover is None or handover["closed_at"] is not None:
                return False
            for waybill in self.handover_scanned(handover):
                self.conn.execute(
                    "INSERT INTO handover_items (handover_id, waybill, expected, scanned)"
                    " VALUES (?, ?, 0, 1) ON CONFLICT DO UPDATE SET scanned = 1",
                    (handover_id, waybill),
                )
            row = self.one("SELECT COALESCE(MAX(seq), 0) FROM scans")
            self.conn.execute(
                "UPDATE handovers SET closed_at = ?, end_seq = ?, signature = ?,"
                " sync_state = 'pending' WHERE id = ?",
                (at, row[0] if row else 0, signature, handover_id),
            )
            self.audit(
                "handover.close", handover["operator"], str(handover_id), signed=bool(signature)
            )
        return True

    # --- return list reasons and batches -----------------------------------------------

    def return_reason_set(
        self, waybill: str, reason: str, note: str | None, at: str, operator: str
    ) -> None:
        self.conn.execute(
            "INSERT INTO return_reasons (waybill, reason, note, at, operator)"
            " VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (waybill) DO UPDATE SET reason = excluded.reason, note = excluded.note,"
            " at = excluded.at, operator = excluded.operator",
            (waybill, reason, note, at, operator),
        )

    def return_candidates(self, carrier: str | None = None) -> list[sqlite3.Row]:
        """Parcels on the return list still on the shelves, with why they go back."""
        return self.all(
            "SELECT r.waybill, p.carrier, p.shelf, p.pickup_code, r.days,"
            " COALESCE(x.reason, 'overdue') AS reason, x.note FROM return_list r"
            " JOIN parcels p ON p.waybill = r.waybill LEFT JOIN return_reasons x"
            " ON x.waybill = r.waybill WHERE p.state = 'on_shelf'"
            " AND (? IS NULL OR p.carrier = ?) ORDER BY p.carrier, r.added_at, r.waybill",
            (carrier, carrier),
        )

    def batch_open(
        self, kind: str, carrier: str, courier: str | None, device: str, operator: str, at: str
    ) -> int:
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO batches (kind, carrier, courier, device, operator, opened_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (kind, carrier, courier, device, operator, at),
            )
            batch_id = int(cur.lastrowid or 0)
            if kind == "return":
                for row in self.return_candidates(carrier):
                    self.conn.execute(
                        "INSERT INTO batch_items (batch_id, waybill, reason, listed)"
                        " VALUES (?, ?, ?, 1)",
                        (batch_id, row["waybill"], row["reason"]),
                    )
            self.audit("batch.open", operator, str(batch_id), kind=kind, carrier=carrier)
        return batch_id

    def batch(self, batch_id: int) -> sqlite3.Row | None:
        return self.one(
            "SELECT b.*, c.name AS courier_name FROM batches b"
            " LEFT JOIN couriers c ON c.id = b.courier WHERE b.id = ?",
            (batch_id,),
        )

    def batches(self) -> list[sqlite3.Row]:
        return self.all(
            "SELECT b.*, c.name AS courier_name,"
            " (SELECT COUNT(*) FROM batch_items i WHERE i.batch_id = b.id AND i.seq IS NOT NULL)"
            " AS out_n FROM batches b LEFT JOIN couriers c ON c.id = b.courier"
            " ORDER BY b.id DESC LIMIT 200"
        )

    def batch_items(self, batch_id: int) -> list[sqlite3.Row]:
        return self.all(
            "SELECT i.*, p.pickup_code, p.shelf FROM batch_items i LEFT JOIN parcels p"
            " ON p.waybill = i.waybill WHERE i.batch_id = ? ORDER BY i.listed DESC, i.waybill",
            (batch_id,),
        )

    def batch_item(self, batch_id: int, waybill: str) -> sqlite3.Row | None:
        return self.one(
            "SELECT * FROM batch_items WHERE batch_id = ? AND waybill = ?", (batch_id, waybill)
        )

    def batch_mark(
        self, batch_id: int, waybill: str, seq: int | None, reason: str | None, at: str
    ) -> None:
        """Tick a listed parcel off (seq), add an unlisted one sent out (delivery), or flag
        a stray (seq None)."""
        self.conn.execute(
            "INSERT INTO batch_items (batch_id, waybill, reason, listed, seq, stray, at)"
            " VALUES (?, ?, ?, 0, ?, ?, ?) ON CONFLICT DO UPDATE SET"
            " seq = COALESCE(excluded.seq, seq), at = excluded.at",
            (batch_id, waybill, reason, seq, int(seq is None), at),
        )

    def batch_close(self, batch_id: int, at: str, signature: str | None, actor: str) -> bool:
        with self.transaction():
            cur = self.conn.execute(
                "UPDATE batches SET closed_at = ?, signature = ?, sync_state = 'pending'"
                " WHERE id = ? AND closed_at IS NULL",
                (at, signature, batch_id),
            )
            if cur.rowcount:
                self.audit("batch.close", actor, str(batch_id), signed=bool(signature))
        return bool(cur.rowcount)
