"""Pareto front plot: the non-dominated designs, every evaluated point and the baselines.

>>> from ecoserve_opt.plot import plot_pareto   # doctest: +SKIP
>>> plot_pareto(SweepResults.load("pareto_out")).savefig("front.svg")   # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ecoserve_opt.numbers import fmt_quantity
from ecoserve_opt.plot._layout import freeze_layout, place_labels
from ecoserve_opt.plot._sweep import as_results, empty, new_axes
from ecoserve_opt.plot.palette import (
    EVALUATED,
    FRONT,
    NEUTRAL,
    OBJECTIVE_COLOURS,
    OBJECTIVE_LABELS,
    OBJECTIVE_MARKERS,
    mark_time_limited,
)
from ecoserve_opt.studies.store import SweepResults
from ecoserve_opt.vocabulary import metric_column, metric_label, metric_name

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Marker, colour and label of each baseline design (from the palette).
BASELINE_STYLE = {
    k: (OBJECTIVE_MARKERS[k], OBJECTIVE_COLOURS[k], OBJECTIVE_LABELS[k]) for k in OBJECTIVE_COLOURS
}
#: A baseline further than this many front spans beyond the front is drawn off-scale.
FAR = 1.0


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
    include_time_limited: bool = False,
    **kw: Any,
) -> Figure:
    """Front of ``y`` against ``x`` (default: the store's Pareto axes, else cost/carbon).

    Time-limited points (stopped by a limit, not proven optimal) are drawn as orange
    crosses labelled so, and kept off the front unless ``include_time_limited``; a
    time-limited baseline's label says so.

    Non-dominated points are joined by the staircase bounding the attainable region; other
    evaluated points are grey dots; baseline designs (performance-, energy-, cost- and
    carbon-optimised) get their own markers. The axes are scaled to the front: a baseline
    further than one front span beyond it is drawn *off-scale*, as a hollow marker pinned
    to the axes edge with its values written next to it, so a far-off design never
    squeezes the front into a corner. ``annotate`` numbers the front points and lists
    their fleets beside the plot (default: at most 8 front points). Labels are placed
    where they overlap nothing; one with no free spot is left out. Keyword ``title``
    replaces the default title.
    """
    res = as_results(results)
    xm, ym = _axes_metrics(res, x, y)
    xc, yc = metric_column(xm), metric_column(ym)
    fig, ax = new_axes(ax, (7.8, 4.6))
    solved = res.solved()
    if solved.empty or xc not in solved or yc not in solved:
        return empty(fig, ax, "no solved points to plot")
    front = res.pareto_front(xm, ym, include_time_limited=include_time_limited)
    evaluated = solved
    if "kind" in solved.columns:
        evaluated = solved[solved["kind"] != "baseline"]
    base = res.baselines() if baselines else pd.DataFrame()
    if len(base):
        base = base[base[xc].notna() & base[yc].notna()]
    core = evaluated if len(evaluated) else solved
    xlim = _limits(core[xc].to_numpy(dtype=float), base.get(xc))
    ylim = _limits(core[yc].to_numpy(dtype=float), base.get(yc))

    limited = evaluated["status"] == "feasible"
    ax.scatter(
        evaluated.loc[~limited, xc],
        evaluated.loc[~limited, yc],
        s=16,
        color=EVALUATED,
        label="evaluated points",
        zorder=2,
    )
    if limited.any():
        mark_time_limited(
            ax,
            evaluated.loc[limited, xc],
            evaluated.loc[limited, yc],
            int(limited.sum()),
            zorder=4.5,
        )
    if len(front):
        ax.plot(
            front[xc],
            front[yc],
            drawstyle="steps-post",
            color=FRONT,
            linewidth=1.0,
            alpha=0.6,
            zorder=3,
        )
        ax.scatter(
            front[xc],
            front[yc],
            s=42,
            color=FRONT,
            edgecolor="white",
            linewidth=0.8,
            label=f"Pareto front ({len(front)} designs)",
            zorder=4,
        )
    offscale: list[tuple[float, float, str]] = []
    for _, r in base.iterrows():
        obj = str(r.get("objective", ""))
        marker, colour, label = BASELINE_STYLE.get(obj, ("o", NEUTRAL, obj))
        bx, by = float(r[xc]), float(r[yc])
        px, py = min(max(bx, xlim[0]), xlim[1]), min(max(by, ylim[0]), ylim[1])
        far = (px, py) != (bx, by)
        ax.scatter(
            [px],
            [py],
            marker=marker,
            s=130 if marker == "*" else 80,
            facecolor="none" if (marker != "*" or far) else colour,
            edgecolor=colour,
            linewidth=1.8,
            linestyle="--" if far else "-",
            label=label
            + (" (time-limited)" if r.get("status") == "feasible" else "")
            + (" (off-scale)" if far else ""),
            zorder=5,
            clip_on=False,
        )
        if far:
            text = (
                f"{label.split('-')[0]}: {fmt_quantity(xm, bx)}, {fmt_quantity(ym, by)}"
                + _arrows(bx, by, xlim, ylim)
            )
            offscale.append((px, py, text))
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel(metric_label(xm))
    ax.set_ylabel(metric_label(ym))
    ax.grid(alpha=0.3)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(kw.get("title", f"Pareto front: {ym} vs {xm}"), loc="left")
    legend = ax.legend(
        frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0
    )
    show = len(front) <= 8 if annotate is None else annotate
    designs = show and len(front) > 0 and "design" in front.columns
    if designs:
        from matplotlib.lines import Line2D

        ax.add_artist(legend)
        handles = [Line2D([], [], linestyle="none") for _ in range(len(front))]
        texts = [f"{i + 1}  {d}" for i, d in enumerate(front["design"].astype(str))]
        ax.legend(
            handles,
            texts,
            title="front designs (year 1)",
            frameon=False,
            fontsize=7.5,
            title_fontsize=8,
            loc="upper left",
            bbox_to_anchor=(1.01, 0.0),
            borderaxespad=0,
            handlelength=0,
            handletextpad=0,
            alignment="left",
        )
    renderer = freeze_layout(fig)
    points = [(float(a), float(b)) for a, b in zip(solved[xc], solved[yc], strict=True)]
    points = [(min(max(a, xlim[0]), xlim[1]), min(max(b, ylim[0]), ylim[1])) for a, b in points]
    _placed, left = place_labels(ax, offscale, renderer, avoid_points=points, fontsize=7.5)
    if designs:
        items = [
            (float(a), float(b), str(i + 1))
            for i, (a, b) in enumerate(zip(front[xc], front[yc], strict=True))
        ]
        _p2, left2 = place_labels(ax, items, renderer, avoid_points=points, fontsize=7.5)
        left += left2
    if left:
        ax.annotate(
            f"{left} label(s) left out (no free space)",
            (0.0, 0.0),
            xycoords="axes fraction",
            xytext=(0, -28),
            textcoords="offset points",
            fontsize=7,
            color=NEUTRAL,
            va="top",
        )
    return fig


def _limits(core: np.ndarray, base: pd.Series | None) -> tuple[float, float]:
    """Axis range: the core points padded, widened to baselines that are not far off."""
    vals = core[np.isfinite(core)]
    if not len(vals):
        vals = np.array([0.0, 1.0])
    lo, hi = float(vals.min()), float(vals.max())
    span = hi - lo if hi > lo else max(abs(hi), 1.0) * 0.1
    if base is not None and len(base):
        b = base.to_numpy(dtype=float)
        b = b[np.isfinite(b) & (b >= lo - FAR * span) & (b <= hi + FAR * span)]
        if len(b):
            lo, hi = min(lo, float(b.min())), max(hi, float(b.max()))
    span = hi - lo if hi > lo else max(abs(hi), 1.0) * 0.1
    return lo - 0.08 * span, hi + 0.12 * span


def _arrows(x: float, y: float, xlim: tuple[float, float], ylim: tuple[float, float]) -> str:
    """Where an off-scale point lies: arrows toward it."""
    out = ""
    if x > xlim[1]:
        out += " \u2192"
    elif x < xlim[0]:
        out += " \u2190"
    if y > ylim[1]:
        out += " \u2191"
    elif y < ylim[0]:
        out += " \u2193"
    return out
