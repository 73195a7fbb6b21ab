"""What every config section is made of: typed dataclass fields with documentation."""

from __future__ import annotations

import dataclasses
from dataclasses import field
from typing import Any


class ConfigError(ValueError):
    """A config file that cannot be used; the message says where and why."""


def doc(text: str, default: Any = dataclasses.MISSING) -> Any:
    """A dataclass field carrying its documentation; list defaults are copied per instance."""
    if isinstance(default, list):
        items = list(default)
        return field(default_factory=lambda: list(items), metadata={"doc": text})
    return field(default=default, metadata={"doc": text})


class Section:
    """Base for config sections; ``check()`` returns problems found after type checks."""

    def check(self) -> list[str]:
        return []
