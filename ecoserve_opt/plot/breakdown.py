"""Stacked carbon breakdown per design point (operational and embodied, by component).

One bar per point: sweep points (labelled by their parameter value), or the Pareto front
followed by the baseline designs. Operational carbon is solid, embodied is hatched, in the
component colours of :mod:`ecoserve_opt.plot.fleet`.

>>> from ecoserve_opt.plot import plot_breakdown   # doctest: +SKIP
>>> plot_breakdown(SweepResults.load("pareto_out")).savefig("breakdown.png")   # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ecoserve_opt.numbers import fmt_carbon
from ecoserve_opt.plot._layout import freeze_layout, place_labels
from ecoserve_opt.plot._sweep import (
    as_results,
    empty,
    mass_scale,
    new_axes,
)
from ecoserve_opt.plot.palette import (
    COMPONENT_COLOURS,
    COMPONENTS,
    EMBODIED_ALPHA,
    EMBODIED_HATCH,
    NEUTRAL,
    OPERATIONAL_ALPHA,
    mark_time_limited,
)
from ecoserve_opt.studies.store import SweepResults
from ecoserve_opt.vocabulary import param_label

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def breakdown_points(results: SweepResults | pd.DataFrame) -> tuple[pd.DataFrame, list[str], str]:
    """The points to draw, their bar labels and the x-axis label.

    Sweep stores give every solved sweep point (ordered by parameters); Pareto stores give
    the front (by its x metric) and then the baselines.
    """
    res = as_results(results)
    t = res.solved()
    if t.empty:
        return t, [], ""
    kinds = set(t["kind"]) if "kind" in t.columns else {"sweep"}
    if kinds & {"front", "anchor"}:
        front = res.pareto_front()
        base = res.baselines()
        if len(base):
            order = {o: i for i, o in enumerate(("performance", "energy", "cost", "carbon"))}
            base = base.sort_values("objective", key=lambda s: s.map(order).fillna(9))
        df = pd.concat([front, base], ignore_index=True)
        labels = [f"front {i + 1}" for i in range(len(front))]
        labels += [f"{o}-opt." for o in base.get("objective", pd.Series(dtype=str))]
        return df, labels, "design point"
    df = res.sweep()
    df = df[df["status"].isin(["optimal", "feasible"])].reset_index(drop=True)
    params = res.params
    labels = [
        ", ".join(_fmt(r[p]) for p in params) if params else str(r["point_id"])[:6]
        for _, r in df.iterrows()
    ]
    xlabel = ", ".join(param_label(p) for p in params) if params else "point"
    return df, labels, xlabel


def _fmt(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float | int | np.floating) else str(v)


#: A bar taller than this many times the median bar is an outlier (drawn cut, value written).
OUTLIER = 4.0


def outlier_cap(total: np.ndarray) -> float | None:
    """The y-limit that keeps the ordinary bars readable, or None when no bar is an outlier.

    An outlier is a bar over :data:`OUTLIER` times the median of all bars (with at least three
    bars); the cap is 1.25 x the tallest ordinary bar.
    """
    t = total[np.isfinite(total)]
    if len(t) < 3:
        return None
    med = float(np.median(t))
    if med <= 0 or float(t.max()) <= OUTLIER * med:
        return None
    return 1.25 * float(t[t <= OUTLIER * med].max())


def plot_breakdown(
    results: SweepResults | pd.DataFrame,
    ax: Axes | None = None,
    **kw: Any,
) -> Figure:
    """Stacked bars of carbon per design point: operational (solid) + embodied (hatched),
    each split by component (GPU, CPU, DRAM, SSD, other), in the palette's component
    colours. A bar far taller than the others (see :func:`outlier_cap`) is cut at the top
    of the axes, marked with a break and labelled with its total, so the other bars stay
    readable. Time-limited points (status ``feasible``, not proven optimal) carry an orange
    cross above their bar. Keyword ``title`` replaces the default title."""
    df, labels, xlabel = breakdown_points(results)
    n = len(df)
    fig, ax = new_axes(ax, (max(7.2, 2.6 + 0.42 * n), 4.2))
    if not n:
        return empty(fig, ax, "no solved points to plot")
    total = df["carbon_kg"].to_numpy(dtype=float)
    cap = outlier_cap(total)
    visible = total if cap is None else np.minimum(total, cap)
    scale, unit = mass_scale(float(np.nanmax(visible)))
    x = np.arange(n)
    bottom = np.zeros(n)
    width = 0.7 if n < 40 else 0.9
    for part, hatch, alpha in (
        ("operational_kg", None, OPERATIONAL_ALPHA),
        ("embodied_kg", EMBODIED_HATCH, EMBODIED_ALPHA),
    ):
        for comp in COMPONENTS:
            col = f"{part}:{comp}"
            if col not in df.columns:
                continue
            v = df[col].fillna(0).to_numpy(dtype=float) / scale
            if not (v > 0).any():
                continue
            ax.bar(
                x,
                v,
                bottom=bottom,
                width=width,
                color=COMPONENT_COLOURS[comp],
                alpha=alpha,
                hatch=hatch,
                edgecolor="white",
                linewidth=0.5,
                label=f"{comp} {'operational' if hatch is None else 'embodied'}",
            )
            bottom = bottom + v
    limited = (df["status"] == "feasible").to_numpy()
    if limited.any():  # stopped by a limit: not proven optimal
        mark_time_limited(ax, x[limited], visible[limited] / scale * 1.04, int(limited.sum()))
    step = max(1, n // 25)
    tilt = n > 8 or max((len(lb) for lb in labels), default=0) * n > 60
    ax.set_xticks(
        x[::step],
        labels[::step],
        rotation=30 if tilt else 0,
        ha="right" if tilt else "center",
        rotation_mode="anchor" if tilt else "default",
    )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"carbon over the horizon ({unit})")
    top = max(float(np.nanmax(visible)) / scale, 1e-9) * (1.12 if cap is None else 1.0)
    ax.set_ylim(0, top)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title(kw.get("title", "Carbon breakdown per design point"), loc="left")
    if cap is not None:
        cut = np.flatnonzero(total > cap)
        y = 0.93 * top
        for i in cut:  # a white double slash across each cut bar
            for dy in (-0.02, 0.02):
                ax.plot(
                    [x[i] - width * 0.6, x[i] + width * 0.6],
                    [y * (1 + dy - 0.015), y * (1 + dy + 0.015)],
                    color="white",
                    linewidth=2.5,
                    zorder=5,
                )
        renderer = freeze_layout(fig)
        items = [(float(x[i]), 0.8 * top, f"{fmt_carbon(float(total[i]))}\n(cut)") for i in cut]
        place_labels(
            ax,
            items,
            renderer,
            centred=True,
            fontsize=7.5,
            color=NEUTRAL,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.0},
        )
    return fig
