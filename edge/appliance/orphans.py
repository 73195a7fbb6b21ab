"""The nightly sweep of orphan photos: rows no scan names and files no row names.

A photo is stored (file, then row) before the scan that names it is recorded, so a
refused request or a process killed in between leaves one behind. Only orphans older than
the grace period go, so a request still in flight keeps its photo.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from pathlib import Path

from edge.photo_files import relative_path
from edge.store import Store

log = logging.getLogger(__name__)

GRACE = timedelta(hours=1)


def sweep(store: Store, now: datetime, grace: timedelta = GRACE) -> int:
    """Delete orphan photo rows and files older than ``grace``; return how many photos."""
    data_dir = store.path.parent
    rows = store.unlinked_photos((now - grace).isoformat(timespec="seconds"))
    for row in rows:
        for path in _files_of(data_dir, row["sha256"]):
            path.unlink(missing_ok=True)
    # Files first, then rows: a crash in between leaves rows to sweep next night.
    store.forget_photos([r["sha256"] for r in rows])
    known = store.photo_shas()
    stale = time.time() - grace.total_seconds()
    strays = 0
    photos = data_dir / "photos"
    for path in photos.rglob("*.jpg") if photos.is_dir() else ():
        named = path.stem in known and not path.name.startswith(".tmp-")
        if not named and path.stat().st_mtime < stale:
            path.unlink(missing_ok=True)
            strays += 1
    if rows or strays:
        log.info("swept %d orphan photo row(s) and %d stray file(s)", len(rows), strays)
    return len(rows) + strays


def _files_of(data_dir: Path, sha256: str) -> list[Path]:
    return [data_dir / relative_path(sha256), data_dir / relative_path(sha256, thumb=True)]
