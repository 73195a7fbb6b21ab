"""The README's reference section, made from the code so the two cannot drift apart.

    python -m edge.docs          # rewrite the section in README.md
A test fails when README.md differs from what this makes.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from edge import config as config_mod

START, END = "<!-- area:reference -->", "<!-- /area:reference -->"


def commands(parser: argparse.ArgumentParser, prefix: str = "station") -> Iterator[tuple[str, str]]:
    """(command path, help) for every subcommand, depth first."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, sub in action.choices.items():
                path = f"{prefix} {name}"
                yield path, helps.get(name, "")
                yield from commands(sub, path)


def _usage(parser: argparse.ArgumentParser, path: str) -> str:
    usage = parser.format_usage().replace("usage: ", "").strip()
    usage = re.sub(r"\s+", " ", usage)
    return usage.replace(parser.prog, path, 1)


def reference_markdown() -> str:
    from edge.cli import build_parser

    parser = build_parser()
    lines = [START, "## Command reference", ""]
    lines += ["Run any command with `--help` for its options.", ""]
    lines += ["| command | what it does |", "|---|---|"]
    for path, text in commands(parser):
        lines.append(f"| `{path}` | {text} |")
    lines += ["", "## Configuration reference", ""]
    lines += [
        "One TOML file (`station init` writes it, commented; `station config check` checks it).",
        "Every key is optional and has the default shown; an unknown or mistyped key is an",
        "error naming the key, the file and what was expected.",
        "",
        "| key | type | default | meaning |",
        "|---|---|---|---|",
    ]
    for key in config_mod.reference():
        default = f"`{key.default}`" if key.default else ""
        lines.append(f"| `{key.key}` | {key.type} | {default} | {key.doc} |")
    lines.append(END)
    return "\n".join(lines)


def rewrite(readme: Path) -> bool:
    """Put the fresh reference into README; True when it changed."""
    text = readme.read_text(encoding="utf-8")
    start, end = text.index(START), text.index(END) + len(END)
    fresh = text[:start] + reference_markdown() + text[end:]
    if fresh != text:
        readme.write_text(fresh, encoding="utf-8")
    return fresh != text


if __name__ == "__main__":
    changed = rewrite(Path(sys.argv[1] if len(sys.argv) > 1 else "README.md"))
    print("README.md updated" if changed else "README.md already up to date")
