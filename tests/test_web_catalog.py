"""One catalog for every string: both languages, every key the page uses exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

from web import catalog

WEB = Path(__file__).resolve().parent.parent / "web"
KEY = re.compile(r"""\bt\(\s*['"]([a-z0-9_]+\.[a-z0-9_]+)['"]""")
ERRORS = re.compile(r"""(?:bad|PageError\(\d+,|PhotoError)\(?\s*['"]([a-z0-9_]+\.[a-z0-9_]+)['"]""")
STRINGS = re.compile(r"""['"]((?:sort|err)\.[a-z0-9_]+)['"]""")


def used_keys() -> set[str]:
    keys: set[str] = set()
    for path in list(WEB.rglob("*.html")) + list(WEB.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        keys |= set(KEY.findall(text)) | set(ERRORS.findall(text))
        if path.suffix == ".py":
            keys |= {k for k in STRINGS.findall(text) if not k.endswith(".html")}
    return keys


def test_every_used_key_exists() -> None:
    keys = used_keys()
    assert len(keys) > 100
    # Keys made at run time ("report.col_" + type) are checked by the page tour.
    missing = sorted(k for k in keys if k not in catalog.STRINGS and not k.endswith("_"))
    assert not missing


def test_both_languages_present_with_the_same_fields() -> None:
    fields = string.Formatter()
    for key, (zh, en) in catalog.STRINGS.items():
        assert zh and en, key
        zh_fields = {f for _, f, _, _ in fields.parse(zh) if f}
        en_fields = {f for _, f, _, _ in fields.parse(en) if f}
        assert zh_fields == en_fields, key


def test_templates_hold_no_bare_text() -> None:
    """Text between tags comes from the catalog, not from the template."""
    bare = re.compile(r">\s*([A-Za-z\u4e00-\u9fff][^<{]*?)\s*<")
    for path in WEB.rglob("*.html"):
        assert not bare.findall(path.read_text(encoding="utf-8")), path.name


def test_labels_fall_back_to_the_code() -> None:
    assert catalog.label("carrier", "zto", "zh") == "中通"
    assert catalog.label("carrier", "zto", "en") == "ZTO"
    assert catalog.label("carrier", "acme", "zh") == "acme"
    assert catalog.label("type", "receive", "zh") == "入库"


def test_every_carrier_has_a_name_in_both_languages() -> None:
    from edge.carriers import CARRIERS

    assert set(CARRIERS) <= set(catalog.LABELS["carrier"])
