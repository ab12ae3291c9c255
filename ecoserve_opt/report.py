"""A self-contained HTML report of one solved design (``ecoserve report RESULTS_DIR``).

The page is a single file: plots are inline SVG, the stylesheet is inline, there is no
JavaScript and no external font, image or stylesheet, so it opens from disk (``file://``)
with no server and no network. Every piece of text taken from the results is escaped.

Input is a folder written by :meth:`~ecoserve_opt.results.Results.to_dir` (CSV or Parquet
tables plus ``meta.json``). The page shows the scenario (name, file, hash, overrides,
pillars), the solver status (with a prominent *not optimal* banner and the gap when a limit
stopped the solve), the totals, the three plots of :mod:`ecoserve_opt.plot.fleet` and the
fleet, replica, deployment and carbon-breakdown tables.

A sweep or Pareto results store (``ecoserve sweep``/``ecoserve pareto --out``, see
:mod:`ecoserve_opt.studies.store`) gives a page with the Pareto front, the sensitivity and the
per-point breakdown plots of :mod:`ecoserve_opt.plot` and a table of every point.

>>> from ecoserve_opt.report import write_report  # doctest: +SKIP
>>> write_report("out/default")  # doctest: +SKIP
PosixPath('out/default/report.html')
"""

from __future__ import annotations

import html
import io
import json
import math
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ecoserve_opt.exceptions import EcoserveError
from ecoserve_opt.io.atomic import atomic_write_text
from ecoserve_opt.numbers import fmt_gap
from ecoserve_opt.results import RESOLVED_KEY, Results
from ecoserve_opt.solve import Status
from ecoserve_opt.vocabulary import PARAMETERS, param_label

if TYPE_CHECKING:
    from matplotlib.figure import Figure

REPORT_NAME = "report.html"
HALF_IN, WIDE_IN = 5.3, 10.6  # figure widths (inches) for half- and full-width plots

#: Column headers shown in the tables (raw column name -> label with units).
COLUMN_LABELS = {
    "kind": "kind",
    "item": "type",
    "source": "source",
    "year_bought": "year bought",
    "lifetime_years": "lifetime (years)",
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

#: Headline numbers: metric key, label, unit, format.
TOTALS = (
    ("carbon_kg", "total carbon", "kgCO2e", "{:,.0f}"),
    ("operational_kg", "operational", "kgCO2e", "{:,.0f}"),
    ("embodied_kg", "embodied (amortised)", "kgCO2e", "{:,.0f}"),
    ("energy_kwh", "facility energy", "kWh", "{:,.0f}"),
    ("cost_usd", "cost (capex amortised + electricity)", "USD", "{:,.0f}"),
    ("gpus", "GPUs (year 1)", "", "{:,.0f}"),
    ("hosts", "hosts (year 1)", "", "{:,.0f}"),
    ("latency_s_per_token", "mean online latency", "ms/token", "ms"),
    ("offline_share_host_cpu", "offline work on host CPUs", "", "{:.0%}"),
)

DEPLOYMENT_COLUMNS = (
    "host",
    "owned",
    "gpu",
    "lifetime_years",
    "year",
    "hosts",
    "gpus",
    "sockets",
    "cores",
    "dram_gb",
    "reused_dram_gb",
    "ssd_tb",
    "reused_ssd_tb",
)

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


def _plots(res: Results) -> list[tuple[str, str, str, bool]]:
    """(key, svg, caption, wide) for the three fleet plots."""
    import matplotlib as mpl
    import matplotlib.pyplot as plt

    from ecoserve_opt.plot.fleet import carbon_breakdown, fleet_mix, power_profile

    specs: list[tuple[str, Callable[[Results], Figure], str, bool]] = [  # key, fn, caption, wide
        (
            "carbon",
            carbon_breakdown,
            "Carbon over the horizon by component: operational (electricity x grid "
            "intensity) stacked with embodied (manufacturing, amortised over the lifetime).",
            False,
        ),
        (
            "fleet",
            fleet_mix,
            "GPUs and hosts by type: solid bars are bought new, hatched bars are "
            "already-owned hardware put back into service (Reuse).",
            False,
        ),
        (
            "power",
            power_profile,
            "IT power per time slot of the representative day, stacked by component, with "
            "the grid's carbon intensity (solid line) and, when there is batch work, the "
            "offline throughput (dashed line)." + _offline_caption(res),
            True,
        ),
    ]
    out = []
    with mpl.rc_context({"font.size": 10}):
        for key, fn, caption, wide in specs:
            fig = fn(res)
            # natural size in the page: half the content width, or all of it for wide ones
            fig.set_size_inches(WIDE_IN if wide else HALF_IN, fig.get_size_inches()[1])
            try:
                out.append((key, figure_svg(fig, f"fig-{key}"), caption, wide))
            finally:
                plt.close(fig)
    return out


def _offline_caption(res: Results) -> str:
    """What the data shows about when offline work ran (computed, never assumed)."""
    from ecoserve_opt.results import offline_timing, offline_timing_caption

    text = offline_timing_caption(
        offline_timing(
            res.tables.get("power", pd.DataFrame()), res.tables.get("offline", pd.DataFrame())
        )
    )
    return f" {text}" if text else ""


def _status_html(res: Results) -> tuple[str, str]:
    """(status pill, banner) HTML."""
    st = res.status
    m = res.metrics
    cls = {"optimal": "optimal", "feasible": "feasible"}.get(st.value, "bad")
    pill = f'<span class="pill {cls}" id="status">{_e(st.value.upper())}</span>'
    banner = ""
    if st == Status.FEASIBLE:
        gap, bound = m.get("gap", math.nan), m.get("bound", math.nan)
        gap_txt = fmt_gap(gap)
        bound_txt = "" if _is_missing(bound) else f", best bound {float(bound):,.6g}"
        banner = (
            '<div class="banner warn" role="alert" id="not-optimal">NOT OPTIMAL: the solver '
            f"stopped at a limit with a gap of {_e(gap_txt)}{_e(bound_txt)}."
            '<span class="detail">The design below is the best found, not a proven optimum; '
            "raise the time limit or loosen the requested gap to close it.</span></div>"
        )
    elif not st.has_solution:
        banner = (
            '<div class="banner bad" role="alert" id="no-solution">NO SOLUTION: status '
            f"{_e(st.value)} (termination {_e(res.meta.get('termination', 'unknown'))}).</div>"
        )
    return pill, banner


def _cards(res: Results) -> str:
    m = res.metrics
    carbon = m.get("carbon_kg", math.nan)
    cards = []
    for key, label, unit, fmt in TOTALS:
        if key not in m or _is_missing(m[key]):
            continue
        val = float(m[key])
        text = f"{val * 1000:.3g}" if fmt == "ms" else fmt.format(val)
        if key in ("operational_kg", "embodied_kg") and not _is_missing(carbon) and carbon > 0:
            unit = f"{unit} ({val / float(carbon):.0%})"
        main = " main" if key == "carbon_kg" else ""
        cards.append(
            f'<div class="card{main}" id="total-{_e(key)}"><div class="label">{_e(label)}</div>'
            f'<div class="value">{_e(text)}<span class="unit">{_e(unit)}</span></div></div>'
        )
    return f'<div class="cards">{"".join(cards)}</div>'


def _scenario_html(res: Results) -> str:
    meta = res.meta
    pillars = meta.get("pillars") or {}
    chips = "".join(
        f'<span class="chip {"on" if on else "off"}">{_e(name)}</span>'
        for name, on in pillars.items()
    )
    overrides = meta.get("applied_overrides") or []
    ov = (
        "".join(f"<code>{_e(o)}</code> " for o in overrides)
        if overrides
        else '<span class="sub">none</span>'
    )
    file = meta.get("scenario_file")
    rows = [
        ("scenario", _e(meta.get("scenario", res.name))),
        ("file", f"<code>{_e(file)}</code>" if file else '<span class="sub">(in memory)</span>'),
        ("scenario hash", f"<code>{_e(meta.get('scenario_hash', '?'))}</code>"),
        ("objective", _e(res.objective)),
        ("applied overrides", ov),
        ("pillars", chips or '<span class="sub">unknown</span>'),
        ("embodied-carbon source", _e(meta.get("embodied_source", "?"))),
        ("grid intensity source", _e(meta.get("grid_source", "?"))),
    ]
    return _kv_table(rows) + _resolved_yaml(meta.get(RESOLVED_KEY))


def _resolved_yaml(resolved: Any) -> str:
    """The resolved scenario as escaped YAML in a collapsible block ('' when unknown)."""
    if not resolved:
        return ""
    import yaml

    text = yaml.safe_dump(resolved, sort_keys=False, allow_unicode=True)
    n = text.count("\n")
    return (
        f'<details class="yaml" id="scenario-yaml"><summary>Resolved scenario (YAML, {n} '
        "lines: includes merged, overrides applied, defaults filled in, canonical units)"
        f"</summary><pre><code>{_e(text)}</code></pre></details>"
    )


def _solver_html(res: Results) -> str:
    meta, m = res.meta, res.metrics

    def num(key: str, fmt: str = "{:,.6g}") -> str:
        v = m.get(key, math.nan)
        return "" if _is_missing(v) else _e(fmt.format(float(v)))

    timings = meta.get("timings") or {}
    timing_txt = ", ".join(f"{k.removesuffix('_s')} {float(v):.3g} s" for k, v in timings.items())
    limit = meta.get("time_limit_s")
    rows = [
        ("status", _e(res.status.value)),
        ("termination", _e(meta.get("termination", "?"))),
        ("solver", _e(meta.get("solver", "?"))),
        ("objective value", num("objective")),
        ("best bound", num("bound")),
        ("gap (achieved)", _e(fmt_gap(m.get("gap")))),
        ("gap (requested)", _e(fmt_gap(meta.get("mip_rel_gap")))),
        ("time limit", _e(f"{limit} s") if limit is not None else "none"),
        ("threads", _e(meta.get("threads", "?"))),
        ("wall time", num("wall_time_s", "{:.3g} s")),
        ("stage timings", _e(timing_txt)),
        (
            "model size",
            _e(
                f"{meta.get('n_variables', '?')} variables, {meta.get('n_constraints', '?')} "
                "constraints"
            ),
        ),
        (
            "versions",
            _e(
                f"ecoserve-opt {meta.get('ecoserve_opt', '?')}, Pyomo {meta.get('pyomo', '?')}, "
                f"Python {meta.get('python', '?')}"
            ),
        ),
    ]
    return _kv_table(rows)


def _tables_html(res: Results) -> str:
    t = res.tables
    parts = []
    bd = t.get("breakdown", pd.DataFrame())
    if not bd.empty:
        bd = bd.copy()
        total = float(bd["total_kg"].sum())
        bd["share"] = bd["total_kg"] / total if total > 0 else 0.0
        total_row = {
            "component": "total",
            "operational_kg": float(bd["operational_kg"].sum()),
            "embodied_kg": float(bd["embodied_kg"].sum()),
            "total_kg": total,
            "share": 1.0,
        }
        parts.append('<h3 id="table-breakdown">Carbon by component</h3>')
        parts.append(html_table(bd, total_row=total_row, formats={"share": "{:.1%}"}))
    sections = (
        ("fleet", "Fleet (units by type and source)", None),
        ("replicas", "Model replicas (per LLM, GPU, tensor-parallel degree, pool and year)", None),
        (
            "deployment",
            "Hosts as deployed (per host type, GPU, lifetime and year)",
            DEPLOYMENT_COLUMNS,
        ),
    )
    for name, title, cols in sections:
        df = t.get(name, pd.DataFrame())
        if cols is not None and not df.empty:
            df = df[[c for c in cols if c in df.columns]]
        if not df.empty:  # drop columns that say nothing here (all empty, or no reuse)
            quiet = [
                c
                for c in ("year_used", "reused_dram_gb", "reused_ssd_tb")
                if c in df.columns and (df[c].isna().all() or (df[c].fillna(0) == 0).all())
            ]
            df = df.drop(columns=quiet)
        parts.append(f'<h3 id="table-{name}">{_e(title)}</h3>')
        parts.append(html_table(df))
    return "\n".join(parts)


def _slo_html(folder: Path) -> str:
    """The trace-replay section (``ecoserve simulate``): ``slo.csv``, its settings and the
    latency-CDF figure, when the folder has them; empty otherwise."""
    slo_f = folder / "slo.csv"
    if not slo_f.is_file():
        return ""
    parts = ['<h2 id="slo">SLO validation (trace replay)</h2>']
    meta_f = folder / "slo.json"
    if meta_f.is_file():
        st = json.loads(meta_f.read_text())
        parts.append(
            '<p class="sub">'
            + _e(
                f"{st.get('duration_s', 0) / 3600:.3g} h replayed from hour "
                f"{st.get('start_hour')} of year {st.get('year')}, online rate x"
                f"{st.get('rate_scale', 1):g}, trace {st.get('trace') or 'as in the scenario'},"
                f" {st.get('routing')} routing, seed {st.get('seed')}"
            )
            + "</p>"
        )
    parts.append(html_table(pd.read_csv(slo_f)))
    cdf_f = folder / "slo_cdf.svg"
    if cdf_f.is_file():
        parts.append(
            f'<figure class="wide" id="plot-slo">{inline_svg(cdf_f.read_text(), "slo")}'
            "<figcaption>Latency CDFs per LLM under the replay; dashed lines are the SLOs. "
            "Attainment = share of requests meeting both the TTFT and the TPOT SLO."
            "</figcaption></figure>"
        )
    return "\n".join(parts)


def render_results(res: Results, source: str = "", folder: str | Path | None = None) -> str:
    """The report page for an in-memory :class:`Results` (``source``: where it was read;
    ``folder``: the results folder, whose trace-replay outputs are shown when present)."""
    pill, banner = _status_html(res)
    title = f"ecoserve report: {res.name}"
    body: list[str] = [
        "<header>",
        f"<h1>Fleet design: {_e(res.name)} {pill}</h1>",
        f'<p class="sub">objective <b>{_e(res.objective)}</b> &middot; scenario hash '
        f"<code>{_e(res.meta.get('scenario_hash', '?'))}</code>"
        + (f" &middot; results <code>{_e(source)}</code>" if source else "")
        + "</p>",
        "</header>",
        banner,
    ]
    if res.status.has_solution:
        body += ['<h2 id="totals">Totals over the horizon</h2>', _cards(res)]
        body.append('<h2 id="plots">Design at a glance</h2><div class="grid2">')
        for key, svg, caption, wide in _plots(res):
            cls = ' class="wide"' if wide else ""
            body.append(
                f'<figure{cls} id="plot-{key}">{svg}<figcaption>{_e(caption)}</figcaption></figure>'
            )
        body.append("</div>")
        body += ['<h2 id="tables">Tables</h2>', _tables_html(res)]
    if folder is not None:
        body.append(_slo_html(Path(folder)))
    body += [
        '<h2 id="scenario">Scenario</h2>',
        _scenario_html(res),
        '<h2 id="solver">Solver</h2>',
        _solver_html(res),
    ]
    return _page(title, body)


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


# ---- sweep and Pareto stores ------------------------------------------------------------
SWEEP_COLUMNS = (
    "kind",
    "role",
    "objective",
    "status",
    "carbon_kg",
    "operational_kg",
    "embodied_kg",
    "cost_usd",
    "energy_kwh",
    "gap",
    "design",
)


def is_sweep_dir(path: str | Path) -> bool:
    """True for a sweep/Pareto results store (``sweep.json`` or ``points/`` inside)."""
    p = Path(path)
    return (p / "sweep.json").is_file() or (p / "points").is_dir()


def _sweep_plots(res: Any) -> list[tuple[str, str, str, bool]]:
    import matplotlib.pyplot as plt

    from ecoserve_opt.plot import plot_breakdown, plot_pareto, plot_sensitivity

    runs = res.manifest.get("runs", [])
    specs: list[tuple[str, Callable[[Any], Figure], str]] = []
    if any(r.get("command") == "pareto" for r in runs):
        specs.append(
            (
                "pareto",
                plot_pareto,
                "Pareto front (non-dominated designs joined by the staircase), other evaluated "
                "points in grey and the baseline designs.",
            )
        )
    if res.params and not res.sweep().empty:
        specs.append(
            (
                "sensitivity",
                plot_sensitivity,
                "Optimal GPU and host mix, carbon by component (operational solid, embodied "
                "hatched) and the embodied share of the total along the swept parameter; "
                "dotted lines mark where the design changes.",
            )
        )
    specs.append(("breakdown", plot_breakdown, "Carbon by component for every design point."))
    out = []
    for key, fn, caption in specs:
        fig = fn(res)
        try:
            fig.set_size_inches(WIDE_IN, fig.get_size_inches()[1])
            out.append((key, figure_svg(fig, f"fig-{key}"), caption, True))
        finally:
            plt.close(fig)
    return out


def store_kind(res: Any) -> str:
    """``Pareto front``, ``Sweep`` or ``Sweep and Pareto front``: what a store holds."""
    commands = {r.get("command") for r in res.manifest.get("runs", [])}
    pareto = "pareto" in commands or (
        "kind" in res.table.columns and res.table["kind"].isin(["front", "anchor"]).any()
    )
    sweep = bool(res.params) and not res.sweep().empty
    if pareto and sweep:
        return "Sweep and Pareto front"
    return "Pareto front" if pareto else "Sweep"


#: Order of the point kinds in the table of a Pareto store.
KIND_ORDER = {"front": 0, "anchor": 1, "baseline": 2}


def sorted_points(res: Any) -> pd.DataFrame:
    """The points table in reading order: sweep points by their parameters; Pareto stores
    by kind (front, anchors, baselines, others), then by the front's x metric."""
    if res.params:
        df = res.sweep()
        return df.sort_values(list(res.params), kind="mergesort").reset_index(drop=True)
    df = res.table.copy()
    keys, asc = [], []
    if "kind" in df.columns:
        df["_kind"] = df["kind"].map(KIND_ORDER).fillna(len(KIND_ORDER))
        keys.append("_kind")
        asc.append(True)
    runs: list[dict[str, Any]] = res.manifest.get("runs", [])
    run = next((r for r in runs if r.get("command") == "pareto"), {})
    from ecoserve_opt.vocabulary import metric_column

    try:
        xcol = metric_column(str(run.get("x", "cost")))
    except EcoserveError:
        xcol = "cost_usd"
    if xcol in df.columns:
        keys.append(xcol)
        asc.append(True)
    if "objective" in df.columns:
        keys.append("objective")
        asc.append(True)
    if keys:
        df = df.sort_values(keys, ascending=asc, kind="mergesort", na_position="last")
    return df.drop(columns=["_kind"], errors="ignore").reset_index(drop=True)


def render_sweep(res: Any, source: str = "") -> str:
    """The report page for a :class:`~ecoserve_opt.studies.store.SweepResults` (sweep or Pareto)."""
    man = res.manifest
    name = str(man.get("scenario", "?"))
    kind = store_kind(res)
    title = f"ecoserve report: {name} ({kind.lower()})"
    table = res.table
    n, solved = len(table), len(res.solved())
    feasible = int((table["status"] == "feasible").sum()) if n else 0
    body = [
        "<header>",
        f"<h1>{_e(kind)}: {_e(name)}</h1>",
        f'<p class="sub">{n} points, {solved} solved &middot; scenario hash '
        f"<code>{_e(man.get('scenario_hash', '?'))}</code>"
        + (f" &middot; results <code>{_e(source)}</code>" if source else "")
        + "</p>",
        "</header>",
    ]
    if feasible:
        body.append(
            '<div class="banner warn" role="alert" id="not-optimal">NOT OPTIMAL: '
            f"{feasible} of {n} points stopped at a limit (status feasible)."
            '<span class="detail">Their designs are the best found, not proven optima; '
            "see the gap column.</span></div>"
        )
    if n - solved:
        body.append(
            f'<div class="banner bad" role="alert" id="no-solution">{n - solved} of {n} '
            "points have no solution (infeasible caps or limits).</div>"
        )
    if solved:
        body.append('<h2 id="plots">Plots</h2><div class="grid2">')
        for key, svg, caption, _wide in _sweep_plots(res):
            body.append(
                f'<figure class="wide" id="plot-{key}">{svg}'
                f"<figcaption>{_e(caption)}</figcaption></figure>"
            )
        body.append("</div>")
    cols = [*res.params, *SWEEP_COLUMNS]
    shown = sorted_points(res)
    body += [
        '<h2 id="tables">Points</h2>',
        '<h3 id="table-points">Every point</h3>',
        html_table(shown[[c for c in dict.fromkeys(cols) if c in shown.columns]]),
        '<h2 id="scenario">Runs</h2>',
        _kv_table(
            (f"run {i + 1}", _e(", ".join(f"{k}={v}" for k, v in r.items())))
            for i, r in enumerate(man.get("runs", []))
        ),
    ]
    return _page(title, body)


def read_results(results_dir: str | Path) -> Results:
    """:meth:`Results.from_dir`, with a one-line error when the folder is not a results one."""
    p = Path(results_dir)
    if not p.is_dir():
        raise EcoserveError(f"{p}: not a folder")
    if not (p / "meta.json").is_file():
        raise EcoserveError(
            f"{p}: no meta.json (not a results folder written by 'ecoserve solve --out', "
            "nor a sweep/Pareto store)"
        )
    try:
        return Results.from_dir(p)
    except (OSError, ValueError, KeyError) as exc:
        raise EcoserveError(f"{p}: cannot read results ({exc})") from None


def render_report(results_dir: str | Path) -> str:
    """The HTML report (one self-contained page) for a results folder: one solved design
    (``Results.to_dir``) or a sweep/Pareto store (``ecoserve sweep``/``ecoserve pareto``)."""
    p = Path(results_dir)
    if p.is_dir() and not (p / "meta.json").is_file() and is_sweep_dir(p):
        from ecoserve_opt.studies.store import SweepResults

        return render_sweep(SweepResults.load(p), source=p.name)
    return render_results(read_results(p), source=p.name, folder=p)


def write_report(results_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the report atomically (default ``RESULTS_DIR/report.html``); return its path."""
    target = Path(out) if out is not None else Path(results_dir) / REPORT_NAME
    atomic_write_text(target, render_report(results_dir))
    return target


__all__ = [
    "figure_svg",
    "html_table",
    "is_sweep_dir",
    "read_results",
    "render_report",
    "render_results",
    "render_sweep",
    "write_report",
]
