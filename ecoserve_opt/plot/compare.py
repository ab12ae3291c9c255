"""Plots of a design-point comparison (the table of :func:`ecoserve_opt.compare.compare`).

* :func:`plot_design_points`: carbon of every design point (operational + embodied), with
  EcoServe's reduction against each baseline;
* :func:`plot_pillar_contributions`: what each 4R pillar saves on its own against the
  carbon-optimised design with no pillar, and what all of them save together (EcoServe).

Both read only the comparison table (a DataFrame, or a CSV written by
``ecoserve compare --out``), never the model.

>>> from ecoserve_opt.compare import compare  # doctest: +SKIP
>>> plot_design_points(compare(loaded)).savefig("design_points.svg")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ecoserve_opt.plot.fleet import COLOURS, _axes, _mass_scale
from ecoserve_opt.plot.palette import ECOSERVE as ECOSERVE_COLOUR
from ecoserve_opt.plot.palette import SAVING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

GROUP_ORDER = ("baseline", "ablation", "ecoserve")
NO_PILLARS = "carbon, no pillars"
ECOSERVE = "EcoServe"
SOLVED = ("optimal", "feasible")


def _table(table: pd.DataFrame | str | Path) -> pd.DataFrame:
    df = table if isinstance(table, pd.DataFrame) else pd.read_csv(table)
    missing = {"design_point", "carbon_kg"} - set(df.columns)
    if missing:
        raise ValueError(f"not a comparison table: missing columns {sorted(missing)}")
    return df


def _solved(df: pd.DataFrame) -> pd.DataFrame:
    ok = df["status"].isin(SOLVED) if "status" in df.columns else pd.Series(True, df.index)
    return df[ok & df["carbon_kg"].notna()]


def _empty(fig: Figure, ax: Axes, text: str) -> Figure:
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    return fig


def plot_design_points(
    table: pd.DataFrame | str | Path,
    ax: Axes | None = None,
    groups: tuple[str, ...] = GROUP_ORDER,
    **kw: Any,
) -> Figure:
    """Horizontal stacked bars: operational + embodied carbon of each design point.

    Points are ordered baselines, ablation, EcoServe (``groups`` selects and orders them);
    each bar is labelled with its total and, when EcoServe solved, how much lower
    EcoServe's carbon is (``ecoserve_reduction``). Points not solved are listed with their
    status. A ``feasible`` (time-limited) point is marked ``*``. Keyword ``title`` replaces
    the default title.
    """
    df = _table(table)
    if "group" in df.columns:
        df = df[df["group"].isin(groups)].copy()
        df["_g"] = df["group"].map({g: i for i, g in enumerate(groups)})
        df = df.sort_values("_g", kind="stable")
    n = len(df)
    fig, ax = _axes(ax, (7.6, max(2.4, 0.9 + 0.36 * n)))
    solved = _solved(df)
    if solved.empty:
        return _empty(fig, ax, "no solved design point")
    oper = df.get("operational_kg", pd.Series(np.nan, df.index)).to_numpy(dtype=float)
    emb = df.get("embodied_kg", pd.Series(np.nan, df.index)).to_numpy(dtype=float)
    total = df["carbon_kg"].to_numpy(dtype=float)
    scale, unit = _mass_scale(total[np.isfinite(total)])
    y = np.arange(n)[::-1]
    ok = np.isfinite(total)
    is_eco = (df["design_point"] == ECOSERVE).to_numpy()
    edge = ["#111111" if e else "white" for e in is_eco]
    ax.barh(
        y[ok],
        np.nan_to_num(oper[ok]) / scale,
        color=COLOURS["operational"],
        edgecolor=[c for c, k in zip(edge, ok, strict=True) if k],
        height=0.66,
        label="operational",
    )
    ax.barh(
        y[ok],
        np.nan_to_num(emb[ok]) / scale,
        left=np.nan_to_num(oper[ok]) / scale,
        color=COLOURS["embodied"],
        edgecolor=[c for c, k in zip(edge, ok, strict=True) if k],
        height=0.66,
        label="embodied (amortised)",
    )
    reduction = df.get("ecoserve_reduction", pd.Series(np.nan, df.index)).to_numpy(dtype=float)
    status = df.get("status", pd.Series("optimal", df.index)).astype(str).to_numpy()
    biggest = float(np.nanmax(total)) / scale
    for yi, t, r, st, eco in zip(y, total, reduction, status, is_eco, strict=True):
        if not np.isfinite(t):
            ax.annotate(
                st, (0, yi), xytext=(4, 0), textcoords="offset points", va="center", fontsize=8.5
            )
            continue
        text = f"{t / scale:,.3g}" + ("*" if st == "feasible" else "")
        if np.isfinite(r) and not eco and abs(r) > 5e-4:
            text += f"   EcoServe {abs(r):.0%} {'lower' if r > 0 else 'higher'}"
        ax.annotate(
            text,
            (t / scale, yi),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=8.5,
            fontweight="bold" if eco else "normal",
        )
    ax.set_yticks(y, [str(v) for v in df["design_point"]])
    ax.set_xlim(0, biggest * 1.45)
    ax.set_xlabel(f"carbon over the horizon ({unit})")
    if "group" in df.columns:  # light separators between groups
        g = df["group"].to_numpy()
        for i in range(1, n):
            if g[i] != g[i - 1]:
                ax.axhline(y[i] + 0.5, color="#bbbbbb", linewidth=0.8, linestyle=":")
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, fontsize=8.5, loc="lower right")
    note = " (* not proven optimal)" if (status == "feasible").any() else ""
    ax.set_title(kw.get("title", f"Carbon by design point{note}"), loc="left")
    return fig


def pillar_savings(table: pd.DataFrame | str | Path) -> pd.DataFrame:
    """Carbon saved by each pillar alone, and by all together, vs no pillar at all.

    Rows ``carbon + <pillar>`` of the ablation and ``EcoServe``, each compared with
    ``carbon, no pillars``. Columns: ``pillar``, ``carbon_kg``, ``saving_kg``,
    ``saving_share`` (of the no-pillar carbon). Empty when the no-pillar point is missing.
    """
    df = _solved(_table(table))
    cols = ["pillar", "carbon_kg", "saving_kg", "saving_share"]
    base = df.loc[df["design_point"] == NO_PILLARS, "carbon_kg"]
    if base.empty:
        return pd.DataFrame(columns=cols)
    b = float(base.iloc[0])
    rows = []
    for _, r in df.iterrows():
        name = str(r["design_point"])
        if name.startswith("carbon + "):
            label = name.removeprefix("carbon + ")
        elif name == ECOSERVE:
            label = "all pillars (EcoServe)"
        else:
            continue
        c = float(r["carbon_kg"])
        rows.append(
            {
                "pillar": label,
                "carbon_kg": c,
                "saving_kg": b - c,
                "saving_share": (b - c) / b if b > 0 else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=cols)


def plot_pillar_contributions(
    table: pd.DataFrame | str | Path, ax: Axes | None = None, **kw: Any
) -> Figure:
    """Horizontal bars: carbon saved by each pillar switched on alone, and by all of them
    (EcoServe), against the carbon-optimised design with no pillar (data from
    :func:`pillar_savings`). Savings of separate pillars need not add up: they overlap.
    Keyword ``title`` replaces the default title."""
    s = pillar_savings(table)
    fig, ax = _axes(ax, (7.0, max(2.4, 0.9 + 0.42 * len(s))))
    if s.empty:
        return _empty(fig, ax, f"no '{NO_PILLARS}' point to compare against")
    y = np.arange(len(s))[::-1]
    saving = s["saving_kg"].to_numpy(dtype=float)
    scale, unit = _mass_scale(saving)
    is_all = s["pillar"].str.startswith("all").to_numpy()
    colours = [ECOSERVE_COLOUR if a else SAVING for a in is_all]
    ax.barh(y, saving / scale, color=colours, height=0.62)
    for yi, v, share in zip(y, saving, s["saving_share"], strict=True):
        ax.annotate(
            f"{v / scale:,.3g} {unit} ({share:.0%})",
            (max(v / scale, 0.0), yi),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=8.5,
        )
    ax.axvline(0, color="#444444", linewidth=0.8)
    ax.set_yticks(y, list(s["pillar"]))
    lo = min(float(saving.min()) / scale, 0.0)
    hi = max(float(saving.max()) / scale, 1e-9)
    ax.set_xlim(lo * 1.2, hi * 1.5)
    ax.set_xlabel(f"carbon saved vs '{NO_PILLARS}' ({unit})")
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(kw.get("title", "What each 4R pillar saves on its own"), loc="left")
    return fig


__all__ = ["pillar_savings", "plot_design_points", "plot_pillar_contributions"]
