"""The [appliance] config section: disk, retention and backup."""

from dataclasses import dataclass

from edge.config_base import Section, doc


@dataclass
class ApplianceSection(Section):
    min_free_mb: int = doc("Below this much free disk, photos are refused (scans still go on).", 500)
