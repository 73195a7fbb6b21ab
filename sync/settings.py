"""The [head_office] config section."""

from dataclasses import dataclass

from edge.config_base import Section, doc


@dataclass
class HeadOfficeSection(Section):
    url: str = doc("Head office base URL, e.g. https://ho.example.com; empty means sync is off.", "")
    token_file: str = doc("File holding this station's token; must not be readable by others.", "")
