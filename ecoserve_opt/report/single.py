"""The report page of one solved design (a ``Results.to_dir`` folder)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ecoserve_opt.numbers import fmt_gap
from ecoserve_opt.results import RESOLVED_KEY, Results
from ecoserve_opt.solve import Status

if TYPE_CHECKING:
    from matplotlib.figure import Figure

from ecoserve_opt.report.html import (
    HALF_IN,
    WIDE_IN,
    _e,
    _is_missing,
    _kv_table,
    _page,
    figure_svg,
    html_table,
    inline_svg,
)

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
    ("host_cpu_gpu_serving", "host CPU cores serving GPUs", "", "{:.0%}"),
    ("host_cpu_offline", "host CPU cores on offline inference", "", "{:.0%}"),
    ("host_cpu_idle", "host CPU cores idle", "", "{:.0%}"),
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
        # Recycle's obsolescence charge (steady-state lifetime accounting), shown when any
        if "obsolescence_kg" in bd.columns and (bd["obsolescence_kg"] != 0).any():
            total_row["obsolescence_kg"] = float(bd["obsolescence_kg"].sum())
            order = ["component", "operational_kg", "embodied_kg", "obsolescence_kg"]
            bd = bd[[*order, "total_kg", "share"]]
        else:
            bd = bd.drop(columns="obsolescence_kg", errors="ignore")
        parts.append('<h3 id="table-breakdown">Carbon by component</h3>')
        parts.append(html_table(bd, total_row=total_row, formats={"share": "{:.1%}"}))
    sections = (
        ("fleet", "Fleet (units by type and source)", None),
        (
            "replicas",
            "Model replicas (per LLM, GPU, tensor-parallel degree, pool, phase and year)",
            None,
        ),
        (
            "deployment",
            "Hosts as deployed (per host type, GPU, lifetime and year)",
            DEPLOYMENT_COLUMNS,
        ),
        (
            "host_cpu",
            "Host CPU cores (per host type, year and slot): busy serving GPUs, busy with "
            "offline CPU inference, idle",
            None,
        ),
    )
    fleet = t.get("fleet", pd.DataFrame())
    if not fleet.empty and (fleet["source"] == "new").any():
        from ecoserve_opt.lifetime import refresh_plan

        sc = res.meta.get("scenario_spec") or {}
        horizon = int(round(float(sc.get("horizon", 8760.0)) / 8760.0))
        plan = refresh_plan(fleet, horizon, int(sc.get("start_year", 2025)))
        plan["calendar_year"] = plan["calendar_year"].astype(str)  # no thousands separator
        parts.append('<h3 id="table-refresh">Refresh plan (new cohorts bought and retired)</h3>')
        parts.append(html_table(plan))
    for name, title, cols in sections:
        df = t.get(name, pd.DataFrame())
        if name == "host_cpu" and df.empty:  # results folders written before issue 15
            continue
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
