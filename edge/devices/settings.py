"""The [[scanners]] and [[scales]] config tables."""

from dataclasses import dataclass

from edge.config_base import Section, doc


@dataclass
class ScannerSection(Section):
    name: str = doc("Desk name shown on the page and recorded as the scan's device, e.g. desk-1.")
    match: str = doc(
        "Which input device: a /dev/input/by-id or by-path link, or name:/vid:pid:/serial: pattern."
    )
    mode: str = doc("Default scan type: receive, dispatch, sign, problem or stocktake.", "receive")
    layout: str = doc("Key map of the gun: us (default) or another layout from the key map table.", "us")
    scale: str = doc("Name of the scale paired with this gun; its stable weight joins receive scans.", "")


@dataclass
class ScaleSection(Section):
    name: str = doc("Scale name, referred to by scanners.scale.")
    port: str = doc("Serial port: a stable /dev/serial/by-id link or /dev/station/scale-* path.")
    protocol: str = doc("cas, toledo8217, sics, toledo_continuous or xk3190a9.", "cas")
