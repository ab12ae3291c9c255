"""Plots of one solved design: fleet mix, carbon by component, power over the day.

Each function takes a :class:`~ecoserve_opt.results.Results` (fresh from a solve or re-read
with :meth:`Results.from_dir`) and an optional matplotlib ``Axes``, draws from the results'
tables only (never the Pyomo model) and returns the ``Figure``. Axis labels carry units.

>>> from ecoserve_opt.plot.fleet import carbon_breakdown  # doctest: +SKIP
>>> carbon_breakdown(res).savefig("carbon.svg")  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ecoserve_opt.plot import palette

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ecoserve_opt.results import Results

COMPONENTS = palette.COMPONENTS
HEADROOM = 1.4  # y-limit over the data maximum: leaves a band at the top for the legend

#: Colours shared by the plots, from :mod:`ecoserve_opt.plot.palette` (one meaning each).
COLOURS = {
    "operational": palette.OPERATIONAL,
    "embodied": palette.EMBODIED,
    **palette.COMPONENT_COLOURS,
    "grid": palette.GRID,
    "offline": palette.OFFLINE,
}


def _axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    """The figure of ``ax``, or a new figure with one axes."""
    if ax is not None:
        fig = ax.figure
        while getattr(fig, "figure", fig) is not fig:  # a SubFigure: climb to the Figure
            fig = fig.figure
        return fig, ax  # type: ignore[return-value]
    import matplotlib.pyplot as plt

    fig, new_ax = plt.subplots(figsize=size, layout="constrained")
    return fig, new_ax


def _no_solution(fig: Figure, ax: Axes, results: Results, what: str) -> Figure:
    ax.set_axis_off()
    ax.text(
        0.5,
        0.5,
        f"{what}: no solution (status {results.status.value})",
        ha="center",
        va="center",
        transform=ax.transAxes,
    )
    return fig


def _mass_scale(values: Any) -> tuple[float, str]:
    """Divide by 1000 and say tCO2e when the largest value is 10 t or more."""
    biggest = float(np.nanmax(np.abs(np.asarray(values, dtype=float)))) if len(values) else 0.0
    return (1000.0, "tCO2e") if biggest >= 1e4 else (1.0, "kgCO2e")


def _fmt(value: float) -> str:
    """Thousands separators above 1000, three significant digits below."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def _table(results: Results, name: str) -> pd.DataFrame:
    return results.tables.get(name, pd.DataFrame())


def fleet_counts(results: Results) -> pd.DataFrame:
    """Units per GPU/host type and source: the data behind :func:`fleet_mix`.

    ``new`` counts every unit bought over the horizon; ``owned`` is the largest number of
    already-owned (reused) units in service in any year. Columns: ``kind``, ``item``,
    ``new``, ``owned``; GPUs first, then hosts.
    """
    fleet = _table(results, "fleet")
    cols = ["kind", "item", "new", "owned"]
    if fleet.empty:
        return pd.DataFrame(columns=cols)
    new = fleet[fleet["source"] == "new"].groupby(["kind", "item"])["count"].sum()
    owned = (
        fleet[fleet["source"] == "owned"]
        .fillna({"year_used": 0})
        .groupby(["kind", "item", "year_used"])["count"]
        .sum()
        .groupby(level=["kind", "item"])
        .max()
    )
    out = pd.concat([new.rename("new"), owned.rename("owned")], axis=1)
    out = out.fillna(0).astype(int).reset_index()
    out["_order"] = out["kind"].map({"gpu": 0, "host": 1}).fillna(2)
    out = out.sort_values(["_order", "item"]).drop(columns="_order").reset_index(drop=True)
    return out[cols]


def fleet_mix(results: Results, ax: Axes | None = None, **kw: Any) -> Figure:
    """Horizontal bars: GPUs and hosts by type, new (solid) vs already owned (hatched).

    Counts come from :func:`fleet_counts`. Keyword ``title`` replaces the default title.
    """
    counts = fleet_counts(results) if results.status.has_solution else None
    n = 0 if counts is None else len(counts)
    fig, ax = _axes(ax, (6.4, max(2.2, 0.9 + 0.45 * n)))
    if counts is None:
        return _no_solution(fig, ax, results, "fleet")
    if counts.empty:
        ax.text(0.5, 0.5, "empty fleet", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    labels = [
        f"{item} ({'GPU' if kind == 'gpu' else kind})"
        for item, kind in zip(counts["item"].astype(str), counts["kind"].astype(str), strict=True)
    ]
    y = np.arange(n)[::-1]
    by_type = palette.type_colours(counts["item"].astype(str))
    colours = [by_type[str(i)] for i in counts["item"]]
    new = counts["new"].to_numpy(dtype=float)
    owned = counts["owned"].to_numpy(dtype=float)
    ax.barh(y, new, color=colours, edgecolor="white", height=0.6)
    ax.barh(
        y,
        owned,
        left=new,
        color="white",
        edgecolor=colours,
        hatch="///",
        height=0.6,
        linewidth=1.2,
    )
    total = new + owned
    for yi, t, nw, ow in zip(y, total, new, owned, strict=True):
        if not ow:
            text = f"{t:,.0f}"
        elif not nw:
            text = f"{t:,.0f} owned"
        else:
            text = f"{t:,.0f}  ({nw:,.0f} new + {ow:,.0f} owned)"
        ax.annotate(
            text,
            (t, yi),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
        )
    ax.set_yticks(y, labels)
    ax.set_xlabel("units (new: bought over the horizon; owned: most in use in a year)")
    ax.set_xlim(0, max(float(total.max()), 1.0) * 1.45)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    from matplotlib.patches import Patch

    handles = [
        Patch(facecolor="#777777", label="new"),
        Patch(facecolor="white", edgecolor="#777777", hatch="///", label="owned (reused)"),
    ]
    ax.legend(handles=handles, loc="lower right", frameon=False, fontsize=9)
    ax.set_title(kw.get("title", "Fleet mix"), loc="left")
    return fig


def carbon_breakdown(results: Results, ax: Axes | None = None, **kw: Any) -> Figure:
    """Stacked bars per component (GPU, CPU, DRAM, SSD, other): operational + embodied.

    Each bar is labelled with its total and share of the fleet's carbon. Values are in
    kgCO2e, or tCO2e when the largest bar reaches 10 t. Keyword ``title`` replaces the
    default title.
    """
    fig, ax = _axes(ax, (6.4, 3.8))
    table = _table(results, "breakdown")
    if not results.status.has_solution or table.empty:
        return _no_solution(fig, ax, results, "carbon breakdown")
    bd = table.set_index("component").reindex(
        [c for c in COMPONENTS if c in set(table["component"])]
        + [c for c in table["component"] if c not in COMPONENTS]
    )
    oper = bd["operational_kg"].to_numpy(dtype=float)
    emb = bd["embodied_kg"].to_numpy(dtype=float)
    total = oper + emb
    scale, unit = _mass_scale(total)
    x = np.arange(len(bd))
    ax.bar(x, oper / scale, color=COLOURS["operational"], label="operational", width=0.62)
    ax.bar(
        x,
        emb / scale,
        bottom=oper / scale,
        color=COLOURS["embodied"],
        label="embodied (amortised)",
        width=0.62,
    )
    grand = float(total.sum())
    for xi, t in zip(x, total, strict=True):
        share = t / grand if grand > 0 else 0.0
        ax.annotate(
            f"{_fmt(t / scale)}\n{share:.0%}",
            (xi, t / scale),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=8.5,
        )
    ax.set_xticks(x, list(bd.index))
    ax.set_ylabel(f"carbon over the horizon ({unit})")
    ax.set_ylim(0, max(float(total.max()) / scale, 1e-9) * 1.22)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    ax.legend(frameon=False, fontsize=9, loc="upper right")
    op_share = float(oper.sum()) / grand if grand > 0 else 0.0
    ax.set_title(
        kw.get(
            "title",
            f"Carbon by component: {grand / scale:,.4g} {unit} "
            f"({op_share:.0%} operational, {1 - op_share:.0%} embodied)",
        ),
        loc="left",
        fontsize=10.5,
    )
    return fig


def power_profile(
    results: Results, ax: Axes | None = None, year: int | None = None, **kw: Any
) -> Figure:
    """IT power per time slot (stacked by component) with grid intensity on a twin axis.

    When the design runs offline (batch) work, its throughput per slot is drawn as a dashed
    step line on a third axis: whether it runs in low- or high-carbon hours shows against
    the grid-intensity line (:func:`ecoserve_opt.results.offline_timing` puts a number on
    it). ``year`` picks the planning year (default: the first); keyword ``title`` replaces
    the default title.
    """
    fig, ax = _axes(ax, (7.6, 3.9))
    power = _table(results, "power")
    if not results.status.has_solution or power.empty:
        return _no_solution(fig, ax, results, "power profile")
    years = sorted(power["year"].unique())
    yr = years[0] if year is None else year
    if yr not in years:
        raise ValueError(f"year {yr} not in the results (years {years})")
    p = power[power["year"] == yr].sort_values("slot")
    hours = p["hour_start"].to_numpy(dtype=float)
    width = float(np.diff(hours).min()) if len(hours) > 1 else 24.0
    bottom = np.zeros(len(p))
    for comp in COMPONENTS:
        col = f"{comp.lower()}_kw"
        if col not in p or not (p[col].to_numpy(dtype=float) > 0).any():
            continue
        vals = p[col].to_numpy(dtype=float)
        ax.bar(
            hours,
            vals,
            width=width,
            bottom=bottom,
            align="edge",
            color=COLOURS[comp],
            alpha=palette.OPERATIONAL_ALPHA,
            label=f"{comp} power",
            edgecolor="white",
            linewidth=0.4,
        )
        bottom += vals
    ax.set_xlim(hours[0], hours[-1] + width)
    ax.set_xlabel(f"hour of the representative day (year {yr})")
    ax.set_ylabel("IT power (kW)")
    ax.set_ylim(0, max(float(bottom.max()), 1e-9) * HEADROOM)
    ax.set_xticks(np.arange(hours[0], hours[-1] + width + 1e-9, max(width, 3.0)))
    ax.spines[["top"]].set_visible(False)

    edges = np.append(hours, hours[-1] + width)
    ci = p["grid_kg_per_kwh"].to_numpy(dtype=float) * 1000.0
    ax_ci = ax.twinx()
    ax_ci.stairs(ci, edges, color=COLOURS["grid"], linewidth=2.0, label="grid intensity")
    ax_ci.set_ylabel("grid intensity (gCO2e/kWh)")
    ax_ci.set_ylim(0, max(float(ci.max()), 1e-9) * HEADROOM)
    ax_ci.spines[["top"]].set_visible(False)
    handles, labels = ax.get_legend_handles_labels()
    h2, l2 = ax_ci.get_legend_handles_labels()
    handles, labels = handles + h2, labels + l2

    off = _table(results, "offline")
    if not off.empty and (off["year"] == yr).any():
        per_slot = (
            off[off["year"] == yr]
            .groupby("slot")["tokens_per_day"]
            .sum()
            .reindex(p["slot"].to_numpy(), fill_value=0.0)
        )
        # tokens_per_day counts the slot's tokens per day; per second of the slot:
        tok_s = per_slot.to_numpy(dtype=float) / (width * 3600.0)
        ax_off = ax.twinx()
        ax_off.spines["right"].set_position(("axes", 1.14))
        ax_off.spines[["top"]].set_visible(False)
        ax_off.stairs(
            tok_s,
            edges,
            color=COLOURS["offline"],
            linewidth=2.0,
            linestyle="--",
            label="offline throughput",
        )
        ax_off.set_ylabel("offline throughput (tokens/s)", color=COLOURS["offline"])
        ax_off.tick_params(axis="y", colors=COLOURS["offline"])
        ax_off.set_ylim(0, max(float(tok_s.max()), 1e-9) * HEADROOM)
        h3, l3 = ax_off.get_legend_handles_labels()
        handles, labels = handles + h3, labels + l3
    ax.legend(
        handles,
        labels,
        loc="upper left",
        ncols=min(len(labels), 4),
        frameon=False,
        fontsize=8.5,
    )
    ax.set_title(kw.get("title", "IT power and grid intensity over the day"), loc="left")
    return fig


__all__ = ["carbon_breakdown", "fleet_counts", "fleet_mix", "power_profile"]
