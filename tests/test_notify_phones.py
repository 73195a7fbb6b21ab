"""Manifest phones and consent: kept only at head office, encrypted at rest, purged."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from edge.cli import main
from sync.headoffice.manifest_csv import ManifestError, parse_manifest_csv, split_phones
from sync.headoffice.phones import PhoneBook

STATION = "SZ-NS-0042"
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def test_manifest_import_keeps_the_number_encrypted_and_only_last4_for_stations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    office = tmp_path / "office"
    csv = tmp_path / "m.csv"
    csv.write_text(
        "station,waybill,phone,consent,recipient_masked\n"
        f"{STATION},SF1234567890123,+86 138-1234-5678,yes,张三 13812345678\n"
        f"{STATION},YT9876543210,,,\n",
        encoding="utf-8",
    )
    assert main(["head-office", "manifest", "import", str(csv), "--data", str(office)]) == 0
    assert json.loads(capsys.readouterr().out) == {"imported": 2, "phones": 1}
    for name in ("phones.db", "head-office.db"):
        raw = b"".join(p.read_bytes() for p in office.glob(name + "*"))
        assert raw and b"13812345678" not in raw and b"1234-5678" not in raw
    assert (office / "phones.key").stat().st_mode & 0o077 == 0
    book = PhoneBook(office)
    entry = book.get(STATION, "SF1234567890123")
    assert entry is not None and (entry.phone, entry.consent) == ("13812345678", True)
    assert book.get(STATION, "YT9876543210") is None
    book.close()


def test_manifest_rows_split_numbers_from_what_a_station_sees() -> None:
    parcels = parse_manifest_csv(
        "station,waybill,phone,consent\nS1,SF1234567890123,13812345678,0\n"
    )
    assert split_phones(parcels) == [("S1", "SF1234567890123", "13812345678", False)]
    assert parcels[0]["phone_last4"] == "5678"
    assert "13812345678" not in json.dumps(parcels)


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("S1,SF1234567890123,12345,", "line 2: phone: expected a mobile number"),
        ("S1,SF1234567890123,13812345678,maybe", "line 2: consent"),
    ],
)
def test_bad_phone_or_consent_is_named(row: str, problem: str) -> None:
    with pytest.raises(ManifestError, match=problem):
        parse_manifest_csv(f"station,waybill,phone,consent\n{row}\n")


def test_last4_must_match_the_number() -> None:
    with pytest.raises(ManifestError, match="does not match"):
        parse_manifest_csv("station,waybill,phone,phone_last4\nS1,SF123456789,13812345678,1111\n")


def test_numbers_are_forgotten_days_after_pickup(tmp_path: Path) -> None:
    book = PhoneBook(tmp_path)
    book.put(
        [(STATION, "W0001", "13812345678", None), (STATION, "W0002", "13912345678", None)], NOW
    )
    book.picked(STATION, "W0001", NOW)
    assert book.purge(NOW + timedelta(days=29), keep_days=30) == 0
    assert book.purge(NOW + timedelta(days=31), keep_days=30) == 1
    assert book.get(STATION, "W0001") is None
    assert book.get(STATION, "W0002") is not None  # still on the shelf: kept
    book.close()


def test_another_key_reads_nothing(tmp_path: Path) -> None:
    book = PhoneBook(tmp_path)
    book.put([(STATION, "W0001", "13812345678", True)], NOW)
    book.close()
    (tmp_path / "phones.key").unlink()
    other = PhoneBook(tmp_path)
    assert other.get(STATION, "W0001") is None
    other.close()
