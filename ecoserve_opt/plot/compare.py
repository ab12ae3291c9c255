"""Plots of a design-point comparison (the table of :func:`ecoserve_opt.compare.compare`).

* :func:`plot_design_points`: carbon of every design (operational + embodied), grouped by
  family (conventional, same-design-space, leave-one-out, add-one), with EcoServe's
  reduction against each;
* :func:`plot_pillar_contributions`: what each pillar saves, added alone to the
  conventional carbon-optimised design and left out of EcoServe; effects within the MIP
  gap are drawn hatched and labelled so.

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

GROUP_ORDER = ("conventional", "same-design-space", "leave-one-out", "add-one")
ECOSERVE = "EcoServe"
SOLVED = ("optimal", "feasible")


def _table(table: pd.DataFrame | str | Path) -> pd.DataFrame:
    df = table if isinstance(table, pd.DataFrame) else pd.read_csv(table)
    missing = {"design", "family", "carbon_kg"} - set(df.columns)
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
    """Horizontal stacked bars: operational + embodied carbon of each design.

    Designs are ordered by family (``groups`` selects and orders the families);
    each bar is labelled with its total and, when EcoServe solved, how much lower
    EcoServe's carbon is (``ecoserve_reduction``). Points not solved are listed with their
    status. A ``feasible`` (time-limited) point is marked ``*``. Keyword ``title`` replaces
    the default title.
    """
    df = _table(table)
    df = df[df["family"].isin(groups)].copy()
    df["_g"] = df["family"].map({g: i for i, g in enumerate(groups)})
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
    is_eco = (df["design"] == ECOSERVE).to_numpy()
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
    ax.set_yticks(y, [str(v) for v in df["design"]])
    ax.set_xlim(0, biggest * 1.45)
    ax.set_xlabel(f"carbon over the horizon ({unit})")
    if n:  # light separators between families
        g = df["family"].to_numpy()
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
    """Per pillar: carbon saved when added alone to the conventional carbon-optimised design
    (``add_one_kg``) and when left out of EcoServe (``leave_one_out_kg``), with shares and
    within-gap flags (:func:`ecoserve_opt.compare.pillar_effects`)."""
    from ecoserve_opt.compare import pillar_effects

    return pillar_effects(_table(table))


def plot_pillar_contributions(
    table: pd.DataFrame | str | Path, ax: Axes | None = None, **kw: Any
) -> Figure:
    """Paired horizontal bars per pillar: carbon saved when it is added alone to the
    conventional carbon-optimised design, and what EcoServe loses without it (data from
    :func:`pillar_savings`). A saving within the MIP gap is hatched and labelled
    "within gap": it is not a significant effect. Keyword ``title`` replaces the default."""
    s = pillar_savings(table)
    fig, ax = _axes(ax, (7.0, max(2.4, 0.9 + 0.62 * len(s))))
    if s.empty:
        return _empty(fig, ax, "no pillar-effect designs (run compare with the ablation)")
    y = np.arange(len(s))[::-1].astype(float)
    kinds = (
        ("add_one", "added alone to conventional", SAVING, 0.2),
        ("leave_one_out", "left out of EcoServe", ECOSERVE_COLOUR, -0.2),
    )
    vals = np.concatenate([s[f"{k}_kg"].to_numpy(dtype=float) for k, *_ in kinds])
    scale, unit = _mass_scale(np.nan_to_num(vals))
    for key, label, colour, dy in kinds:
        kg = s[f"{key}_kg"].to_numpy(dtype=float)
        share = s[f"{key}_share"].to_numpy(dtype=float)
        noise = s[f"{key}_within_gap"].fillna(False).astype(bool).to_numpy()
        ok = np.isfinite(kg)
        bars = ax.barh(
            y[ok] + dy, kg[ok] / scale, height=0.38, color=colour, alpha=0.85, label=label
        )
        for bar, n_ in zip(bars, noise[ok], strict=True):
            if n_:
                bar.set_hatch("///")
                bar.set_alpha(0.35)
        for yi, v, sh, n_ in zip(y[ok] + dy, kg[ok], share[ok], noise[ok], strict=True):
            note = " (within gap)" if n_ else ""
            ax.annotate(
                f"{v / scale:,.3g} {unit} ({sh:.1%}){note}",
                (max(v / scale, 0.0), yi),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
            )
    ax.axvline(0, color="#444444", linewidth=0.8)
    ax.set_yticks(y, list(s["pillar"]))
    finite = vals[np.isfinite(vals)] / scale
    lo = min(float(finite.min()), 0.0) if finite.size else 0.0
    hi = max(float(finite.max()), 1e-9) if finite.size else 1.0
    ax.set_xlim(lo * 1.2, hi * 1.7)
    ax.set_xlabel(f"carbon saved by the pillar ({unit})")
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, fontsize=8.5, loc="lower right")
    ax.set_title(kw.get("title", "What each pillar saves"), loc="left")
    return fig


__all__ = ["pillar_savings", "plot_design_points", "plot_pillar_contributions"]
