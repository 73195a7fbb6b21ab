"""The CLI attacked: a parcel whose signed receipt (回单) is required is signed only
through the 回单 form (the core refuses any other signing, amber, recording nothing), and
numbers past what SQLite holds are usage errors, not tracebacks."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest

from edge.cli import main
from edge.store import Store

ZTO = "75123456789001"
Station = Callable[[str], int]


@pytest.fixture
def station(tmp_path: Path) -> Station:
    data = tmp_path / "st"
    assert main(["--data", str(data), "init", "--station", "SZ-NS-0042"]) == 0
    return lambda words: main(["--data", str(data), *shlex.split(words)])


def test_cli_sign_refused_while_the_receipt_is_required(
    station: Station, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert station(f"scan --type receive --carrier zto {ZTO}") == 0
    assert station(f"receipt require {ZTO} --needs signature") == 0
    capsys.readouterr()
    assert station(f"scan --type sign --json {ZTO}") != 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["status"] == "duplicate"
    assert answer["message_key"] == "receipt_required"
    with Store(tmp_path / "st" / "station.db") as store:
        row = store.parcel(ZTO)
        assert row is not None and row["state"] == "on_shelf"
        signs = store.conn.execute("SELECT COUNT(*) FROM scans WHERE type = 'sign'").fetchone()[0]
    assert signs == 0


def test_cli_sign_goes_through_without_a_requirement(
    station: Station, capsys: pytest.CaptureFixture[str]
) -> None:
    assert station(f"scan --type receive --carrier zto {ZTO}") == 0
    assert station(f"scan --type sign {ZTO}") == 0


@pytest.mark.parametrize(
    "words",
    [
        "handover show 99999999999999999999999",
        "ticket show 99999999999999999999999",
        "receipt confirm 99999999999999999999999",
        f"receipt require {ZTO} --hops 99999999999999999999999",
    ],
)
def test_cli_numbers_past_their_range_are_usage_errors(
    station: Station, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        station(words)
    assert stopped.value.code == 2
    assert "expected" in capsys.readouterr().err
