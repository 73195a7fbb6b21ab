"""The [appliance] config section: disk, retention and backup."""

from dataclasses import dataclass

from edge.config_base import Section, doc


@dataclass
class ApplianceSection(Section):
    min_free_mb: int = doc(
        "Below this much free disk, photos are refused (scans still go on).", 500
    )
    warn_free_mb: int = doc("Below this much free disk, `station status` reports a problem.", 1000)
    photo_retention_days: int = doc(
        "Delete a photo this many days after head office confirmed it holds it; never before.",
        30,
    )
    scan_retention_days: int = doc(
        "Delete a scan this many days after head office accepted it (parcels keep their state).",
        180,
    )
    backup_dir: str = doc(
        "Folder for nightly backups; empty means <data>/backups. Best on another disk.", ""
    )
    backup_keep: int = doc("Number of nightly backups kept; older ones are deleted.", 7)
    max_backlog_age_h: float = doc(
        "`station status` reports a problem when the oldest unsent scan is older than this.", 24.0
    )

    def check(self) -> list[str]:
        errors = []
        if self.min_free_mb < 0 or self.warn_free_mb < self.min_free_mb:
            errors.append("min_free_mb/warn_free_mb: expected 0 <= min_free_mb <= warn_free_mb")
        if self.photo_retention_days < 1:
            errors.append("photo_retention_days: expected 1 or more")
        if self.scan_retention_days < 1:
            errors.append("scan_retention_days: expected 1 or more")
        if self.backup_keep < 1:
            errors.append("backup_keep: expected 1 or more")
        if self.max_backlog_age_h <= 0:
            errors.append("max_backlog_age_h: expected more than 0")
        return errors
