"""The station's configuration: one TOML file, every key typed, documented and defaulted.

Sections are dataclasses. Each field's ``metadata["doc"]`` is the documentation that
``station init`` writes into the commented config file and the README's reference
table repeats. Unknown or mistyped keys are errors that name the key, the file and
what was expected (Moonraker's typed getters are the model).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from edge.appliance.settings import ApplianceSection
from edge.carriers import CARRIERS
from edge.config_base import ConfigError, Section, doc
from edge.devices.printers.settings import PrinterSection, PrintingSection
from edge.devices.settings import ScaleSection, ScannerSection
from edge.service.settings import ServiceSection
from sync.settings import HeadOfficeSection
from web.settings import WebSection

CONFIG_NAME = "station.toml"
_CARRIER_LIST = ", ".join(sorted(CARRIERS))


@dataclass
class StationSection(Section):
    code: str = doc("Station code as head office knows it, e.g. SZ-NS-0042.", "DEMO-0001")
    timezone: str = doc(
        "IANA time zone for wall times, reports and pickup-code days.", "Asia/Shanghai"
    )
    language: Literal["zh", "en"] = doc(
        "Language of messages at the gun and the page: zh or en.", "zh"
    )

    def check(self) -> list[str]:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return [f"timezone: unknown time zone {self.timezone!r} (expected e.g. Asia/Shanghai)"]
        return []


@dataclass
class ScanningSection(Section):
    double_read_window_s: float = doc(
        "The same code from the same device within this many seconds is a double read.", 2.0
    )
    min_length: int = doc("Shortest code accepted after normalising.", 4)
    max_length: int = doc("Longest code accepted after normalising (GS1 strings can be long).", 120)
    mode_idle_min: float = doc(
        "A gun's mode card (and batch carrier) lapses back to its default mode after this many "
        "idle minutes, with a notice; 0 = never.",
        10.0,
    )
    weight_mismatch_share: float = doc(
        "Raise weight_mismatch when the weight differs from the declared by more than this share.",
        0.25,
    )

    def check(self) -> list[str]:
        errors = []
        if self.double_read_window_s < 0:
            errors.append("double_read_window_s: must be 0 or more")
        if not 1 <= self.min_length <= self.max_length <= 4096:
            errors.append("min_length/max_length: expected 1 <= min_length <= max_length <= 4096")
        if not 0 <= self.mode_idle_min <= 24 * 60:
            errors.append("mode_idle_min: expected 0 (never) to 1440 minutes")
        if not 0 < self.weight_mismatch_share < 10:
            errors.append("weight_mismatch_share: expected a share such as 0.25")
        return errors


@dataclass
class PickupSection(Section):
    code_format: str = doc(
        "Pickup code format. Fields: shelf, layer, weekday (1-7), day, month, seq (resets daily).",
        "{shelf}-{layer}-{weekday}{seq:03}",
    )
    keep_together: bool = doc(
        "Put parcels for the same phone last 4 on the same shelf layer when it has room.", True
    )

    def check(self) -> list[str]:
        try:
            codes = {
                self.code_format.format(shelf="1", layer=1, weekday=1, day=1, month=1, seq=seq)
                for seq in (1, 2)
            }
        except (KeyError, ValueError, IndexError, TypeError) as exc:
            return [f"code_format: cannot format {self.code_format!r}: {exc}"]
        if len(codes) < 2:
            # Without the sequence every parcel on a layer gets the same code.
            return [f"code_format: {self.code_format!r} must contain {{seq}}"]
        return []


@dataclass
class Shelf(Section):
    id: str = doc("Shelf label as painted on it, e.g. 3.")
    layers: int = doc("Number of layers (levels) on the shelf.", 4)
    capacity: int = doc("Parcels one layer holds.", 40)

    def check(self) -> list[str]:
        errors = []
        if not self.id or "-" in self.id:
            errors.append("id: a short label without '-', e.g. 3 or A")
        if not 1 <= self.layers <= 20:
            errors.append("layers: expected 1 to 20")
        if self.capacity < 1:
            errors.append("capacity: expected 1 or more")
        return errors


@dataclass
class SortRule(Section):
    shelves: list[str] = doc("Shelves this rule sends parcels to, tried in order.")
    carriers: list[str] = doc("Carrier codes the rule applies to; empty means any.", [])
    min_weight_g: int = doc("Lightest weight (grams) the rule applies to.", 0)
    max_weight_g: int = doc("Heaviest weight (grams) the rule applies to; 0 means no limit.", 0)

    def check(self) -> list[str]:
        unknown = [c for c in self.carriers if c not in CARRIERS]
        if unknown:
            return [f"carriers: unknown {', '.join(unknown)} (expected some of {_CARRIER_LIST})"]
        return []


@dataclass
class OverdueSection(Section):
    warn_days: int = doc("Parcels on the shelf this many days are flagged as left too long.", 3)
    return_days: int = doc("Parcels on the shelf this many days are proposed for return.", 7)

    def check(self) -> list[str]:
        if not 0 < self.warn_days <= self.return_days:
            return ["warn_days/return_days: expected 0 < warn_days <= return_days"]
        return []


def _default_shelves() -> list[Shelf]:
    return [Shelf(id=str(i), layers=4, capacity=40) for i in range(1, 5)]


def _default_rules() -> list[SortRule]:
    return [
        SortRule(shelves=["4"], min_weight_g=5000),
        SortRule(shelves=["1", "2", "3", "4"]),
    ]


@dataclass
class Config:
    station: StationSection = field(default_factory=StationSection)
    scanning: ScanningSection = field(default_factory=ScanningSection)
    pickup: PickupSection = field(default_factory=PickupSection)
    shelves: list[Shelf] = field(
        default_factory=_default_shelves, metadata={"doc": "The shelves ([[shelves]] tables)."}
    )
    sorting: list[SortRule] = field(
        default_factory=_default_rules,
        metadata={"doc": "Sorting rules ([[sorting]] tables), first match with room wins."},
    )
    overdue: OverdueSection = field(default_factory=OverdueSection)
    head_office: HeadOfficeSection = field(default_factory=HeadOfficeSection)
    scanners: list[ScannerSection] = field(
        default_factory=list, metadata={"doc": "Barcode guns ([[scanners]] tables)."}
    )
    scales: list[ScaleSection] = field(
        default_factory=list, metadata={"doc": "Serial scales ([[scales]] tables)."}
    )
    printers: list[PrinterSection] = field(
        default_factory=list, metadata={"doc": "Label printers ([[printers]] tables)."}
    )
    printing: PrintingSection = field(default_factory=PrintingSection)
    web: WebSection = field(default_factory=WebSection)
    appliance: ApplianceSection = field(default_factory=ApplianceSection)
    service: ServiceSection = field(default_factory=ServiceSection)

    path: Path | None = field(default=None, compare=False, metadata={"internal": True})

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.station.timezone)

    def shelf(self, shelf_id: str) -> Shelf | None:
        return next((s for s in self.shelves if s.id == shelf_id), None)

    def check(self) -> list[str]:
        errors = []
        ids = [s.id for s in self.shelves]
        if len(set(ids)) != len(ids):
            errors.append("shelves: two shelves share an id")
        if len({p.name for p in self.printers}) != len(self.printers):
            errors.append("printers: two printers share a name")
        if not self.shelves:
            errors.append("shelves: at least one shelf is needed")
        for i, rule in enumerate(self.sorting):
            for sid in rule.shelves:
                if sid not in ids:
                    errors.append(f"sorting[{i}].shelves: no shelf with id {sid!r}")
        return errors


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return " | ".join(repr(a) for a in typing.get_args(tp))
    if origin in (types.UnionType, typing.Union):
        return " or ".join(_type_name(a) for a in typing.get_args(tp) if a is not type(None))
    if origin is list:
        return f"list of {_type_name(typing.get_args(tp)[0])}"
    if dataclasses.is_dataclass(tp):
        return "table"
    return getattr(tp, "__name__", str(tp))


def _convert(tp: Any, value: Any, key: str) -> Any:
    origin = typing.get_origin(tp)
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise ConfigError(f"{key}: expected {_type_name(tp)}, got {value!r}")
        return value
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        return _convert(inner[0], value, key)
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{key}: expected {_type_name(tp)}, got {type(value).__name__}")
        (item,) = typing.get_args(tp)
        return [_convert(item, v, f"{key}[{i}]") for i, v in enumerate(value)]
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: expected a table, got {type(value).__name__}")
        return _load_section(typing.cast(type, tp), value, key + ".")
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is int and isinstance(value, bool):
        raise ConfigError(f"{key}: expected int, got bool")
    if not isinstance(value, tp):
        # The type, never the value: the key may hold a secret typed without quotes.
        raise ConfigError(f"{key}: expected {_type_name(tp)}, got {type(value).__name__}")
    return value


def _load_section(cls: type, data: dict[str, Any], prefix: str) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    for key in data:
        if key not in known:
            raise ConfigError(
                f"{prefix}{key}: unknown key (expected one of: {', '.join(sorted(known))})"
            )
    kwargs = {}
    for name, f in known.items():
        if name in data:
            kwargs[name] = _convert(hints[name], data[name], prefix + name)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{prefix}{name}: missing (expected {_type_name(hints[name])})")
    obj = cls(**kwargs)
    if isinstance(obj, Section | Config):
        for problem in obj.check():
            raise ConfigError(f"{prefix}{problem}")
    return obj


T = typing.TypeVar("T")


def parse_as(cls: type[T], text: str, source: str) -> T:
    """TOML text as a checked ``cls`` (a dataclass of sections); errors name ``source``.
    Head office's own file is read by the same rules."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    try:
        config: T = _load_section(cls, data, "")
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    return config


def parse(text: str, source: str = "<config>") -> Config:
    """Parse TOML text into a checked Config; errors name ``source``."""
    return parse_as(Config, text, source)


def load(path: Path) -> Config:
    """Load the config file; a missing file means all defaults (the demo station).

    A file that exists must say something: an empty one (a failed write, a truncated
    copy) would otherwise scan under the demo station code."""
    if not path.exists():
        config = Config()
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"{path}: not a text file (UTF-8 expected, byte {exc.start} is not): "
                "restore it or write a new one with `station init`"
            ) from None
        config = parse(text, str(path))
        if not tomllib.loads(text):
            raise ConfigError(
                f"{path}: empty: set at least station.code (the station code head office "
                "gave you, e.g. SZ-NS-0042), or write a new file with `station init`"
            )
    config.path = path
    return config


def config_path(data_dir: Path, explicit: str | None = None) -> Path:
    """Where the config lives: --config, then $STATION_CONFIG, then <data>/station.toml."""
    chosen = explicit or os.environ.get("STATION_CONFIG")
    return Path(chosen) if chosen else data_dir / CONFIG_NAME


@dataclass(frozen=True)
class KeyDoc:
    key: str
    type: str
    default: str
    doc: str


def reference(cls: type = Config, prefix: str = "") -> Iterator[KeyDoc]:
    """Every documented key, for the commented config file and the README."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.metadata.get("internal"):
            continue
        tp = hints[f.name]
        origin = typing.get_origin(tp)
        item = typing.get_args(tp)[0] if origin is list else None
        if dataclasses.is_dataclass(tp):
            yield from reference(typing.cast(type, tp), f"{prefix}{f.name}.")
        elif item is not None and dataclasses.is_dataclass(item):
            yield KeyDoc(f"{prefix}{f.name}", "list of tables", "", f.metadata.get("doc", ""))
            yield from reference(typing.cast(type, item), f"{prefix}{f.name}[].")
        else:
            yield KeyDoc(
                f"{prefix}{f.name}", _type_name(tp), _default_text(f), f.metadata.get("doc", "")
            )


def _default_text(f: dataclasses.Field[Any]) -> str:
    if f.default is not dataclasses.MISSING:
        return "" if f.default is None else _toml_value(f.default)
    if f.default_factory is not dataclasses.MISSING:
        return _toml_value(f.default_factory())
    return "(required)"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return str(value)


def commented_template(config: Config | None = None) -> str:
    """A complete, commented config file: every key, its doc and its value."""
    config = config or Config()
    lines = [
        "# Station Edge configuration. Every key is optional; the value shown is the default",
        "# unless `station init` filled it in. Check it with: station config check",
        "",
    ]
    lines += _section_lines(config, "")
    return "\n".join(lines).rstrip() + "\n"


def _section_lines(obj: Any, prefix: str) -> list[str]:
    scalars, tables, arrays = [], [], []
    for f in dataclasses.fields(obj):
        if f.metadata.get("internal"):
            continue
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            tables.append((f.name, value))
        elif (
            isinstance(value, list)
            and (not value or dataclasses.is_dataclass(value[0]))
            and (_is_table_list(type(obj), f.name))
        ):
            arrays.append((f.name, value, f.metadata.get("doc", "")))
        else:
            text = f.metadata.get("doc", "")
            if text:
                scalars.append(f"# {text}")
            if value is None:
                scalars.append(f"# {f.name} =")
            else:
                scalars.append(f"{f.name} = {_toml_value(value)}")
    lines = scalars + ([""] if scalars else [])
    for name, value in tables:
        lines.append(f"[{prefix}{name}]")
        lines += _section_lines(value, f"{prefix}{name}.")
    for name, items, text in arrays:
        if text:
            lines.append(f"# {text}")
        if not items:
            lines.append(f"# [[{prefix}{name}]]  (none configured)")
            lines.append("")
        for item in items:
            lines.append(f"[[{prefix}{name}]]")
            lines += _section_lines(item, f"{prefix}{name}.")
    return lines


def _is_table_list(cls: type, name: str) -> bool:
    tp = typing.get_type_hints(cls)[name]
    args = typing.get_args(tp)
    return typing.get_origin(tp) is list and bool(args) and dataclasses.is_dataclass(args[0])
