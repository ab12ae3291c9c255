"""The report page of a sweep or Pareto results store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ecoserve_opt.exceptions import EcoserveError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

from ecoserve_opt.report.html import WIDE_IN, _e, _kv_table, _page, figure_svg, html_table

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
