"""Retention and backup: what the nightly timer runs (`station nightly`).

Photos go N days after head office confirmed it holds them, never before; scans go M
days after head office accepted them; pending, rejected and withheld scans are never
deleted. Backups are online copies made with ``VACUUM INTO`` while scanning goes on.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

from edge.appliance import orphans
from edge.appliance.disk import MB, free_mb
from edge.config import Config
from edge.store import Store

log = logging.getLogger(__name__)

BACKUP_PREFIX = "station-"
BACKUP_SUFFIX = ".db"


class BackupError(RuntimeError):
    """A backup or restore that did not happen; the message says why and what to do."""


@dataclass
class RetentionResult:
    photos_deleted: int = 0
    photo_bytes_freed: int = 0
    scans_deleted: int = 0
    reads_deleted: int = 0
    orphan_photos_deleted: int = 0


def prune(store: Store, config: Config, now: datetime | None = None) -> RetentionResult:
    now = now or datetime.now(config.tz)
    result = RetentionResult()
    data_dir = store.path.parent.resolve()
    photo_cutoff = (now - timedelta(days=config.appliance.photo_retention_days)).isoformat()
    for row in store.photos_held_since(photo_cutoff):
        path = Path(row["path"])
        path = (path if path.is_absolute() else data_dir / path).resolve()
        if not path.is_relative_to(data_dir):
            log.warning(
                "photo %s is outside the data folder (%s): not deleted", row["sha256"][:12], path
            )
            continue
        # Delete the file first: a crash in between leaves a row to mark next night,
        # never a file nothing points to.
        try:
            size = path.stat().st_size
            path.unlink()
            result.photos_deleted += 1
            result.photo_bytes_freed += size
        except FileNotFoundError:
            pass
        store.mark_photo_pruned(row["sha256"], now.isoformat(timespec="seconds"))
    scan_cutoff = (now - timedelta(days=config.appliance.scan_retention_days)).isoformat()
    result.scans_deleted = store.delete_sent_scans(scan_cutoff)
    result.reads_deleted = store.delete_old_reads(scan_cutoff)
    result.orphan_photos_deleted = orphans.sweep(store, now)
    store.set_appliance_state(
        "retention", json.dumps(asdict(result)), now.isoformat(timespec="seconds")
    )
    log.info("retention: %s", result)
    return result


def backup_dir(data_dir: Path, config: Config) -> Path:
    return (
        Path(config.appliance.backup_dir) if config.appliance.backup_dir else data_dir / "backups"
    )


def backup(
    store: Store, config: Config, target_dir: Path | None = None, now: datetime | None = None
) -> Path:
    """Write a checked backup and keep the newest [appliance].backup_keep of them."""
    now = now or datetime.now(config.tz)
    folder = target_dir or backup_dir(store.path.parent, config)
    folder.mkdir(parents=True, exist_ok=True)
    # A backup must never take the space that scans and photos need.
    needed_mb = store.path.stat().st_size / MB + config.appliance.min_free_mb
    if free_mb(folder) < needed_mb:
        raise BackupError(
            f"not enough free space in {folder} for a backup ({free_mb(folder):.0f} MB free, "
            f"{needed_mb:.0f} MB needed): free space or set [appliance].backup_dir to another disk"
        )
    target = folder / f"{BACKUP_PREFIX}{now:%Y%m%d-%H%M%S}{BACKUP_SUFFIX}"
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    store.backup_to(partial)
    problem = verify(partial)
    if problem:
        partial.unlink(missing_ok=True)
        raise BackupError(
            f"the backup copy failed its check ({problem}); the database "
            "itself may be damaged: run `station status`"
        )
    _fsync(partial)
    partial.replace(target)
    _fsync(folder)
    if target_dir is None:
        rotate(folder, config.appliance.backup_keep)
    store.set_appliance_state("backup", str(target), now.isoformat(timespec="seconds"))
    log.info("backup written: %s", target)
    return target


def backups(folder: Path) -> list[Path]:
    """Backups in ``folder``, oldest first (their names sort by time)."""
    return sorted(folder.glob(f"{BACKUP_PREFIX}*{BACKUP_SUFFIX}"))


def rotate(folder: Path, keep: int) -> list[Path]:
    old = backups(folder)[:-keep]
    for path in old:
        path.unlink()
        log.info("old backup deleted: %s", path)
    return old


def verify(path: Path) -> str | None:
    """None when ``path`` is an intact station database; otherwise what is wrong."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            return f"integrity check: {result}"
        conn.execute("SELECT name FROM schema_migrations LIMIT 1")
        conn.execute("SELECT seq FROM scans LIMIT 1")
    except sqlite3.Error as exc:
        return f"not a station database: {exc}"
    finally:
        conn.close()
    return None


def restore(store: Store, config: Config, source: Path, now: datetime | None = None) -> Path:
    """Put ``source`` in place of the live database; the current one is backed up first."""
    if not source.is_file():
        raise BackupError(f"{source}: no such file")
    problem = verify(source)
    if problem:
        raise BackupError(f"{source} cannot be restored: {problem}")
    safety = backup(store, config, backup_dir(store.path.parent, config) / "before-restore", now)
    store.restore_from(source)
    store.migrate()
    log.info("restored %s (previous database kept as %s)", source, safety)
    return safety


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
