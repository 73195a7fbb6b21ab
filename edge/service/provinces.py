"""China's provincial-level divisions and how far each is from the station: the zone
that sets both a sending's price and its sign deadline."""

from __future__ import annotations

# Short names, as written on labels; full names ("广东省", "广西壮族自治区") are reduced
# to these by ``province()``.
PROVINCES = (
    "北京",
    "天津",
    "河北",
    "山西",
    "内蒙古",
    "辽宁",
    "吉林",
    "黑龙江",
    "上海",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "广西",
    "海南",
    "重庆",
    "四川",
    "贵州",
    "云南",
    "西藏",
    "陕西",
    "甘肃",
    "青海",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
    "台湾",
)

_SUFFIXES = ("壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "特别行政区", "省", "市")

# local: the station's own province; near and remote: configured lists; far: the rest.
ZONES = ("local", "near", "far", "remote")


def province(text: str) -> str | None:
    """The short name of a province written either way, or None when it is not one."""
    name = text.strip()
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in PROVINCES:
            name = name[: -len(suffix)]
            break
    return name if name in PROVINCES else None


def zone(destination: str, home: str, near: list[str], remote: list[str]) -> str:
    """The zone of a destination province seen from the station's ``home`` province."""
    if destination == home:
        return "local"
    if destination in remote:
        return "remote"
    if destination in near:
        return "near"
    return "far"
