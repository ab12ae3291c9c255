"""HTML building blocks of the report: escaping, tables, inline SVG figures, the page."""

from __future__ import annotations

import html
import io
import math
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from ecoserve_opt.vocabulary import PARAMETERS, param_label

if TYPE_CHECKING:
    from matplotlib.figure import Figure


HALF_IN, WIDE_IN = 5.3, 10.6  # figure widths (inches) for half- and full-width plots


#: Column headers shown in the tables (raw column name -> label with units).
COLUMN_LABELS = {
    "kind": "kind",
    "item": "type",
    "source": "source",
    "year_bought": "year bought",
    "lifetime_years": "lifetime (years)",
    "calendar_year": "calendar year",
    "within_horizon": "within the horizon",
    "count": "units",
    "year_used": "year used",
    "llm": "LLM",
    "gpu": "GPU",
    "tp": "tensor parallel",
    "pool": "pool",
    "year": "year",
    "replicas": "replicas",
    "gpus": "GPUs",
    "host": "host",
    "owned": "owned",
    "hosts": "hosts",
    "sockets": "CPU sockets",
    "cores": "CPU cores",
    "dimms": "DIMMs",
    "dram_gb": "DRAM (GB)",
    "reused_dram_gb": "reused DRAM (GB)",
    "ssds": "SSDs",
    "ssd_tb": "SSD (TB)",
    "reused_ssd_tb": "reused SSD (TB)",
    "component": "component",
    "operational_kg": "operational (kgCO2e)",
    "embodied_kg": "embodied (kgCO2e)",
    "obsolescence_kg": "obsolescence (kgCO2e)",
    "total_kg": "total (kgCO2e)",
    "share": "share of total",
    "carbon_kg": "carbon (kgCO2e)",
    "cost_usd": "cost (USD)",
    "energy_kwh": "energy (kWh)",
    "gap": "MIP gap",
    "role": "role",
    "objective": "objective",
    "status": "status",
    "design": "design (year 1)",
    **{name: param_label(name) for name in PARAMETERS},
}

CSS = """
:root { --fg:#1d232a; --muted:#5b6670; --line:#dde3e8; --bg:#f5f7f9; --card:#ffffff;
  --ok:#1a7f37; --warn:#9a6700; --warnbg:#fff4d6; --bad:#b42318; --badbg:#fde8e6;
  --accent:#0072b2; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--fg);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 24px 48px; }
header { margin-bottom: 16px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 10px; padding-bottom: 4px;
  border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 6px; }
.sub { color: var(--muted); margin: 0; }
.pill { display:inline-block; padding: 1px 10px; border-radius: 999px; font-weight: 600;
  font-size: 13px; vertical-align: middle; border: 1px solid currentColor; }
.pill.optimal { color: var(--ok); } .pill.feasible { color: var(--warn); }
.pill.bad { color: var(--bad); }
.banner { margin: 14px 0; padding: 12px 16px; border-radius: 8px; font-weight: 600;
  border-left: 6px solid; }
.banner.warn { background: var(--warnbg); color: #5c3d00; border-color: var(--warn); }
.banner.bad { background: var(--badbg); color: #7a150d; border-color: var(--bad); }
.banner .detail { font-weight: 400; display:block; margin-top: 2px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr));
  gap: 10px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: 10px 14px; }
.card .label { color: var(--muted); font-size: 13px; }
.card .value { font-size: 22px; font-weight: 650; font-variant-numeric: tabular-nums; }
.card .unit { color: var(--muted); font-size: 13px; margin-left: 4px; font-weight: 400; }
.card.main { border-color: var(--accent); box-shadow: inset 4px 0 0 var(--accent); }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr));
  gap: 14px; }
figure { margin: 0; background: var(--card); border: 1px solid var(--line);
  border-radius: 8px; padding: 10px; }
figure.wide { grid-column: 1 / -1; }
figure svg { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 6px; }
.tablewrap { overflow-x: auto; background: var(--card); border: 1px solid var(--line);
  border-radius: 8px; }
table { border-collapse: collapse; width: 100%; font-size: 14px;
  font-variant-numeric: tabular-nums; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left;
  white-space: nowrap; }
th { white-space: normal; vertical-align: bottom; }
td.txt { white-space: normal; overflow-wrap: anywhere; min-width: 8ch; }
details.yaml { margin-top: 10px; background: var(--card); border: 1px solid var(--line);
  border-radius: 8px; padding: 8px 12px; }
details.yaml summary { cursor: pointer; color: var(--muted); }
details.yaml pre { margin: 8px 0 0; white-space: pre-wrap; overflow-wrap: anywhere;
  font-size: 12.5px; }
th { background: #eef2f5; font-weight: 600; }
td.num, th.num { text-align: right; }
tr.total td { font-weight: 650; border-top: 2px solid var(--line); }
tbody tr:last-child td { border-bottom: none; }
table.kv th { width: 220px; background: transparent; color: var(--muted); font-weight: 500; }
table.kv td { white-space: normal; }
.chip { display: inline-block; padding: 1px 9px; margin: 2px 4px 2px 0; border-radius: 999px;
  font-size: 13px; border: 1px solid var(--line); }
.chip.on { background: #e3f1ea; border-color: #9fd1b4; color: #0d5b2c; }
.chip.off { background: #f1f1f1; color: #777; text-decoration: line-through; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px;
  background: #eef2f5; padding: 0 4px; border-radius: 4px; }
.empty { color: var(--muted); font-style: italic; padding: 8px 12px; }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; }
@media print { body { background: #fff; } figure, .card, .tablewrap { break-inside: avoid; } }
"""


def _e(value: Any) -> str:
    """HTML-escaped text of ``value``."""
    return html.escape(str(value), quote=True)


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _cell(value: Any) -> tuple[str, bool]:
    """Formatted, escaped cell text and whether it is numeric (right-aligned)."""
    if _is_missing(value):
        return "", False
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    if isinstance(value, int):
        return f"{value:,}", True
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f"{value:,.0f}", True
        if abs(value) >= 1000:
            return f"{value:,.0f}", True
        return f"{value:.4g}", True
    return _e(value), False


def html_table(
    df: pd.DataFrame,
    total_row: dict[str, Any] | None = None,
    formats: dict[str, str] | None = None,
) -> str:
    """An HTML table of ``df`` (every cell escaped, numbers right-aligned).

    ``total_row`` is appended in bold; ``formats`` maps columns to format strings
    (e.g. ``{"share": "{:.1%}"}``).
    """
    formats = formats or {}
    if df.empty:
        return '<div class="tablewrap"><p class="empty">no rows</p></div>'
    numeric = {c: df[c].dtype.kind in "iuf" and df[c].dtype.kind != "b" for c in df.columns}
    head = "".join(
        f'<th{" class=num" if numeric[c] else ""} title="{_e(c)}">'
        f"{_e(COLUMN_LABELS.get(str(c), c))}</th>"
        for c in df.columns
    )
    rows = []
    records: list[tuple[dict[Any, Any], str]] = [(r, "") for r in df.to_dict(orient="records")]
    if total_row is not None:
        records = [*records, (total_row, ' class="total"')]
    for rec, cls in records:
        cells = []
        for c in df.columns:
            v: Any = rec.get(c)
            if hasattr(v, "item"):  # numpy scalar -> Python scalar
                v = v.item()
            if c in formats and isinstance(v, int | float) and not _is_missing(v):
                text, num = _e(formats[c].format(v)), True
            else:
                text, num = _cell(v)
            cells.append(f"<td class={'num' if num else 'txt'}>{text}</td>")
        rows.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return (
        f'<div class="tablewrap"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _kv_table(rows: Iterable[tuple[str, str]]) -> str:
    """A two-column key/value table; values are already-escaped HTML."""
    body = "".join(f"<tr><th>{_e(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<div class="tablewrap"><table class="kv"><tbody>{body}</tbody></table></div>'


_ID = re.compile(r'\bid="([^"]+)"')
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)


def figure_svg(fig: Figure, prefix: str) -> str:
    """``fig`` as an inline ``<svg>`` element, its ids prefixed to stay unique in the page.

    Text stays text (``svg.fonttype: none``) so it is selectable and searchable, and the
    id salt is fixed so the same results give the same page.
    """
    import matplotlib as mpl

    buf = io.StringIO()
    with mpl.rc_context({"svg.fonttype": "none", "svg.hashsalt": "ecoserve-report"}):
        fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return inline_svg(buf.getvalue(), prefix)


def inline_svg(svg: str, prefix: str) -> str:
    """An SVG document as an inline ``<svg>`` element with ids prefixed by ``prefix``."""
    svg = svg[svg.index("<svg") :]  # drop the XML declaration and DOCTYPE
    svg = _METADATA.sub("", svg)  # RDF block naming matplotlib: not needed in the page
    ids = set(_ID.findall(svg))
    for old in sorted(ids, key=len, reverse=True):
        new = f"{prefix}-{old}"
        svg = svg.replace(f'id="{old}"', f'id="{new}"')
        svg = svg.replace(f"url(#{old})", f"url(#{new})")
        svg = svg.replace(f'href="#{old}"', f'href="#{new}"')
    return svg.strip()


def _page(title: str, body: list[str]) -> str:
    """The HTML document around ``body`` (already-escaped HTML fragments)."""
    from ecoserve_opt._version import __version__

    footer = (
        f"<footer>Generated by ecoserve-opt {_e(__version__)}. Self-contained page: no "
        "scripts, no external resources.</footer>"
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="ecoserve-opt {_e(__version__)}">\n'
        f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(b for b in [*body, footer] if b)
        + "\n</main>\n</body>\n</html>\n"
    )
