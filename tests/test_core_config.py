from pathlib import Path

import pytest

from edge import config as config_mod
from edge.config_base import ConfigError


def test_defaults_load_and_template_round_trips() -> None:
    text = config_mod.commented_template()
    parsed = config_mod.parse(text, "template.toml")
    assert parsed.station.timezone == "Asia/Shanghai"
    assert parsed.pickup.code_format == "{shelf}-{layer}-{weekday}{seq:03}"
    assert parsed.scanning.double_read_window_s == 2.0
    assert [s.id for s in parsed.shelves] == ["1", "2", "3", "4"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[station]\ncode = 'X'\nbogus = 1\n", "station.bogus: unknown key"),
        (
            "[scanning]\ndouble_read_window_s = 'two'\n",
            "scanning.double_read_window_s: expected float",
        ),
        ("[pickup]\nkeep_together = 1\n", "pickup.keep_together: expected bool"),
        ("[station]\ntimezone = 'Mars/Base'\n", "unknown time zone"),
        ("[station]\nlanguage = 'fr'\n", "station.language: expected 'zh' | 'en'"),
        ("[[shelves]]\nlayers = 2\n", "shelves[0].id: missing"),
        ("[[sorting]]\nshelves = ['77']\n", "no shelf with id '77'"),
        ("[pickup]\ncode_format = '{shelf}-{nope}'\n", "code_format: cannot format"),
        ("nonsense = = 1", "not valid TOML"),
        ("[[sorting]]\nshelves = ['1']\ncarriers = ['J&T']\n", "carriers: unknown J&T"),
        ("[overdue]\nwarn_days = 9\nreturn_days = 3\n", "warn_days/return_days"),
    ],
)
def test_bad_config_names_key_file_and_expectation(text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        config_mod.parse(text, "/etc/station-edge/station.toml")
    assert "/etc/station-edge/station.toml" in str(err.value)
    assert expected in str(err.value)


def test_int_is_accepted_for_float() -> None:
    cfg = config_mod.parse("[scanning]\ndouble_read_window_s = 3\n")
    assert cfg.scanning.double_read_window_s == 3.0


def test_missing_file_means_defaults(tmp_path: Path) -> None:
    cfg = config_mod.load(tmp_path / "none.toml")
    assert cfg.station.code == "DEMO-0001"


def test_every_key_is_documented() -> None:
    keys = list(config_mod.reference())
    assert keys, "no keys"
    undocumented = [k.key for k in keys if not k.doc]
    assert undocumented == []


def test_binary_garbage_is_named_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "station.toml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00garbage")
    with pytest.raises(ConfigError) as err:
        config_mod.load(path)
    assert str(path) in str(err.value) and "not a text file" in str(err.value)


@pytest.mark.parametrize("text", ["", "\n# nothing here\n", "  \n\n"])
def test_an_empty_file_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "station.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"empty: set at least station\.code"):
        config_mod.load(path)


def test_an_explicit_demo_code_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "station.toml"
    path.write_text(config_mod.commented_template())
    assert config_mod.load(path).station.code == "DEMO-0001"


@pytest.mark.parametrize("fmt", ["{shelf}-{layer}", "A-{day}", "{shelf}{layer}{weekday}"])
def test_pickup_code_format_without_seq_is_refused(fmt: str) -> None:
    with pytest.raises(ConfigError, match=r"must contain \{seq\}"):
        config_mod.parse(f"[pickup]\ncode_format = '{fmt}'\n", "station.toml")


def test_a_wrongly_typed_value_is_named_by_type_not_repeated() -> None:
    # The same parser reads head-office.toml, whose keys hold secrets: an unquoted
    # number where a secret goes must not reach a log through the error.
    with pytest.raises(ConfigError) as err:
        config_mod.parse("[station]\ncode = 8675309123\n")
    assert "station.code: expected str, got int" in str(err.value)
    assert "8675309123" not in str(err.value)
