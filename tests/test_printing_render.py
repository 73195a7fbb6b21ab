"""The label renderer: TSPL and ESC/POS bytes parsed back, and the preview PNG equal,
dot for dot, to what the printer is sent."""

from __future__ import annotations

import logging
import string
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops

from edge import config as config_mod
from edge.config_base import ConfigError
from edge.devices.printers import escpos, tspl
from edge.devices.printers.label import LabelData, info_lines, layout
from edge.devices.printers.media import parse_size
from edge.devices.printers.raster import (
    QR,
    Barcode,
    Text,
    code128_modules,
    font_path,
    qr_matrix,
    text_extent,
)
from edge.devices.printers.render import job_bytes, preview
from edge.devices.printers.settings import PrinterSection, PrintingSection
from edge.devices.printers.simulator import decode_job

DATA = LabelData("773123456789012", "3-2-1045", "3-2", "11-28", "5678")
FONT = font_path()


def printer(**kw: object) -> PrinterSection:
    return PrinterSection(**{"name": "label-1", "device": "tcp://127.0.0.1:9100", **kw})


def same(a: Image.Image, b: Image.Image) -> bool:
    return (
        a.size == b.size and ImageChops.difference(a.convert("L"), b.convert("L")).getbbox() is None
    )


def lines(data: bytes) -> list[bytes]:
    """The command lines of a TSPL job, BITMAP data cut off."""
    return [line.split(b",0,", 1)[0] if line.startswith(b"BITMAP") else line
            for line in data.split(b"\r\n") if line]  # fmt: skip


@pytest.mark.parametrize("size", ["40x30", "60x40"])
@pytest.mark.parametrize("template", ["barcode", "qr"])
def test_tspl_bitmap_job_prints_exactly_the_preview(size: str, template: str) -> None:
    p = printer(size=size, template=template)
    job = job_bytes(DATA, p, PrintingSection())
    w, h = (int(n) for n in size.split("x"))
    cmds = lines(job)
    assert cmds[0] == f"SIZE {w} mm,{h} mm".encode()
    assert b"GAP 2 mm,0 mm" in cmds and b"CLS" in cmds
    assert cmds[-1] == b"PRINT 1,1"
    assert sum(c.startswith(b"BITMAP") for c in cmds) == 3  # code, two info lines
    assert not any(c.startswith(b"TEXT") for c in cmds)
    if template == "barcode":
        (bar,) = [c for c in cmds if c.startswith(b"BARCODE")]
        assert bar.endswith(b'"773123456789012"') and b'"128"' in bar
    else:
        (qr,) = [c for c in cmds if c.startswith(b"QRCODE")]
        assert qr.endswith(b",M," + qr.split(b",M,")[1].split(b",")[0] + b',A,0,"773123456789012"')
    decoded = tspl.decode(job, FONT)
    assert (decoded.size.width_mm, decoded.size.height_mm, decoded.copies) == (w, h, 1)
    assert same(decoded.image, preview(DATA, p, PrintingSection()))


def test_pickup_code_is_as_large_as_the_label_allows() -> None:
    for size in ("40x30", "60x40"):
        s = parse_size(size)
        code = layout(DATA, s, "barcode", FONT)[0]
        assert isinstance(code, Text) and code.text == "3-2-1045"
        ink = preview(DATA, printer(size=size), PrintingSection()).crop(
            (0, 0, s.width, s.height * 2 // 5 + 12)
        )
        left, top, right, bottom = ImageChops.invert(ink.convert("L")).getbbox() or (0, 0, 0, 0)
        # Fills its box (the width between the margins, or 2/5 of the height), and is
        # over a quarter of the label high.
        inner_w, box_h = s.width - 2 * 12, (s.height - 2 * 12) * 2 // 5
        assert right - left >= inner_w - 8 or bottom - top >= box_h - 8
        assert bottom - top >= s.height // 4


def test_the_label_says_shelf_tail_date_and_masked_phone() -> None:
    first, second = info_lines(DATA)
    assert first == "货架 3-2   尾号 789012"
    assert second == "11-28   ***-****-5678"
    assert "5678" in second and "138" not in second
    texts = [
        e.text for e in layout(DATA, parse_size("40x30"), "barcode", FONT) if isinstance(e, Text)
    ]
    assert texts == ["3-2-1045", first, second]


def test_barcode_modules_are_the_waybills_code128() -> None:
    s = parse_size("40x30")
    bars = next(e for e in layout(DATA, s, "barcode", FONT) if isinstance(e, Barcode))
    image = preview(DATA, printer(), PrintingSection())
    row = bars.y + bars.height // 2
    pixels = [image.getpixel((x, row)) for x in range(bars.x, s.width, bars.narrow)]
    modules = "".join("1" if p == 0 else "0" for p in pixels)
    expected = code128_modules(DATA.waybill)
    assert modules.startswith(expected) and set(modules[len(expected) :]) <= {"0"}
    # Quiet zones of ten modules or more either side.
    assert bars.x >= 10 * bars.narrow
    assert s.width - (bars.x + len(expected) * bars.narrow) >= 10 * bars.narrow


def test_a_waybill_too_long_for_bars_on_a_small_label_gets_a_qr() -> None:
    long = LabelData("JD00123456789012345-1-1-", "5-1-001", "5-1", "11-28", None)
    elements = layout(long, parse_size("40x30"), "barcode", FONT)
    assert any(isinstance(e, QR) for e in elements)
    assert not any(isinstance(e, Barcode) for e in elements)
    assert info_lines(long)[1] == "11-28"  # no phone: nothing masked printed


def test_tspl_font_mode_sends_gb18030_text_in_the_builtin_font() -> None:
    job = job_bytes(DATA, printer(chinese="font"), PrintingSection())
    texts = [c for c in lines(job) if c.startswith(b"TEXT")]
    assert len(texts) == 3 and not any(c.startswith(b"BITMAP") for c in lines(job))
    assert all(b'"TSS24.BF2",0,' in t for t in texts)
    assert "货架 3-2".encode("gb18030") in texts[1]
    big = tspl._args(texts[0].decode("gb18030").partition(" ")[2])
    small = tspl._args(texts[1].decode("gb18030").partition(" ")[2])
    assert int(big[4]) > int(small[4]) >= 1  # the pickup code is magnified more
    decoded = tspl.decode(job, FONT)
    assert next(e.text for e in decoded.elements if isinstance(e, Text)) == "3-2-1045"


def test_tspl_quotes_and_garbage() -> None:
    odd = LabelData('A"B-1234', 'X"1', "1-1", "11-28")
    job = job_bytes(odd, printer(template="qr"), PrintingSection())
    assert b'"A\\["]B-1234"' in job
    assert [e.data for e in tspl.decode(job, FONT).elements if isinstance(e, QR)] == ['A"B-1234']
    for bad in (
        b"",
        b"CLS\r\nPRINT 1\r\n",
        b"SIZE 40 mm,30 mm\r\nCLS\r\n",
        b"SIZE 40 mm,30 mm\r\nBITMAP 0,0,4,100,0,\x00\x00",
        b"SIZE x,y\r\nPRINT 1\r\n",
    ):
        with pytest.raises(ValueError):
            tspl.decode(bad, FONT)


# Any character at all, lone surrogates and every control character included.
_any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
_nasty = st.lists(
    st.sampled_from(["\r", "\n", "\r\n", '"', '\\["]', "\x1b!R", "\x1b!.", "~!T", "\x00",
                     ",", "\\[L]", "PRINT 1", "货架", "\ud800"]),
    max_size=8,
).map("".join)  # fmt: skip
EXPECTED = ["SIZE", "GAP", "DENSITY", "DIRECTION", "REFERENCE", "CLS", "TEXT", "BARCODE",
            "QRCODE", "PRINT"]  # fmt: skip


@given(text=_any_text | _nasty, chinese=st.sampled_from(["font", "bitmap"]))
def test_any_text_yields_one_command_line_per_command(text: str, chinese: str) -> None:
    elements = [Text(8, 8, 24, text), Barcode(8, 60, 40, 2, text), QR(8, 120, 4, text)]
    job = tspl.encode(elements, parse_size("60x40", 8), chinese=chinese, font=FONT)
    kept = tspl.printable(text)
    assert not any(unicodedata.category(ch) in ("Cc", "Cs") for ch in kept)
    parsed = tspl.parse(job)
    names = [name for name, _ in parsed.commands]
    assert names == (EXPECTED if chinese == "font" else [*EXPECTED[:6], "BITMAP", *EXPECTED[7:]])
    # Quoted data comes back exactly as the printable text, quotes included.
    coded = [e.data for e in parsed.elements if isinstance(e, Barcode | QR)]
    assert coded == [kept, kept]
    if chinese == "font":
        assert [e.text for e in parsed.elements if isinstance(e, Text)] == [kept]
        # Outside BITMAP's raw bytes, nothing but the line ends may be CR, LF or ESC.
        body = job.replace(tspl.EOL, b"")
        assert not any(c in body for c in b"\r\n\x1b\x00")
        assert job.count(tspl.EOL) == len(EXPECTED)


def test_control_characters_are_dropped_with_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="edge.devices.printers.raster")
    job = tspl.encode([QR(0, 0, 4, 'SF1\r\nPRINT 99\r\n"')], parse_size("40x30", 8))
    assert b'"SF1PRINT 99\\["]"' in job and job.count(b"PRINT") == 2
    assert "4 unprintable character(s) dropped" in caplog.text
    assert "PRINT 99" not in caplog.text  # the text itself is not logged


@pytest.mark.parametrize(("profile", "paper"), [("POS-5890", 384), ("NT-80-V-UL", 576)])
def test_escpos_job_is_the_preview_as_one_raster(profile: str, paper: int) -> None:
    p = printer(language="escpos", profile=profile)
    label = preview(DATA, p, PrintingSection())
    job = job_bytes(DATA, p, PrintingSection())
    assert job.startswith(b"\x1b@")  # ESC @ initialises
    start = job.index(b"\x1dv0")
    header = job[start + 4 : start + 8]
    width_bytes, height = header[0] | header[1] << 8, header[2] | header[3] << 8
    assert height == 240 and width_bytes * 8 >= 320
    decoded = escpos.decode(job, paper)
    assert decoded.rasters == 1
    ink = ImageChops.invert(decoded.image.convert("L")).getbbox()
    assert ink is not None
    # Centred on the paper, the label's own dots unchanged.
    offset = (paper - 320) // 2
    assert same(decoded.image.crop((offset, 0, offset + 320, 240)), label)
    language, image = decode_job(job, FONT)
    assert language == "escpos" and image.height >= 240


def test_escpos_garbage_is_refused() -> None:
    for bad in (b"", b"\x1b@", b"\x1dv0\x00\x28\x00\xf0\x00\x00", b"\x1b\x99"):
        with pytest.raises(ValueError):
            escpos.decode(bad)


def test_printer_config_is_checked_with_plain_answers() -> None:
    base = '[[printers]]\nname = "label-1"\ndevice = "tcp://10.0.0.9"\n'
    config = config_mod.parse(base + 'size = "60x40"\ntemplate = "qr"\ndesks = ["desk-*"]\n')
    assert config.printers[0].label_size().width == 480
    assert config.printing.retry_max_s == 60.0
    for extra, word in (
        ('size = "40"\n', "size"),
        ('size = "400x30"\n', "size"),
        ('language = "zpl"\n', "language"),
        ('template = "fancy"\n', "template"),
        ('chinese = "ttf"\n', "chinese"),
        ('language = "escpos"\nsize = "80x50"\n', "wider"),
        ('colour = "red"\n', "unknown key"),
    ):
        with pytest.raises(ConfigError, match=word):
            config_mod.parse(base + extra)
    with pytest.raises(ConfigError, match="two printers share a name"):
        config_mod.parse(base + base)
    with pytest.raises(ConfigError, match="device"):
        config_mod.parse('[[printers]]\nname = "p"\ndevice = "lpt1"\n')


_waybills = st.text(alphabet=string.ascii_uppercase + string.digits + '-"', min_size=4, max_size=30)
_codes = st.text(alphabet=string.digits + "-" + "测试架", min_size=1, max_size=12)


@settings(max_examples=40)
@given(
    waybill=_waybills,
    code=_codes,
    last4=st.none() | st.from_regex(r"\A[0-9]{4}\Z"),
    size=st.sampled_from(["40x30", "60x40"]),
    template=st.sampled_from(["barcode", "qr"]),
)
def test_any_label_decodes_to_its_preview(
    waybill: str, code: str, last4: str | None, size: str, template: str
) -> None:
    data = LabelData(waybill, code, "1-1", "11-28", last4)
    p = printer(size=size, template=template)
    decoded = tspl.decode(job_bytes(data, p, PrintingSection()), FONT)
    assert same(decoded.image, preview(data, p, PrintingSection()))
    coded = [e.data for e in decoded.elements if isinstance(e, Barcode | QR)]
    assert coded == [waybill]
    # Every element lies inside the label.
    width, height = p.label_size().width, p.label_size().height
    for e in layout(data, p.label_size(), template, FONT):
        if isinstance(e, Text):
            w, h = text_extent(e.text, e.size, FONT)
        elif isinstance(e, Barcode):
            w, h = len(code128_modules(e.data)) * e.narrow, e.height
        else:
            w = h = len(qr_matrix(e.data)) * e.cell
        assert e.x >= 0 and e.x + w <= width and e.y >= 0 and e.y + h <= height, e
