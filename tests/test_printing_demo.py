"""The demo prints: a receive typed into the simulated gun comes out of the simulated
printer as a PNG label in the demo's data folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PIL import Image

from edge.devices.printers import tspl
from edge.devices.printers.raster import QR, Barcode, font_path
from tests.test_core_demo import ROOT, free_port


def test_demo_prints_a_label_for_a_receive(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "edge.cli", "--data", str(data), "demo",
         "--web-port", str(free_port()), "--head-office-port", str(free_port()),
         "--printer-port", str(free_port()), "--wait", "20"],
        input="SF1234567890123\nREPRINT\n",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"labels:       {data / 'labels'}/" in result.stdout
    jobs = sorted((data / "labels").glob("label-*.tspl"))
    assert jobs, (data / "logs/printer.log").read_text()
    assert Image.open(jobs[0].with_suffix(".png")).size == (320, 240)  # 40x30 mm, 203 dpi

    def coded(path: Path) -> list[str]:
        job = tspl.decode(path.read_bytes(), font_path())
        return [e.data for e in job.elements if isinstance(e, Barcode | QR)]

    # SF numbers are too long for bars on 40 mm: the waybill goes as a QR code.
    ours = [path for path in jobs if coded(path) == ["SF1234567890123"]]
    # Its label, then the REPRINT card's copy of it, byte for byte.
    assert len(ours) == 2 and ours[1] == jobs[-1]
    # The made-up history was there before the printer started: none of it is printed.
    assert ours == jobs
    assert ours[0].read_bytes() == ours[1].read_bytes()
