"""Free disk: photos give way long before scans do."""

from __future__ import annotations

import shutil
from pathlib import Path

from edge.config import Config

MB = 1024 * 1024


def free_mb(path: Path) -> float:
    """Free space for an unprivileged user on the file system holding ``path``."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return shutil.disk_usage(probe).free / MB


def photo_space_ok(data_dir: Path, config: Config) -> str | None:
    """None when a photo may be stored; otherwise the refusal to show the clerk.

    Photos are refused below [appliance].min_free_mb so the space left keeps the
    scans (a few hundred bytes each) going for weeks.
    """
    free = free_mb(data_dir)
    limit = config.appliance.min_free_mb
    if free >= limit:
        return None
    if config.station.language == "en":
        return (
            f"Disk nearly full ({free:.0f} MB free, photos need {limit} MB): photo not saved. "
            "Scanning still works. Ask the administrator to free space (see `station status`)."
        )
    return (
        f"存储空间不足（剩余 {free:.0f} MB，照片需要 {limit} MB）：照片未保存，扫描不受影响。"
        "请联系管理员清理空间（`station status`）。"
    )
