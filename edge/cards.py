"""The printed command cards: a page of real Code 128 barcodes for the desk."""

from __future__ import annotations

import html
import io
from pathlib import Path

from barcode import Code128
from barcode.writer import SVGWriter

from edge.barcode import command_cards


def code128_svg(data: str) -> str:
    """An inline SVG of ``data`` as Code 128 (quiet zones included)."""
    out = io.BytesIO()
    Code128(data, writer=SVGWriter()).write(
        out,
        options={
            "module_width": 0.33,
            "module_height": 12.0,
            "write_text": False,
            "quiet_zone": 6.5,
        },
    )
    svg = out.getvalue().decode()
    return svg[svg.index("<svg") :]


def cards_html(
    station: str, operators: list[tuple[str, str]], couriers: list[tuple[str, str]] | None = None
) -> str:
    cards = [(code, zh, en) for code, zh, en in command_cards()]
    cards += [(f"OP:{op_id}", f"登录：{name}", f"Sign in: {name}") for op_id, name in operators]
    # A courier's card opens their handover on whichever gun scans it.
    cards += [
        (f"COURIER:{cid}", f"交接：{name}", f"Handover: {name}") for cid, name in couriers or []
    ]
    items = "\n".join(
        f'<figure class="card">{code128_svg(code)}<figcaption><b>{html.escape(zh)}</b>'
        f"<br>{html.escape(en)}<br><code>{html.escape(code)}</code></figcaption></figure>"
        for code, zh, en in cards
    )
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>指令条码 Command cards — {html.escape(station)}</title>
<style>
body {{ font-family: sans-serif; margin: 10mm; }}
h1 {{ font-size: 16pt; }}
.grid {{ display: grid; grid-template-columns: repeat(2, 1fr); gap: 6mm; }}
.card {{ border: 1px dashed #888; margin: 0; padding: 3mm; text-align: center;
         break-inside: avoid; }}
figcaption {{ font-size: 11pt; }}
</style></head><body>
<h1>指令条码 Command cards — {html.escape(station)}</h1>
<p>扫描卡片切换本枪的模式或操作员。Scan a card to change this gun's mode or operator.</p>
<div class="grid">
{items}
</div></body></html>
"""


def write_cards(
    path: str | Path,
    station: str,
    operators: list[tuple[str, str]],
    couriers: list[tuple[str, str]] | None = None,
) -> Path:
    target = Path(path)
    target.write_text(cards_html(station, operators, couriers or []), encoding="utf-8")
    return target
