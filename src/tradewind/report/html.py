"""HTML building blocks for ``report.html``: escaping, number formatting, tables, images, page.

Everything that reaches the page passes through :func:`esc`; numbers are printed with their
interval wherever one exists (``+0.041 [+0.012, +0.070]``). The page is self-contained:
CSS inline, charts as base64 PNG ``<img>``, no scripts, no network.
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "ci",
    "esc",
    "img",
    "kv_table",
    "num",
    "page",
    "section",
    "table",
    "value",
    "with_ci",
]

_CSS = """
:root { --good: #2e7d32; --bad: #c62828; --warn: #ef6c00; --muted: #607d8b; --line: #dde3e8; }
* { box-sizing: border-box; }
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       margin: 0; color: #1c2329; background: #f5f7f9; line-height: 1.45; }
main { max-width: 1180px; margin: 0 auto; padding: 16px 24px 48px; }
nav { position: sticky; top: 0; background: #263238; padding: 8px 24px; z-index: 1; }
nav a { color: #cfd8dc; margin-right: 14px; text-decoration: none; font-size: 14px; }
nav a:hover { color: white; }
section { background: white; border: 1px solid var(--line); border-radius: 8px;
          padding: 16px 20px; margin: 16px 0; }
h1 { font-size: 26px; margin: 4px 0 8px; }
h2 { font-size: 19px; margin: 0 0 12px; border-bottom: 1px solid var(--line); padding-bottom: 6px; }
h3 { font-size: 15px; margin: 16px 0 8px; }
.meta { color: var(--muted); font-size: 13px; }
.banner { border-radius: 8px; padding: 12px 16px; margin: 12px 0; color: white; }
.banner b { font-size: 22px; letter-spacing: 1px; margin-right: 12px; }
.banner ul { margin: 6px 0 0; padding-left: 20px; }
.banner.passed { background: var(--good); }
.banner.refused { background: var(--bad); }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 170px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; }
.card .big { font-size: 22px; font-weight: 600; }
.card .small { font-size: 12px; color: var(--muted); }
.note { border-left: 4px solid var(--warn); background: #fff8e1; padding: 8px 12px; margin: 8px 0; }
table { border-collapse: collapse; margin: 8px 0; font-size: 14px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 10px; text-align: left; vertical-align: top; }
th { background: #eceff1; font-weight: 600; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.best td { background: #fff3e0; font-weight: 600; }
tr.model td { background: #e3f2fd; font-weight: 600; }
.pass { color: var(--good); font-weight: 700; }
.fail { color: var(--bad); font-weight: 700; }
.findings li { margin: 4px 0; }
.lvl { display: inline-block; min-width: 64px; font-size: 11px; font-weight: 700; text-transform: uppercase;
       border-radius: 4px; padding: 1px 6px; margin-right: 6px; color: white; text-align: center; }
.lvl.info { background: var(--muted); } .lvl.warning { background: var(--warn); }
.lvl.error { background: var(--bad); }
img.chart { max-width: 100%; height: auto; display: block; margin: 8px 0; }
code { background: #eceff1; padding: 1px 4px; border-radius: 3px; font-size: 13px; }
"""


def esc(text: object) -> str:
    """HTML-escape any value's ``str`` (quotes too, so it is safe inside attributes)."""
    return html.escape(str(text), quote=True)


def num(x: object, *, signed: bool = False, digits: int = 3) -> str:
    """Format a number for people: ``—`` when missing, thousands separators for big values."""
    if x is None:
        return "—"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return f"{x:+,}" if signed else f"{x:,}"
    if not isinstance(x, float):
        return str(x)
    if not math.isfinite(x):
        return str(x)
    sign = "+" if signed else ""
    if x != 0 and abs(x) < 10 ** (-digits):
        return f"{x:{sign}.2e}"
    if abs(x) >= 1000:
        return f"{x:{sign},.0f}"
    if abs(x) >= 100:
        return f"{x:{sign},.1f}"
    return f"{x:{sign}.{digits}f}"


def ci(interval: Sequence[float] | None, *, signed: bool = False) -> str:
    """``[lo, hi]`` or an empty string when there is no interval."""
    if interval is None:
        return ""
    lo, hi = interval
    return f"[{num(float(lo), signed=signed)}, {num(float(hi), signed=signed)}]"


def with_ci(x: float | None, interval: Sequence[float] | None, *, signed: bool = False) -> str:
    """A number followed by its interval, e.g. ``+0.041 [+0.012, +0.070]``."""
    text = num(x, signed=signed)
    return f"{text} {ci(interval, signed=signed)}" if interval is not None else text


def _rounded(x: Any, digits: int = 4) -> Any:
    """``x`` with every float inside it rounded to ``digits`` significant digits."""
    if isinstance(x, float):
        return float(f"{x:.{digits}g}") if math.isfinite(x) else x
    if isinstance(x, dict):
        return {k: _rounded(v, digits) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_rounded(v, digits) for v in x]
    return x


def value(x: Any) -> str:
    """Format a free-form value: numbers, short lists as ``[a, b]``, dicts as compact JSON
    with every number rounded to 4 significant digits."""
    if isinstance(x, list | tuple):
        if len(x) <= 6 and all(isinstance(v, int | float) or v is None for v in x):
            return "[" + ", ".join(num(v) for v in x) + "]"
        if len(x) > 6:
            return f"{len(x):,} values"
    if isinstance(x, dict | list | tuple):
        text = json.dumps(_rounded(x), default=str)
        return text if len(text) <= 240 else text[:237] + "…"
    return num(x)


_NUMERIC = re.compile(r"^((—|[+-]?[\d,]*\.?\d+(e[+-]?\d+)?%?)( \[[^\]]*\])?|\[[^\]]*\])$")
"""A number, optionally followed by its interval, or an interval alone: right-aligned."""


def _cell(cell: object) -> str:
    """A table cell: numbers right-aligned; a ``(text, css_class)`` pair sets the cell's class."""
    if isinstance(cell, tuple) and len(cell) == 2 and isinstance(cell[1], str):
        return f'<td class="{esc(cell[1])}">{esc(cell[0])}</td>'
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return f'<td class="n">{esc(num(cell))}</td>'
    if isinstance(cell, str) and _NUMERIC.match(cell):
        return f'<td class="n">{esc(cell)}</td>'
    return f"<td>{esc(cell)}</td>"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]],
          row_classes: Sequence[str] | None = None) -> str:
    """An escaped HTML table; ``row_classes[i]`` (e.g. ``best``) styles row ``i``."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        cls = row_classes[i] if row_classes and i < len(row_classes) and row_classes[i] else ""
        attr = f' class="{esc(cls)}"' if cls else ""
        body.append(f"<tr{attr}>" + "".join(_cell(c) for c in row) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def kv_table(items: dict[str, Any]) -> str:
    """A two-column name → value table of a free-form dict."""
    return table(["name", "value"], [(k, value(v)) for k, v in items.items()])


def img(png: bytes, alt: str) -> str:
    """An ``<img>`` embedding PNG bytes as a base64 data URI."""
    data = base64.b64encode(png).decode("ascii")
    return f'<img class="chart" alt="{esc(alt)}" src="data:image/png;base64,{data}">'


def section(section_id: str, title: str, body: str) -> str:
    """A page section with an ``id`` people and tests can link to; ``body`` is trusted HTML."""
    return f'<section id="{esc(section_id)}"><h2>{esc(title)}</h2>\n{body}\n</section>'


def page(title: str, sections: Sequence[tuple[str, str, str]]) -> str:
    """The whole document: inline CSS, a navigation bar, then each ``(id, title, body)``."""
    nav = "".join(f'<a href="#{esc(sid)}">{esc(stitle)}</a>' for sid, stitle, _ in sections)
    body = "\n".join(section(sid, stitle, sbody) for sid, stitle, sbody in sections)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<nav>{nav}</nav>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )
