"""Core tables: the scan log, parcels, reads, photos, operators, audit."""

from edge.store.base import Migration

MIGRATIONS: list[Migration] = [
    (
        "core-001-initial",
        """
        -- Append-only log of accepted scans: what head office receives.
        -- AUTOINCREMENT: seq is never reused, even after rows are deleted by retention.
        CREATE TABLE scans (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            event_id TEXT NOT NULL UNIQUE,
            type TEXT NOT NULL
                CHECK (type IN ('receive', 'dispatch', 'sign', 'problem', 'stocktake')),
            waybill TEXT NOT NULL,
            carrier TEXT,
            scanned_at TEXT NOT NULL,
            boot_id TEXT NOT NULL,
            mono_ns INTEGER NOT NULL,
            clock_synced INTEGER NOT NULL,
            device TEXT NOT NULL,
            operator TEXT,
            weight_g INTEGER,
            shelf TEXT,
            pickup_code TEXT,
            phone_last4 TEXT,
            dispatch_reason TEXT,
            problem_code TEXT,
            signer_relation TEXT,
            signer_id_last4 TEXT,
            note TEXT
        );
        CREATE INDEX scans_waybill ON scans (waybill, seq);
        CREATE INDEX scans_time ON scans (scanned_at);

        -- Per-scan sync state: pending, sent, rejected (set aside) or withheld (undone
        -- before it was sent).
        CREATE TABLE scan_sync (
            seq INTEGER PRIMARY KEY REFERENCES scans (seq) ON DELETE CASCADE,
            state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sent', 'rejected', 'withheld')),
            reason TEXT,
            updated_at TEXT
        );
        CREATE INDEX scan_sync_state ON scan_sync (state, seq);

        -- A scan cancelled with UNDO; the scan row itself never changes.
        CREATE TABLE scan_undos (
            seq INTEGER PRIMARY KEY REFERENCES scans (seq) ON DELETE CASCADE,
            at TEXT NOT NULL,
            actor TEXT,
            reason TEXT
        );

        -- Current state of each waybill, derived from its scans. WITHOUT ROWID (here and
        -- for the small keyed tables): the waybill is the key, one b-tree fewer to write.
        CREATE TABLE parcels (
            waybill TEXT PRIMARY KEY,
            carrier TEXT,
            state TEXT NOT NULL
                CHECK (state IN ('registered', 'on_shelf', 'signed', 'dispatched')),
            shelf TEXT,
            pickup_code TEXT,
            phone_last4 TEXT,
            recipient_masked TEXT,
            declared_weight_g INTEGER,
            weight_g INTEGER,
            valuable INTEGER NOT NULL DEFAULT 0,
            problem_code TEXT,
            dispatch_reason TEXT,
            received_at TEXT,
            received_seq INTEGER,
            updated_at TEXT NOT NULL,
            last_seq INTEGER
        ) WITHOUT ROWID;
        -- No two parcels on the shelves share a pickup code.
        CREATE UNIQUE INDEX parcels_pickup_on_shelf ON parcels (pickup_code)
            WHERE state = 'on_shelf';
        CREATE INDEX parcels_phone ON parcels (phone_last4, state);
        -- Also serves the overdue list: on-shelf parcels are few, scanned in full.
        CREATE INDEX parcels_state_shelf ON parcels (state, shelf);

        -- Every code read at any device, whatever became of it: the local journal the
        -- sorting screen follows (by id) and the answer each read got.
        CREATE TABLE reads (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            boot_id TEXT NOT NULL,
            mono_ns INTEGER NOT NULL,
            device TEXT NOT NULL,
            operator TEXT,
            raw TEXT NOT NULL,
            code TEXT,
            kind TEXT NOT NULL CHECK (kind IN ('scan', 'command', 'invalid')),
            type TEXT,
            status TEXT NOT NULL CHECK (status IN ('accepted', 'duplicate', 'refused')),
            message_key TEXT NOT NULL,
            message_zh TEXT NOT NULL,
            message_en TEXT NOT NULL,
            event_id TEXT,
            seq INTEGER,
            waybill TEXT,
            carrier TEXT,
            shelf TEXT,
            pickup_code TEXT,
            weight_g INTEGER,
            warnings TEXT
        );
        CREATE INDEX reads_device ON reads (device, id);

        -- Per-device desk state: mode, signed-in operator, reasons, batch carrier.
        CREATE TABLE desks (
            device TEXT PRIMARY KEY,
            mode TEXT NOT NULL,
            operator TEXT,
            dispatch_reason TEXT NOT NULL DEFAULT 'delivery',
            problem_code TEXT NOT NULL DEFAULT 'other',
            carrier TEXT,
            updated_at TEXT NOT NULL
        );

        -- Daily pickup-code sequence, keyed by the station's local date.
        CREATE TABLE pickup_counters (
            day TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        ) WITHOUT ROWID;

        -- Parcels announced by head office (预报).
        CREATE TABLE manifest (
            waybill TEXT PRIMARY KEY,
            carrier TEXT,
            phone_last4 TEXT,
            recipient_masked TEXT,
            declared_weight_g INTEGER,
            valuable INTEGER NOT NULL DEFAULT 0,
            fetched_at TEXT NOT NULL
        );

        CREATE TABLE photos (
            sha256 TEXT PRIMARY KEY,
            path TEXT NOT NULL,
            size INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            uploaded_at TEXT,
            upload_error TEXT
        );
        CREATE TABLE scan_photos (
            seq INTEGER NOT NULL REFERENCES scans (seq) ON DELETE CASCADE,
            sha256 TEXT NOT NULL REFERENCES photos (sha256),
            PRIMARY KEY (seq, sha256)
        );
        CREATE INDEX scan_photos_sha ON scan_photos (sha256);

        CREATE TABLE operators (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('clerk', 'supervisor')),
            pin_hash TEXT NOT NULL,
            failed_pins INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        );

        CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            actor TEXT,
            action TEXT NOT NULL,
            subject TEXT,
            detail TEXT
        );
        CREATE INDEX audit_action ON audit (action, id);
        """,
    ),
    (
        "core-002-slot-loads",
        """
        -- How many parcels are on each shelf layer, kept by triggers so that choosing a
        -- slot reads a few rows instead of counting the shelves on every receive.
        CREATE TABLE slot_loads (
            slot TEXT PRIMARY KEY,
            n INTEGER NOT NULL
        ) WITHOUT ROWID;
        INSERT INTO slot_loads (slot, n)
            SELECT shelf, COUNT(*) FROM parcels
            WHERE state = 'on_shelf' AND shelf IS NOT NULL GROUP BY shelf;
        CREATE TRIGGER parcels_load_insert AFTER INSERT ON parcels
            WHEN new.state = 'on_shelf' AND new.shelf IS NOT NULL
        BEGIN
            INSERT INTO slot_loads (slot, n) VALUES (new.shelf, 1)
                ON CONFLICT (slot) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER parcels_load_leave AFTER UPDATE OF state, shelf ON parcels
            WHEN old.state = 'on_shelf' AND old.shelf IS NOT NULL
        BEGIN
            UPDATE slot_loads SET n = n - 1 WHERE slot = old.shelf;
        END;
        CREATE TRIGGER parcels_load_arrive AFTER UPDATE OF state, shelf ON parcels
            WHEN new.state = 'on_shelf' AND new.shelf IS NOT NULL
        BEGIN
            INSERT INTO slot_loads (slot, n) VALUES (new.shelf, 1)
                ON CONFLICT (slot) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER parcels_load_delete AFTER DELETE ON parcels
            WHEN old.state = 'on_shelf' AND old.shelf IS NOT NULL
        BEGIN
            UPDATE slot_loads SET n = n - 1 WHERE slot = old.shelf;
        END;
        """,
    ),
    (
        "core-003-slot-loads-in-memory",
        """
        -- The writer counts slot loads from parcels and keeps them in memory
        -- (ScanSQL.slot_loads): the table and its triggers cost a b-tree write per scan.
        DROP TRIGGER parcels_load_insert;
        DROP TRIGGER parcels_load_leave;
        DROP TRIGGER parcels_load_arrive;
        DROP TRIGGER parcels_load_delete;
        DROP TABLE slot_loads;
        """,
    ),
]
