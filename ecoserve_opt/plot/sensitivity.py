"""Sensitivity plot: fleet mix and carbon breakdown against a swept parameter.

Top panel: GPUs per type (stacked) and hosts (dashed) in the first planning year. Bottom
panel: carbon over the horizon, operational (solid) and embodied (hatched) per component,
stacked. Dotted vertical lines mark where the optimal design changes between two
neighbouring points.

>>> from ecoserve_opt.plot import plot_sensitivity   # doctest: +SKIP
>>> plot_sensitivity(SweepResults.load("sweep_out"), param="grid_intensity")   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ecoserve_opt.exceptions import EcoserveError
from ecoserve_opt.plot._sweep import (
    COLOURS,
    COMPONENTS,
    EMBODIED_HATCH,
    SERIES,
    as_results,
    empty,
    mass_scale,
    param_label,
    root_figure,
)
from ecoserve_opt.store import SweepResults

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def sensitivity_table(
    results: SweepResults | pd.DataFrame, param: str | None = None
) -> tuple[pd.DataFrame, str, str]:
    """Solved sweep points along ``param`` (others held at their first value), sorted.

    Returns ``(table, param, note)``; ``note`` names the values the other parameters are
    held at (empty for a one-parameter sweep).
    """
    res = as_results(results)
    params = res.params
    if param is None:
        if not params:
            raise EcoserveError("no swept parameter found: pass param=")
        param = "grid_intensity" if "grid_intensity" in params else params[0]
    df = res.sweep()
    if df.empty or param not in df.columns:
        raise EcoserveError(f"the results have no sweep over {param!r} (swept: {params})")
    note = []
    for other in params:
        if other == param or other not in df.columns:
            continue
        vals = list(df[other].dropna().unique())
        numeric = all(isinstance(v, int | float | np.number) for v in vals)
        first = sorted(vals)[0] if numeric else sorted(vals, key=str)[0]
        df = df[df[other] == first]
        note.append(f"{other}={first:g}" if numeric else f"{other}={first}")
    df = df[df["status"].isin(["optimal", "feasible"])]
    df = df.sort_values(param, kind="mergesort").reset_index(drop=True)
    return df, param, ", ".join(note)


def design_changes(
    df: pd.DataFrame, param: str, xs: np.ndarray | None = None
) -> list[tuple[float, str, str]]:
    """``(x, before, after)`` midway between neighbouring points whose designs differ.

    ``xs`` are the points' positions (default: the parameter values, which must be numeric).
    """
    pos = df[param].to_numpy(dtype=float) if xs is None else np.asarray(xs, dtype=float)
    designs = df["design"].astype(str).tolist()
    return [
        ((pos[i] + pos[i - 1]) / 2.0, designs[i - 1], designs[i])
        for i in range(1, len(df))
        if designs[i] != designs[i - 1]
    ]


def plot_sensitivity(
    results: SweepResults | pd.DataFrame,
    ax: Axes | Sequence[Axes] | None = None,
    *,
    param: str | None = None,
    **kw: Any,
) -> Figure:
    """Fleet mix (top) and carbon breakdown (bottom) against ``param``.

    ``param`` defaults to ``grid_intensity`` when swept. ``ax`` may be two Axes (mix,
    carbon), one Axes (carbon only) or ``None`` (a new two-panel figure). Non-numeric
    parameters (e.g. ``embodied_source``) are drawn as categories. Keyword ``title``
    replaces the default title.
    """
    import matplotlib.pyplot as plt

    df, param, note = sensitivity_table(results, param)
    if ax is None:
        fig, axes = plt.subplots(
            2, 1, figsize=(8.4, 6.4), sharex=True, layout="constrained", height_ratios=[1, 1.4]
        )
        ax_mix, ax_c = axes[0], axes[1]
    elif isinstance(ax, Sequence):
        ax_mix, ax_c = ax[0], ax[1]
        fig = root_figure(ax_c)
    else:
        ax_mix, ax_c = None, ax
        fig = root_figure(ax)
    if df.empty:
        return empty(fig, ax_c, f"no solved sweep points along {param}")
    numeric = pd.api.types.is_numeric_dtype(df[param])
    xs = df[param].to_numpy(dtype=float) if numeric else np.arange(len(df), dtype=float)
    step = "mid"  # the fleet is discrete: steps midway between points
    carbon_step = None if numeric else "mid"  # carbon is continuous in a numeric parameter

    # ---- fleet mix ---------------------------------------------------------------------
    if ax_mix is not None:
        gcols = [c for c in df.columns if c.startswith("gpu:")]
        gvals = [df[c].fillna(0).to_numpy(dtype=float) for c in gcols]
        if gcols:
            bottom = np.zeros(len(df))
            for i, (c, v) in enumerate(zip(gcols, gvals, strict=True)):
                ax_mix.fill_between(
                    xs,
                    bottom,
                    bottom + v,
                    step=step,
                    color=SERIES[i % len(SERIES)],
                    alpha=0.85,
                    label=f"{c[4:]} GPUs",
                    linewidth=0,
                )
                bottom = bottom + v
        hcols = [c for c in df.columns if c.startswith("host:")]
        if hcols:
            hosts = df[hcols].fillna(0).sum(axis=1).to_numpy(dtype=float)
            ax_mix.step(xs, hosts, where=step, color="#222222", linestyle="--", label="hosts")
        ax_mix.set_ylabel("units in service (year 1)")
        ax_mix.set_ylim(bottom=0)
        ax_mix.grid(axis="y", alpha=0.3)
        ax_mix.spines[["top", "right"]].set_visible(False)
        ax_mix.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax_mix.set_title(
            kw.get("title", f"Optimal fleet and carbon vs {param_label(param)}")
            + (f"  [{note}]" if note else ""),
            loc="left",
            fontsize=10.5,
        )

    # ---- carbon breakdown --------------------------------------------------------------
    total = df["carbon_kg"].to_numpy(dtype=float)
    scale, unit = mass_scale(float(np.nanmax(total)) if len(total) else 0.0)
    bottom = np.zeros(len(df))
    for part, hatch, alpha in (
        ("operational_kg", None, 0.9),
        ("embodied_kg", EMBODIED_HATCH, 0.45),
    ):
        for comp in COMPONENTS:
            col = f"{part}:{comp}"
            if col not in df.columns:
                continue
            v = df[col].fillna(0).to_numpy(dtype=float) / scale
            if not (v > 0).any():
                continue
            ax_c.fill_between(
                xs,
                bottom,
                bottom + v,
                step=carbon_step,
                facecolor=COLOURS[comp],
                alpha=alpha,
                hatch=hatch,
                edgecolor="white" if hatch else None,
                linewidth=0,
                label=f"{comp} {'operational' if hatch is None else 'embodied'}",
            )
            bottom = bottom + v
    ax_c.plot(
        xs, total / scale, color="#222222", marker="o", markersize=3, linewidth=1.0, label="total"
    )
    ax_c.set_ylabel(f"carbon over the horizon ({unit})")
    ax_c.set_xlabel(param_label(param))
    ax_c.set_ylim(bottom=0)
    ax_c.grid(axis="y", alpha=0.3)
    ax_c.spines[["top", "right"]].set_visible(False)
    ax_c.legend(frameon=False, fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if not numeric:
        ax_c.set_xticks(xs, [str(v) for v in df[param]])

    # ---- where the design changes ------------------------------------------------------
    changes = design_changes(df, param, xs)
    for axis in (a for a in (ax_mix, ax_c) if a is not None):
        for xmid, _a, _b in changes:
            axis.axvline(xmid, color="#444444", linestyle=":", linewidth=1.2)
    if changes:
        target = ax_mix if ax_mix is not None else ax_c
        for xmid, _a, _b in changes:
            target.annotate(
                "design\nchanges",
                (xmid, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(3, -3),
                textcoords="offset points",
                va="top",
                fontsize=7,
                color="#444444",
            )
    return fig
