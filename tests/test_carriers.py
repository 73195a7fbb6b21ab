"""Waybill recognition: published numbers, check digits, overlaps and who decides."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.carriers import (
    CARRIERS,
    DATA_FILE,
    FORMATS,
    S10_COUNTRIES,
    Choice,
    Recognition,
    choose,
    fit,
    recognise,
)

# (code, canonical waybill, candidates, carrier named by the number alone, confidence).
# Published valid numbers: UPU S10-12, UPS's developer guide, jkeen/tracking_number_data
# couriers/*.json test_numbers, USPS Publication 199.
INTERNATIONAL = [
    # UPU S10: RB123456785GB is the standard's worked example; EMS service E*.
    ("RB123456785GB", "RB123456785GB", ("chinapost",), "chinapost", "check_digit"),
    ("RB123456785US", "RB123456785US", ("chinapost",), "chinapost", "check_digit"),
    ("RB123456785CV", "RB123456785CV", ("chinapost",), "chinapost", "check_digit"),
    ("EE123456785CN", "EE123456785CN", ("ems",), "ems", "check_digit"),
    ("EA123456785US", "EA123456785US", ("ems",), "ems", "check_digit"),
    ("RR123456785CN", "RR123456785CN", ("chinapost",), "chinapost", "check_digit"),
    # A real registered letter from Taiwan (shlee322/delivery-tracker #194): TW is a real
    # ISO 3166 code, though not in tracking_number_data's UPU list.
    ("RA092357578TW", "RA092357578TW", ("chinapost",), "chinapost", "check_digit"),
    # Posted in China as e-Packet or parcel: EMS or China Post, the number cannot say.
    ("LK123456785CN", "LK123456785CN", ("chinapost", "ems"), None, "none"),
    ("CP123456785CN", "CP123456785CN", ("chinapost", "ems"), None, "none"),
    # UPS: 1Z999AA10123456784 is UPS's documentation example.
    ("1Z999AA10123456784", "1Z999AA10123456784", ("ups",), "ups", "check_digit"),
    ("1Z5R89390357567127", "1Z5R89390357567127", ("ups",), "ups", "check_digit"),
    ("1Z879E930346834440", "1Z879E930346834440", ("ups",), "ups", "check_digit"),
    ("1Z410E7W0392751591", "1Z410E7W0392751591", ("ups",), "ups", "check_digit"),
    # FedEx: the 34-digit Express barcode with its different prefixes, ASTRA 32, Ground 96
    # and GSN: the number is inside, and the shape is FedEx's alone.
    ("1001921334250001000300779017972697", "779017972697", ("fedex",), "fedex", "check_digit"),
    ("1002297871540001000300790695517286", "790695517286", ("fedex",), "fedex", "check_digit"),
    ("1027590111820004833500785458233610", "785458233610", ("fedex",), "fedex", "check_digit"),
    ("1195266473930007521100871079919940", "871079919940", ("fedex",), "fedex", "check_digit"),
    ("32971514560102447849175802862014", "784917580286", ("fedex",), "fedex", "check_digit"),
    ("9611020987654312345672", "987654312345672", ("fedex",), "fedex", "check_digit"),
    # FedEx Codabar labels as a gun reads them (itdida/itdida-issues #58, #594).
    ("d8077152042820402b", "807715204282", ("fedex",), "fedex", "check_digit"),
    ("B8091765356780402D", "809176535678", ("fedex",), "fedex", "check_digit"),
    ("9622001900000000000000776632517510", "00776632517510", ("fedex",), "fedex", "check_digit"),
    # USPS IMpb, also behind a 420+ZIP routing code (the same length as FedEx's 34).
    ("9400111201080805483016", "9400111201080805483016", ("usps",), "usps", "check_digit"),
    ("9505511069605048600624", "9505511069605048600624", ("usps",), "usps", "check_digit"),
    ("92748931507708513018050063", "92748931507708513018050063", ("usps",), "usps", "check_digit"),
    ("420221539101026837331000039521", "9101026837331000039521", ("usps",), "usps", "check_digit"),
    # jkeen/tracking_number #70: a routed USPS number once taken for FedEx.
    (
        "420773169261290283641500004181",
        "9261290283641500004181",
        ("usps",),
        "usps",
        "check_digit",
    ),
    (
        "4201028200009261290113185417468510",
        "9261290113185417468510",
        ("usps",),
        "usps",
        "check_digit",
    ),
    # SmartPost 22 is also an IMpb, delivered by USPS.
    (
        "9261292700768711948021",
        "9261292700768711948021",
        ("fedex", "usps"),
        "usps",
        "check_digit",
    ),
    # Plain runs of digits: a passing check is a candidate, never the answer.
    ("3318810025", "3318810025", ("deppon", "dhl", "zjs"), None, "none"),
    ("73891051146", "73891051146", ("dhl", "jd"), None, "none"),
    ("03071790000523483741", "03071790000523483741", ("usps",), None, "none"),
    ("61299998820821171811", "61299998820821171811", ("fedex",), None, "none"),
    ("041441760228964", "041441760228964", ("fedex", "yunda"), None, "none"),
    ("986578788855", "986578788855", ("fedex", "sf", "yto", "zto"), None, "none"),
]


@pytest.mark.parametrize(("code", "waybill", "candidates", "carrier", "confidence"), INTERNATIONAL)
def test_international_numbers(
    code: str, waybill: str, candidates: tuple[str, ...], carrier: str | None, confidence: str
) -> None:
    r = recognise(code)
    assert (r.waybill, r.carriers, r.carrier, r.confidence) == (
        waybill,
        candidates,
        carrier,
        confidence,
    )
    assert r.check_digit == "ok"


@pytest.mark.parametrize(
    "code",
    [
        "1234567890123",  # 13 digits: Yunda, STO, EMS, China Post … never JD alone
        "5123456789012",
        "4312345678901",
        "3318810036",  # passes DHL's mod 7, as one ten-digit number in seven does
        "3318810029",
        "477179081230",  # passes FedEx Express's check, and is an SF or ZTO shape too
    ],
)
def test_a_generic_shape_or_a_chance_check_names_no_carrier(code: str) -> None:
    r = recognise(code)
    assert r.carrier is None and r.confidence == "none"
    assert "jd" not in r.carriers  # JD's all-digit numbers count only with a JD batch
    assert r.waybill_shaped


BAD_CHECK = [
    "RB123456784GB",  # S10, check should be 5
    "EE123456784CN",
    "RB123456786US",
    "1Z999AA10123456785",  # UPS, check should be 4
    "1Z1111111111111111",
    "1Z999AA1012345678A",  # UPS check digit is always a digit
    "9400111201080805483000",  # USPS IMpb
    "9261292700768711948020",  # SmartPost / IMpb
    "9600000000000000000001",  # FedEx Ground 96
    "1001901781990001000300617767839438",  # FedEx Express 34
    "03071790000523480002",  # 20 digits: fails USPS, USPS-91 and SmartPost
]


@pytest.mark.parametrize("code", BAD_CHECK)
def test_wrong_check_digit_leaves_no_candidate(code: str) -> None:
    assert recognise(code) == Recognition(code, (), "bad")


def test_s10_needs_a_real_country_code() -> None:
    assert recognise("RB123456785XX") == Recognition("RB123456785XX", (), "none")
    assert {"CN", "US", "GB", "HK", "MO", "TW"} <= S10_COUNTRIES
    assert "XX" not in S10_COUNTRIES and all(len(c) == 2 for c in S10_COUNTRIES)


@pytest.mark.parametrize(
    ("code", "waybill"),
    [
        ("JDVA00012345678-1-1-", "JDVA00012345678"),
        ("jdva00012345678-2-3", "JDVA00012345678"),
        ("JDX000123456789-12-20-", "JDX000123456789"),
        ("DPK202252612836-1-2-", "DPK202252612836"),
    ],
)
def test_package_suffix_is_stripped(code: str, waybill: str) -> None:
    assert recognise(code).waybill == waybill


@pytest.mark.parametrize(
    ("code", "waybill"),
    [
        ("sf1234567890123", "SF1234567890123"),
        ("1z999aa10123456784", "1Z999AA10123456784"),
        ("rb123456785gb", "RB123456785GB"),
        ("jjd0099999999", "JJD0099999999"),
    ],
)
def test_lower_case_is_uppercased(code: str, waybill: str) -> None:
    result = recognise(code)
    assert result.waybill == waybill and result.carrier


@pytest.mark.parametrize(
    "code",
    ["", "hello", "hello1234", "OP:OUT", "12345", "SF123", "JT123", "ABC-DEF", "٣٣١٨٨١٠٠٢٥"],
)
def test_words_and_short_codes_are_not_waybill_shaped(code: str) -> None:
    assert recognise(code) == Recognition(code, (), "none")


# --- who decides ----------------------------------------------------------------------


def test_decision_order_manifest_then_batch_then_check_digit_then_pattern() -> None:
    ups = recognise("1Z999AA10123456784")
    assert choose("1Z999AA10123456784", ups, manifest="sf", batch="zto") == Choice("sf", "manifest")
    both = recognise("773123456789012")  # STO or Yunda
    assert choose("773123456789012", both, manifest=None, batch="yunda") == Choice("yunda", "batch")
    assert choose("773123456789012", both, manifest=None, batch=None) == Choice(None, "none")
    assert choose("1Z999AA10123456784", ups, manifest=None, batch=None) == Choice(
        "ups", "check_digit"
    )
    sf = recognise("SF1385628716739")
    assert choose("SF1385628716739", sf, manifest=None, batch=None) == Choice("sf", "pattern")


def test_a_clerk_can_correct_a_pattern_guess_with_the_batch_carrier() -> None:
    # 75 + 12 digits is ZTO's published range, yet a number of a range nobody listed
    # (here a Yunda batch on a plain 13-digit number) takes the batch carrier.
    r = recognise("1234567890123")
    assert choose("1234567890123", r, manifest=None, batch="yunda") == Choice("yunda", "batch")
    r = recognise("9876543210")  # an unlisted 10-digit number
    assert choose("9876543210", r, manifest=None, batch="deppon") == Choice("deppon", "batch")


def test_a_batch_carrier_the_number_cannot_belong_to_is_a_mismatch() -> None:
    ups = recognise("1Z999AA10123456784")
    assert choose("1Z999AA10123456784", ups, manifest=None, batch="zto") == Choice(
        "ups", "check_digit", mismatch=True
    )
    sf = recognise("SF1385628716739")
    # The letters say SF, the clerk says ZTO: neither is recorded as certain.
    assert choose("SF1385628716739", sf, manifest=None, batch="zto") == Choice(
        None, "none", mismatch=True
    )


def test_batch_only_formats_count_only_for_their_carrier() -> None:
    assert recognise("12345678").carriers == ()
    assert fit("12345678", "deppon") == "12345678"
    assert fit("12345678", "zto") is None
    assert fit("d123456789", "yto") == "D123456789"
    assert fit("HELLO12345", "zjs") == "HELLO12345"  # ZJS's old 10-character numbers
    assert fit("hello1234", "zjs") is None


# --- the data file --------------------------------------------------------------------


def test_every_row_names_known_carriers_a_source_and_a_strength() -> None:
    rows = tomllib.loads(DATA_FILE.read_text(encoding="utf-8"))["format"]
    assert len(rows) == len(FORMATS)
    for row, fmt in zip(rows, FORMATS, strict=True):
        assert fmt.carriers <= CARRIERS, fmt.name
        assert row["source"].strip(), fmt.name
        assert row["strength"] in ("definite", "weak"), fmt.name
        assert set(row) <= {"name", "regex", "carriers", "check", "strength", "batch", "source"}


def test_every_chinese_carrier_has_a_format() -> None:
    chinese = {"sf", "zto", "yto", "sto", "yunda", "jtexpress", "jd", "ems", "chinapost"}
    chinese |= {"deppon", "zjs", "cainiao"}
    covered = set().union(*(f.carriers for f in FORMATS))
    assert chinese <= covered


@given(st.sampled_from(range(21)), st.integers(min_value=1, max_value=9))
def test_single_digit_error_in_impb_is_caught(position: int, delta: int) -> None:
    valid = "9400111201080805483016"
    changed = str((int(valid[position]) + delta) % 10)
    code = valid[:position] + changed + valid[position + 1 :]
    assert recognise(code).carrier != "usps"


codes = st.one_of(
    st.text(),
    st.text(alphabet="0123456789", min_size=8, max_size=36),
    st.from_regex(r"[A-Za-z]{2}[0-9]{9}[A-Za-z]{2}", fullmatch=True),
    st.from_regex(r"1[Zz][0-9A-Za-z]{16}", fullmatch=True),
    st.from_regex(r"JD[A-Z]{1,3}[0-9]{10,13}(-[0-9]{1,2}-[0-9]{1,2}-?)?", fullmatch=True),
)


@given(codes, st.sampled_from([None, *sorted(CARRIERS)]))
def test_never_raises_and_answers_consistently(code: str, batch: str | None) -> None:
    result = recognise(code)
    assert list(result.carriers) == sorted(set(result.carriers))
    assert set(result.carriers) <= CARRIERS
    assert result.check_digit in ("ok", "bad", "none")
    if result.check_digit == "bad":
        assert result.carriers == ()
    if result.carrier is not None:
        assert result.carrier in result.carriers
        assert result.confidence in ("check_digit", "pattern")
    if result.carriers:
        assert result.waybill.isascii()
    # The canonical waybill is a fixed point: recognising it again changes nothing.
    assert recognise(result.waybill).waybill == result.waybill
    choice = choose(code, result, manifest=None, batch=batch)
    assert choice.carrier is None or choice.carrier in CARRIERS
    if choice.mismatch:
        assert choice.carrier != batch


def test_station_waybill_json_gives_the_confidence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from edge.cli import main
    from edge.store import Store

    def waybill(*words: str) -> dict:
        assert main(["--data", str(tmp_path / "st"), "waybill", "--json", *words]) == 0
        return json.loads(capsys.readouterr().out)

    # Without a station database it is a plain look-up.
    assert waybill("1Z999AA10123456784")["confidence"] == "check_digit"
    got = waybill("SF1385628716739")
    assert (got["carrier"], got["confidence"]) == ("sf", "pattern")
    assert got["formats"][0]["source"].startswith("BFZH")
    got = waybill("1234567890123")
    assert (got["carrier"], got["confidence"]) == (None, "none") and len(got["carriers"]) > 1
    assert waybill("1234567890123", "--carrier", "yunda")["confidence"] == "batch"
    assert waybill("SF1385628716739", "--carrier", "zto")["batch_mismatch"] is True
    assert main(["--data", str(tmp_path / "st"), "init"]) == 0
    with Store(tmp_path / "st" / "station.db") as store:
        store.upsert_manifest([{"waybill": "1234567890123", "carrier": "ems"}])
    capsys.readouterr()
    got = waybill("1234567890123", "--carrier", "yunda")
    assert (got["carrier"], got["confidence"]) == ("ems", "manifest")
    assert main(["--data", str(tmp_path / "st"), "waybill", "X1", "--carrier", "J&T"]) == 2
