"""Waybill recognition: published example numbers, bad check digits, overlaps."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.carriers import CARRIERS, FORMATS, Recognition, recognise

# Published valid numbers (carriers' own examples, UPU S10-12, jkeen/tracking_number_data).
VALID_WITH_CHECK = [
    # UPU S10: RB123456785GB is the standard's worked example.
    ("RB123456785GB", "RB123456785GB", ("chinapost",)),
    ("RB123456785US", "RB123456785US", ("chinapost", "usps")),
    ("EE123456785CN", "EE123456785CN", ("ems",)),
    ("EA123456785US", "EA123456785US", ("ems", "usps")),
    ("LK123456785CN", "LK123456785CN", ("chinapost", "ems")),
    ("CP123456785CN", "CP123456785CN", ("chinapost", "ems")),
    ("RR123456785CN", "RR123456785CN", ("chinapost",)),
    ("VV123456785CN", "VV123456785CN", ("chinapost",)),
    # UPS: 1Z999AA10123456784 is UPS's documentation example.
    ("1Z999AA10123456784", "1Z999AA10123456784", ("ups",)),
    ("1Z5R89390357567127", "1Z5R89390357567127", ("ups",)),
    ("1Z879E930346834440", "1Z879E930346834440", ("ups",)),
    ("1Z410E7W0392751591", "1Z410E7W0392751591", ("ups",)),
    ("1Z8V92A70367203024", "1Z8V92A70367203024", ("ups",)),
    # FedEx Ground 15 and the Ground 96 barcode, whose last 15 digits are the number.
    ("041441760228964", "041441760228964", ("fedex",)),
    ("449044304137821", "449044304137821", ("fedex",)),
    ("9611020987654312345672", "987654312345672", ("fedex",)),
    # FedEx Express 34-digit barcode: the 12-digit number is at its end.
    ("1001921334250001000300779017972697", "779017972697", ("fedex",)),
    ("1002297871540001000300790695517286", "790695517286", ("fedex",)),
    # FedEx SmartPost (92 dropped) and its full 22-digit IMpb, which USPS delivers.
    ("61299998820821171811", "61299998820821171811", ("fedex",)),
    ("9261292700768711948021", "9261292700768711948021", ("fedex", "usps")),
    # USPS IMpb, also behind a 420+ZIP routing code, and 20-digit numbers.
    ("9400111201080805483016", "9400111201080805483016", ("usps",)),
    ("9505511069605048600624", "9505511069605048600624", ("usps",)),
    ("92748931507708513018050063", "92748931507708513018050063", ("usps",)),
    ("420221539101026837331000039521", "9101026837331000039521", ("usps",)),
    ("4201028200009261290113185417468510", "9261290113185417468510", ("usps",)),
    ("03071790000523483741", "03071790000523483741", ("usps",)),
    ("71969010756003077385", "71969010756003077385", ("usps",)),
    # DHL Express: first digits mod 7.
    ("3318810025", "3318810025", ("dhl",)),
    ("1099255990", "1099255990", ("dhl",)),
    ("3821724944", "3821724944", ("dhl",)),
]


@pytest.mark.parametrize(("code", "waybill", "carriers"), VALID_WITH_CHECK)
def test_published_numbers_verify(code: str, waybill: str, carriers: tuple[str, ...]) -> None:
    assert recognise(code) == Recognition(waybill, carriers, "ok")


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


def test_failed_check_drops_only_that_candidate() -> None:
    # 12 digits: FedEx Express fails its check, SF's and JD's numeric ranges stay.
    result = recognise("996578788855")
    assert result.carriers == ("jd", "sf")
    assert result.check_digit == "none"
    # The same shape with a good FedEx check keeps FedEx beside them.
    assert recognise("986578788855") == Recognition("986578788855", ("fedex", "jd", "sf"), "ok")


CHINESE = [
    ("SF1234567890123", ("sf",)),
    ("SF123456789012", ("sf",)),
    ("YT1234567890123", ("yto",)),
    ("JT0006968326954", ("jtexpress",)),
    ("JDVA11408814483", ("jd",)),
    ("JDX000123456789", ("jd",)),
    ("75123456789012", ("zto",)),
    ("78123456789012", ("zto",)),
    # ZTO and STO share 77… 15-digit numbers.
    ("773123456789012", ("sto", "zto")),
    ("268123456789", ("jd", "sf", "sto", "zto")),
    ("462598779470531", ("yunda",)),
    ("312345678901234", ("yunda",)),
    ("432542035598773", ("yunda", "zto")),
    # Domestic 13-digit postal numbers: EMS/China Post, and JD's numeric range.
    ("1240921381750", ("chinapost", "ems", "jd")),
    ("9812345678901", ("chinapost", "jd")),
    ("5012345678901", ("ems", "jd", "zto")),
    ("D123456789", ("yto",)),
]


@pytest.mark.parametrize(("code", "carriers"), CHINESE)
def test_chinese_formats(code: str, carriers: tuple[str, ...]) -> None:
    assert recognise(code) == Recognition(code, carriers, "none")


def test_ambiguous_numeric_gives_several_candidates() -> None:
    result = recognise("773123456789012")
    assert {"sto", "zto"} <= set(result.carriers)
    assert len(recognise("268123456789").carriers) >= 3


@pytest.mark.parametrize(
    ("code", "waybill"),
    [
        ("JDVA00012345678-1-1-", "JDVA00012345678"),
        ("JDVA00012345678-2-3", "JDVA00012345678"),
        ("jdva00012345678-1-1-", "JDVA00012345678"),
        ("JDX000123456789-12-20-", "JDX000123456789"),
    ],
)
def test_jd_package_suffix_is_stripped(code: str, waybill: str) -> None:
    assert recognise(code) == Recognition(waybill, ("jd",), "none")


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
    assert result.waybill == waybill
    assert result.carriers


def test_dhl_piece_ids_have_no_check_digit() -> None:
    assert recognise("JJD0099999999") == Recognition("JJD0099999999", ("dhl",), "none")
    assert recognise("JVGL0999999990") == Recognition("JVGL0999999990", ("dhl",), "none")


@pytest.mark.parametrize(
    "code",
    ["", "hello", "OP:OUT", "12345", "SF123", "JT123", "ABC-DEF", "٣٣١٨٨١٠٠٢٥", "RB12345678GB"],
)
def test_garbage_is_unknown_and_kept_as_read(code: str) -> None:
    assert recognise(code) == Recognition(code, (), "none")


def test_every_format_names_known_carriers() -> None:
    for fmt in FORMATS:
        assert fmt.carriers <= CARRIERS, fmt.name


@pytest.mark.parametrize("code", ["3318810010", "3318810034"])
def test_ten_digits_failing_dhl_are_another_carriers_number(code: str) -> None:
    # Deppon and regional carriers use such numbers too: not refused, carrier unknown.
    assert recognise(code) == Recognition(code, (), "none")
    assert recognise("3318810036") == Recognition("3318810036", ("dhl",), "ok")


@given(st.sampled_from(range(21)), st.integers(min_value=1, max_value=9))
def test_single_digit_error_in_impb_is_caught(position: int, delta: int) -> None:
    valid = "9400111201080805483016"
    changed = str((int(valid[position]) + delta) % 10)
    code = valid[:position] + changed + valid[position + 1 :]
    assert "usps" not in recognise(code).carriers


codes = st.one_of(
    st.text(),
    st.text(alphabet="0123456789", min_size=8, max_size=36),
    st.from_regex(r"[A-Za-z]{2}[0-9]{9}[A-Za-z]{2}", fullmatch=True),
    st.from_regex(r"1[Zz][0-9A-Za-z]{16}", fullmatch=True),
    st.from_regex(r"JD[A-Z]{1,3}[0-9]{10,13}(-[0-9]{1,2}-[0-9]{1,2}-?)?", fullmatch=True),
)


@given(codes)
def test_never_raises_and_answers_sorted_known_codes(code: str) -> None:
    result = recognise(code)
    assert list(result.carriers) == sorted(set(result.carriers))
    assert set(result.carriers) <= CARRIERS
    assert result.check_digit in ("ok", "bad", "none")
    if result.check_digit == "bad":
        assert result.carriers == ()
    if result.carriers:
        assert result.waybill.isascii()
    # The canonical waybill is a fixed point: recognising it again changes nothing.
    assert recognise(result.waybill).waybill == result.waybill
