import pytest

from edge import barcode
from edge.barcode import Code, Command
from edge.messages import Message


@pytest.mark.parametrize(
    ("raw", "code", "aim"),
    [
        ("SF1234567890123\r\n", "SF1234567890123", None),
        ("  75123456789012\t", "75123456789012", None),
        ("]C0SF1234567890123", "SF1234567890123", "]C0"),
        ("]E0  6901234567892", "6901234567892", "]E0"),
        ("]C1\x1d0109501101530003\x1d10ABC", "0109501101530003\x1d10ABC", "]C1"),
        ("JT00\x0012345678\x07901", "JT0012345678901", None),
        ("]Q3https://ex.cn/a", "https://ex.cn/a", "]Q3"),
    ],
)
def test_normalise_strips_aim_whitespace_and_control(raw: str, code: str, aim: str | None) -> None:
    assert barcode.normalise(raw) == Code(code, aim)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("", "empty"),
        ("\r\n", "empty"),
        ("]C1", "empty"),
        ("ab", "incomplete_read"),
        ("9" * 500, "too_long"),
        ("SF12\u200b34567", "unprintable"),
    ],
)
def test_normalise_refuses_with_reason(raw: str, key: str) -> None:
    result = barcode.normalise(raw)
    assert isinstance(result, Message)
    assert result.key == key
    assert result.zh and result.en


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("OP:zhang01", Command("operator_in", "zhang01")),
        ("op:out", Command("operator_out")),
        ("MODE:SIGN", Command("mode", "sign")),
        ("MODE:STOCKTAKE", Command("mode", "stocktake")),
        ("PROBLEM:DAMAGED", Command("problem", "damaged")),
        ("DISPATCH:RETURN", Command("dispatch", "return")),
        ("CARRIER:ZTO", Command("carrier", "zto")),
        ("CARRIER:", Command("carrier", None)),
        ("UNDO", Command("undo")),
        ("SF1234567890123", None),
    ],
)
def test_command_cards(code: str, expected: Command | None) -> None:
    assert barcode.parse_command(code) == expected


@pytest.mark.parametrize("code", ["MODE:FLY", "PROBLEM:BORED", "OP:", "DISPATCH:SEA", "X:Y"])
def test_bad_command_card_is_refused(code: str) -> None:
    result = barcode.parse_command(code)
    assert isinstance(result, Message) and result.key == "bad_command"


def test_gs1_sscc_and_ginc_give_the_shipment_number() -> None:
    assert barcode.waybill_from_gs1(Code("00376130321109103420", "]C1")) == "376130321109103420"
    assert barcode.waybill_from_gs1(Code("401ABC123\x1d10X", "]C1")) == "ABC123"
    product = barcode.waybill_from_gs1(Code("0109501101530003", "]C1"))
    assert isinstance(product, Message) and product.key == "not_waybill"
    assert barcode.waybill_from_gs1(Code("SF1234567890123", None)) is None


def test_every_card_is_a_command() -> None:
    for code, zh, en in barcode.command_cards():
        assert isinstance(barcode.parse_command(code), Command), code
        assert zh and en


@pytest.mark.parametrize(
    ("text", "waybill"),
    [
        (
            "https://www.sf-express.com/waybill/#search/bill-number/SF1234567890123",
            "SF1234567890123",
        ),
        ("http://m.zto.com/track?billCode=75123456789012&from=qr", "75123456789012"),
        ("https://x.cn/a/b?id=abc&no=JT0001234567890", "JT0001234567890"),
        ("SF 1234 5678 9012 3", "SF1234567890123"),
        ("JDVA00012345678-1-1-", "JDVA00012345678-1-1-"),
        ("https://example.com/about", "https://example.com/about"),
    ],
)
def test_waybill_inside_urls_and_grouped_numbers(text: str, waybill: str) -> None:
    assert barcode.waybill_text(text) == waybill
