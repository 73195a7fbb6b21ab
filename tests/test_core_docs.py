"""The README and the CLI agree: every command documented, every command has --help."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.cli import build_parser, main
from edge.docs import commands, reference_markdown

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_reference_is_current() -> None:
    assert reference_markdown() in README, "run: .venv/bin/python -m edge.docs"


@pytest.mark.parametrize("path", [p for p, _ in commands(build_parser())])
def test_every_command_is_documented_and_has_help(
    path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert f"`{path}`" in README
    with pytest.raises(SystemExit) as done:
        main([*path.split()[1:], "--help"])
    assert done.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "scripts/test" in ci and "scripts/test" in README
