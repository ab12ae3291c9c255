"""Pareto front plot: the non-dominated designs, every evaluated point and the baselines.

>>> from ecoserve_opt.plot import plot_pareto   # doctest: +SKIP
>>> plot_pareto(SweepResults.load("pareto_out")).savefig("front.svg")   # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ecoserve_opt.plot._sweep import as_results, empty, new_axes
from ecoserve_opt.store import SweepResults, metric_column, metric_label, metric_name

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Marker and label of each baseline design.
BASELINE_STYLE = {
    "performance": ("^", "#CC79A7", "performance-optimised"),
    "energy": ("s", "#E69F00", "energy-optimised"),
    "cost": ("D", "#009E73", "cost-optimised"),
    "carbon": ("*", "#D55E00", "carbon-optimised"),
}


def _axes_metrics(res: SweepResults, x: str | None, y: str | None) -> tuple[str, str]:
    run: dict[str, Any] = next(
        (r for r in res.manifest.get("runs", []) if r.get("command") == "pareto"), {}
    )
    return metric_name(x or run.get("x", "cost")), metric_name(y or run.get("y", "carbon"))


def plot_pareto(
    results: SweepResults | pd.DataFrame,
    ax: Axes | None = None,
    *,
    x: str | None = None,
    y: str | None = None,
    baselines: bool = True,
    annotate: bool | None = None,
    **kw: Any,
) -> Figure:
    """Front of ``y`` against ``x`` (default: the store's Pareto axes, else cost/carbon).

    Non-dominated points are joined by the staircase bounding the attainable region; other
    evaluated points are grey dots; baseline designs (performance-, energy-, cost- and
    carbon-optimised) get their own markers. ``annotate`` writes each front point's fleet next
    to it (default: when there are at most 8 front points). Keyword ``title`` replaces the
    default title.
    """
    res = as_results(results)
    xm, ym = _axes_metrics(res, x, y)
    xc, yc = metric_column(xm), metric_column(ym)
    fig, ax = new_axes(ax, (6.8, 4.6))
    solved = res.solved()
    if solved.empty or xc not in solved or yc not in solved:
        return empty(fig, ax, "no solved points to plot")
    front = res.pareto_front(xm, ym)
    evaluated = solved
    if "kind" in solved.columns:
        evaluated = solved[solved["kind"] != "baseline"]
    ax.scatter(
        evaluated[xc],
        evaluated[yc],
        s=16,
        color="#BBBBBB",
        label="evaluated points",
        zorder=2,
    )
    if len(front):
        ax.plot(
            front[xc],
            front[yc],
            drawstyle="steps-post",
            color="#222222",
            linewidth=1.0,
            alpha=0.6,
            zorder=3,
        )
        ax.scatter(
            front[xc],
            front[yc],
            s=42,
            color="#0072B2",
            edgecolor="white",
            linewidth=0.8,
            label=f"Pareto front ({len(front)} designs)",
            zorder=4,
        )
        show = len(front) <= 8 if annotate is None else annotate
        if show and "design" in front.columns:
            for _, r in front.iterrows():
                ax.annotate(
                    str(r["design"]),
                    (r[xc], r[yc]),
                    xytext=(6, 4),
                    textcoords="offset points",
                    fontsize=7.5,
                    color="#333333",
                )
    if baselines:
        base = res.baselines()
        for _, r in base.iterrows():
            obj = str(r.get("objective", ""))
            marker, colour, label = BASELINE_STYLE.get(obj, ("o", "#555555", obj))
            if pd.isna(r.get(xc)) or pd.isna(r.get(yc)):
                continue
            ax.scatter(
                [r[xc]],
                [r[yc]],
                marker=marker,
                s=130 if marker == "*" else 80,
                facecolor="none" if marker != "*" else colour,
                edgecolor=colour,
                linewidth=1.8,
                label=label,
                zorder=5,
            )
    ax.set_xlabel(metric_label(xm))
    ax.set_ylabel(metric_label(ym))
    _pad(ax, solved[xc].to_numpy(dtype=float), solved[yc].to_numpy(dtype=float))
    ax.grid(alpha=0.3)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, fontsize=8, loc="best")
    ax.set_title(kw.get("title", f"Pareto front: {ym} vs {xm}"), loc="left")
    return fig


def _pad(ax: Axes, xs: np.ndarray, ys: np.ndarray) -> None:
    """Leave room around the points (a single point would give a zero-width range)."""
    for vals, setter in ((xs, ax.set_xlim), (ys, ax.set_ylim)):
        vals = vals[np.isfinite(vals)]
        if not len(vals):
            continue
        lo, hi = float(vals.min()), float(vals.max())
        span = hi - lo if hi > lo else max(abs(hi), 1.0) * 0.1
        setter(lo - 0.08 * span, hi + 0.25 * span)
