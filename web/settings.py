"""The [web] config section."""

from dataclasses import dataclass

from edge.config_base import Section, doc


@dataclass
class WebSection(Section):
    host: str = doc("Address the tablet page listens on.", "0.0.0.0")
    port: int = doc("Port of the tablet page.", 8080)
