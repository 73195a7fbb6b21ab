"""`head-office.toml` in head office's data folder: typed, documented, unknown keys named.

python -m sync.headoffice.config   # rewrite README.md's table of its keys
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from edge.config import parse_as
from edge.config_base import ConfigError, Section, doc
from sync.headoffice.notify.config import NotifySection

FILE_NAME = "head-office.toml"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


@dataclass
class HeadOfficeConfig(Section):
    db: str = doc(
        "postgresql://user:password@host/dbname to keep everything in PostgreSQL; empty: "
        "SQLite in the data folder. --db and $HEAD_OFFICE_DB win over it. Never logged.",
        "",
    )
    notify: NotifySection = field(
        default_factory=NotifySection, metadata={"doc": "Recipient notifications."}
    )

    def check(self) -> list[str]:
        # The value is never echoed: it may hold a password.
        if self.db and not self.db.startswith(POSTGRES_SCHEMES):
            return ["db: expected a postgresql:// URL, or nothing for SQLite"]
        return []


def parse(text: str, source: str = FILE_NAME) -> HeadOfficeConfig:
    return parse_as(HeadOfficeConfig, text, source)


def load(folder: Path) -> HeadOfficeConfig:
    """The data folder's head-office.toml; a missing file means all defaults."""
    path = folder / FILE_NAME
    if not path.exists():
        return HeadOfficeConfig()
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not a text file (UTF-8 expected, byte {exc.start} is not)"
        ) from None
    return parse(text, str(path))


START, END = "<!-- area:head-office-toml -->", "<!-- /area:head-office-toml -->"


def reference_markdown() -> str:
    """The README's table of head-office.toml keys, made from the dataclasses above."""
    from edge.config import reference

    lines = [START, "| key | type | default | meaning |", "|---|---|---|---|"]
    for key in reference(HeadOfficeConfig):
        default = f"`{key.default}`" if key.default else ""
        kind = key.type.replace("|", "\\|")  # a pipe would end the table cell
        lines.append(f"| `{key.key}` | {kind} | {default} | {key.doc} |")
    return "\n".join([*lines, END])


if __name__ == "__main__":
    readme = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    text = readme.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    readme.write_text(head + reference_markdown() + tail, encoding="utf-8")
