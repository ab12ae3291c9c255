"""Sensitivity plot: fleet mix, carbon and the embodied share against a swept parameter.

Four panels sharing the x axis: GPUs per type (stacked) and hosts per platform (stacked)
in the first planning year; carbon over the horizon, operational (solid) and embodied
(hatched) per component, stacked; and the embodied share of the total, per component, so
that embodied carbon is not lost as a sliver under the operational part. Dotted vertical
lines mark where the optimal design changes between two neighbouring points. Colours
come from :mod:`ecoserve_opt.plot.palette`.

>>> from ecoserve_opt.plot import plot_sensitivity   # doctest: +SKIP
>>> plot_sensitivity(SweepResults.load("sweep_out"), param="grid_intensity")   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from ecoserve_opt.exceptions import EcoserveError
from ecoserve_opt.plot._layout import freeze_layout, place_labels
from ecoserve_opt.plot._sweep import (
    as_results,
    empty,
    mass_scale,
    root_figure,
)
from ecoserve_opt.plot.palette import (
    COMPONENT_COLOURS,
    COMPONENTS,
    EMBODIED_ALPHA,
    EMBODIED_HATCH,
    NEUTRAL,
    OPERATIONAL_ALPHA,
    mark_time_limited,
    type_colours,
)
from ecoserve_opt.studies.store import SweepResults
from ecoserve_opt.vocabulary import param_label

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


def _style(axis: Axes, ylabel: str) -> None:
    axis.set_ylabel(ylabel)
    axis.set_ylim(bottom=0)
    axis.grid(axis="y", alpha=0.3)
    axis.spines[["top", "right"]].set_visible(False)
    axis.legend(frameon=False, fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.0))


def _stack(
    axis: Axes,
    xs: np.ndarray,
    series: list[tuple[str, np.ndarray]],
    colours: dict[str, str],
    step: str | None,
    suffix: str,
) -> None:
    bottom = np.zeros(len(xs))
    for name, v in series:
        axis.fill_between(
            xs,
            bottom,
            bottom + v,
            step=step,  # type: ignore[arg-type]
            color=colours[name],
            alpha=0.85,
            label=f"{name} {suffix}",
            linewidth=0,
        )
        bottom = bottom + v


def plot_sensitivity(
    results: SweepResults | pd.DataFrame,
    ax: Axes | Sequence[Axes] | None = None,
    *,
    param: str | None = None,
    **kw: Any,
) -> Figure:
    """GPU mix, host mix, carbon breakdown and embodied share against ``param``.

    ``param`` defaults to ``grid_intensity`` when swept. ``ax`` may be four Axes (GPUs,
    hosts, carbon, embodied share), three (no share panel), two (fleet mix with hosts per
    platform as dashed lines, carbon), one Axes (carbon only) or ``None`` (a new four-panel
    figure). GPU types and host platforms get distinct colours from
    :func:`~ecoserve_opt.plot.palette.type_colours`; components keep theirs. Non-numeric
    parameters (e.g. ``embodied_source``) are drawn as categories. Keyword ``title``
    replaces the default title.
    """
    import matplotlib.pyplot as plt

    df, param, note = sensitivity_table(results, param)
    ax_gpu: Axes | None = None
    ax_host: Axes | None = None
    ax_share: Axes | None = None
    if ax is None:
        fig, axes = plt.subplots(
            4,
            1,
            figsize=(8.4, 9.0),
            sharex=True,
            layout="constrained",
            height_ratios=[1, 0.8, 1.3, 0.8],
        )
        ax_gpu, ax_host, ax_c, ax_share = axes
    elif isinstance(ax, Sequence):
        axs = list(ax)
        if len(axs) >= 4:
            ax_gpu, ax_host, ax_c, ax_share = axs[:4]
        elif len(axs) == 3:
            ax_gpu, ax_host, ax_c = axs
        else:
            ax_gpu, ax_c = axs[0], axs[1]
        fig = root_figure(ax_c)
    else:
        ax_c = ax
        fig = root_figure(ax)
    if df.empty:
        return empty(fig, ax_c, f"no solved sweep points along {param}")
    numeric = pd.api.types.is_numeric_dtype(df[param])
    xs = df[param].to_numpy(dtype=float) if numeric else np.arange(len(df), dtype=float)
    step: Literal["mid"] = "mid"  # the fleet is discrete: steps midway between points
    carbon_step = None if numeric else "mid"  # carbon is continuous in a numeric parameter
    gcols = [c for c in df.columns if c.startswith("gpu:")]
    hcols = [c for c in df.columns if c.startswith("host:")]
    tcol = type_colours([c[4:] for c in gcols] + [c[5:] for c in hcols])
    title = kw.get("title", f"Optimal fleet and carbon vs {param_label(param)}") + (
        f"  [{note}]" if note else ""
    )
    top_axis = ax_gpu if ax_gpu is not None else ax_c

    # ---- fleet mix ---------------------------------------------------------------------
    if ax_gpu is not None:
        gseries = [(c[4:], df[c].fillna(0).to_numpy(dtype=float)) for c in gcols]
        _stack(ax_gpu, xs, gseries, tcol, step, "GPUs")
        hseries = [(c[5:], df[c].fillna(0).to_numpy(dtype=float)) for c in hcols]
        if ax_host is not None:
            _stack(ax_host, xs, hseries, tcol, step, "hosts")
            _style(ax_host, "hosts (year 1)")
        elif hcols:
            for name, v in hseries:
                ax_gpu.step(
                    xs, v, where=step, color=tcol[name], linestyle="--", label=f"{name} hosts"
                )
            hosts = df[hcols].fillna(0).sum(axis=1).to_numpy(dtype=float)
            ax_gpu.step(xs, hosts, where=step, color=NEUTRAL, linestyle=":", label="hosts")
        _style(ax_gpu, "GPUs (year 1)" if ax_host is not None else "units in service (year 1)")

    # ---- carbon breakdown --------------------------------------------------------------
    total = df["carbon_kg"].to_numpy(dtype=float)
    scale, unit = mass_scale(float(np.nanmax(total)) if len(total) else 0.0)
    bottom = np.zeros(len(df))
    shares: list[tuple[str, np.ndarray]] = []
    for part, hatch, alpha in (
        ("operational_kg", None, OPERATIONAL_ALPHA),
        ("embodied_kg", EMBODIED_HATCH, EMBODIED_ALPHA),
    ):
        for comp in COMPONENTS:
            col = f"{part}:{comp}"
            if col not in df.columns:
                continue
            v = df[col].fillna(0).to_numpy(dtype=float)
            if not (v > 0).any():
                continue
            if hatch is not None:
                with np.errstate(divide="ignore", invalid="ignore"):
                    shares.append((comp, np.where(total > 0, 100.0 * v / total, 0.0)))
            ax_c.fill_between(
                xs,
                bottom,
                bottom + v / scale,
                step=carbon_step,  # type: ignore[arg-type]
                facecolor=COMPONENT_COLOURS[comp],
                alpha=alpha,
                hatch=hatch,
                edgecolor="white" if hatch else None,
                linewidth=0,
                label=f"{comp} {'operational' if hatch is None else 'embodied'}",
            )
            bottom = bottom + v / scale
    ax_c.plot(
        xs, total / scale, color=NEUTRAL, marker="o", markersize=3, linewidth=1.0, label="total"
    )
    limited = (df["status"] == "feasible").to_numpy()
    if limited.any():  # stopped by a limit: not proven optimal
        mark_time_limited(ax_c, xs[limited], total[limited] / scale, int(limited.sum()))
    _style(ax_c, f"carbon over the horizon ({unit})")

    # ---- embodied share ----------------------------------------------------------------
    if ax_share is not None:
        b = np.zeros(len(df))
        for comp, v in shares:
            ax_share.fill_between(
                xs,
                b,
                b + v,
                step=carbon_step,  # type: ignore[arg-type]
                facecolor=COMPONENT_COLOURS[comp],
                alpha=EMBODIED_ALPHA,
                hatch=EMBODIED_HATCH,
                edgecolor="white",
                linewidth=0,
                label=f"{comp} embodied",
            )
            b = b + v
        ax_share.plot(
            xs, b, color=NEUTRAL, marker="o", markersize=3, linewidth=1.0, label="embodied share"
        )
        _style(ax_share, "embodied share of total (%)")
        ax_share.set_ylim(0, max(float(b.max()) * 1.25, 1.0) if len(b) else 1.0)
    bottom_axis = ax_share if ax_share is not None else ax_c
    bottom_axis.set_xlabel(param_label(param))
    if not numeric:
        bottom_axis.set_xticks(xs, [str(v) for v in df[param]])
    top_axis.set_title(title, loc="left", fontsize=10.5)

    # ---- where the design changes ------------------------------------------------------
    changes = design_changes(df, param, xs)
    panels = [a for a in (ax_gpu, ax_host, ax_c, ax_share) if a is not None]
    for axis in panels:
        for xmid, _a, _b in changes:
            axis.axvline(xmid, color=NEUTRAL, linestyle=":", linewidth=1.2)
    if changes:
        renderer = freeze_layout(fig)
        ytop = top_axis.get_ylim()[1]
        items = [(xmid, ytop, "design changes") for xmid, _a, _b in changes]
        place_labels(top_axis, items, renderer, fontsize=7, color=NEUTRAL)
    return fig
