"""The tablet page's tables, indexes and triggers, as named migrations."""

from edge.store.base import Migration

MIGRATIONS: list[Migration] = [
    (
        "web-001-stocktake-returns",
        """
        -- One stocktake (盘点) of one shelf; summary is filled when it is closed.
        CREATE TABLE stocktakes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            shelf TEXT NOT NULL,
            operator TEXT NOT NULL,
            device TEXT NOT NULL,
            started_at TEXT NOT NULL,
            closed_at TEXT,
            summary TEXT
        );
        -- What was scanned during a stocktake and what the parcel record said then.
        CREATE TABLE stocktake_items (
            stocktake_id INTEGER NOT NULL REFERENCES stocktakes (id) ON DELETE CASCADE,
            waybill TEXT NOT NULL,
            at TEXT NOT NULL,
            verdict TEXT NOT NULL CHECK (verdict IN ('found', 'extra')),
            recorded_shelf TEXT,
            recorded_state TEXT,
            seq INTEGER,
            PRIMARY KEY (stocktake_id, waybill)
        );
        -- Parcels left too long that a clerk put aside for return to the carrier.
        CREATE TABLE return_list (
            waybill TEXT PRIMARY KEY,
            added_at TEXT NOT NULL,
            added_by TEXT NOT NULL,
            days INTEGER NOT NULL
        );
        """,
    ),
    (
        "web-002-sessions",
        """
        -- A signed-in page. id is the SHA-256 of the random id in the cookie, so the
        -- database alone cannot be used to sign in.
        CREATE TABLE web_sessions (
            id TEXT PRIMARY KEY,
            operator TEXT NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            seen_at TEXT NOT NULL,
            remote TEXT
        );
        CREATE INDEX web_sessions_operator ON web_sessions (operator);
        -- However the PIN, role or active flag change (page or `station operator add`),
        -- that operator's sessions end.
        CREATE TRIGGER web_sessions_end_on_operator_change
        AFTER UPDATE OF pin_hash, role, active ON operators
        WHEN OLD.pin_hash IS NOT NEW.pin_hash OR OLD.role IS NOT NEW.role OR NEW.active = 0
        BEGIN
            DELETE FROM web_sessions WHERE operator = NEW.id;
        END;
        -- Wrong sign-ins per client address, so one client cannot lock every operator.
        CREATE TABLE web_signin_clients (
            client TEXT PRIMARY KEY,
            failures INTEGER NOT NULL,
            locked_until TEXT
        );
        """,
    ),
    (
        "web-003-search-indexes",
        """
        -- Search by the last 4, 5 or 6 characters of a waybill: one seek each.
        CREATE INDEX parcels_tail4 ON parcels (substr(waybill, -4));
        CREATE INDEX parcels_tail5 ON parcels (substr(waybill, -5));
        CREATE INDEX parcels_tail6 ON parcels (substr(waybill, -6));
        -- Any part of a waybill: a trigram index (parcels has no rowid, so waybills get
        -- one here), kept by triggers whoever writes parcels.
        CREATE TABLE web_waybill_ids (
            id INTEGER PRIMARY KEY,
            waybill TEXT NOT NULL UNIQUE
        );
        CREATE VIRTUAL TABLE web_waybill_grams USING fts5 (
            waybill, content = 'web_waybill_ids', content_rowid = 'id',
            tokenize = 'trigram', detail = 'none'
        );
        CREATE TRIGGER web_waybill_ids_added AFTER INSERT ON web_waybill_ids BEGIN
            INSERT INTO web_waybill_grams (rowid, waybill) VALUES (NEW.id, NEW.waybill);
        END;
        CREATE TRIGGER web_waybill_ids_removed AFTER DELETE ON web_waybill_ids BEGIN
            INSERT INTO web_waybill_grams (web_waybill_grams, rowid, waybill)
            VALUES ('delete', OLD.id, OLD.waybill);
        END;
        CREATE TRIGGER web_parcel_added AFTER INSERT ON parcels BEGIN
            INSERT OR IGNORE INTO web_waybill_ids (waybill) VALUES (NEW.waybill);
        END;
        CREATE TRIGGER web_parcel_removed AFTER DELETE ON parcels BEGIN
            DELETE FROM web_waybill_ids WHERE waybill = OLD.waybill;
        END;
        INSERT INTO web_waybill_ids (waybill) SELECT waybill FROM parcels;
        """,
    ),
    (
        "web-004-search-one-tail-index",
        """
        -- The last 4 characters' index also serves a tail of 5 or 6 (seek on the last 4,
        -- then compare): two indexes fewer, and with columnsize=0 a new parcel writes 3
        -- fewer b-tree pages.
        DROP INDEX parcels_tail5;
        DROP INDEX parcels_tail6;
        -- The triggers on web_waybill_ids stay: they name the new table.
        DROP TABLE web_waybill_grams;
        CREATE VIRTUAL TABLE web_waybill_grams USING fts5 (
            waybill, content = 'web_waybill_ids', content_rowid = 'id',
            tokenize = 'trigram', detail = 'none', columnsize = 0
        );
        INSERT INTO web_waybill_grams (web_waybill_grams) VALUES ('rebuild');
        """,
    ),
]
