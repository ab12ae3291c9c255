"""Optimal GPU and host lifetimes against grid intensity (Recycle), from a sweep.

For every solved sweep point, the lifetime of the new GPUs and of the new hosts bought
(``fleet`` table of the point, rows ``source == "new"``) is summarised by its count-weighted
mean, with the range (shortest to longest cohort) as a band. Owned items keep their catalog
lifetime and are left out.

>>> from ecoserve_opt.plot.lifetime import plot_lifetime   # doctest: +SKIP
>>> plot_lifetime(SweepResults.load("sweep_out")).savefig("lifetime.png")   # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ecoserve_opt.exceptions import EcoserveError
from ecoserve_opt.plot._sweep import as_results, empty, new_axes
from ecoserve_opt.studies.store import SweepResults
from ecoserve_opt.vocabulary import param_label

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

KINDS = (("gpu", "new GPUs", "#2a7ab9"), ("host", "new hosts", "#d95f02"))


def lifetime_table(results: SweepResults, param: str | None = None) -> pd.DataFrame:
    """Per solved sweep point: ``param`` value and, for ``gpu`` and ``host``, the
    count-weighted mean, shortest and longest lifetime (years) of the new cohorts
    (``<kind>_mean``, ``<kind>_min``, ``<kind>_max``; NaN when none was bought)."""
    res = as_results(results)
    if res.store is None:
        raise EcoserveError("the lifetime plot needs the sweep's results folder (fleet tables)")
    params = res.params
    if param is None:
        param = "grid_intensity" if "grid_intensity" in params else (params[0] if params else "")
    sweep = res.sweep()
    if sweep.empty or param not in sweep.columns:
        return pd.DataFrame(columns=[param or "param"])
    sweep = sweep[sweep["status"].isin(["optimal", "feasible"])]
    rows = []
    for _, r in sweep.iterrows():
        fleet = res.store.read_table(str(r["point_id"]), "fleet")
        row: dict[str, object] = {param: r[param], "status": r["status"]}
        for kind, _label, _c in KINDS:
            new = (
                fleet[(fleet["kind"] == kind) & (fleet["source"] == "new")] if len(fleet) else fleet
            )
            if len(new) and new["count"].sum() > 0:
                w = new["count"].astype(float)
                life = new["lifetime_years"].astype(float)
                row[f"{kind}_mean"] = float((w * life).sum() / w.sum())
                row[f"{kind}_min"] = float(life.min())
                row[f"{kind}_max"] = float(life.max())
            else:
                row[f"{kind}_mean"] = row[f"{kind}_min"] = row[f"{kind}_max"] = float("nan")
        rows.append(row)
    return pd.DataFrame(rows).sort_values(param, kind="mergesort").reset_index(drop=True)


def plot_lifetime(
    results: SweepResults, ax: Axes | None = None, param: str | None = None
) -> Figure:
    """Lifetime of new GPUs and hosts (years) against the swept parameter."""
    fig, axis = new_axes(ax, (6.4, 4.0))
    t = lifetime_table(results, param)
    name = t.columns[0]
    if t.empty:
        return empty(fig, axis, "no solved sweep point")
    x = t[name].astype(float)
    for kind, label, colour in KINDS:
        if t[f"{kind}_mean"].notna().any():
            axis.fill_between(
                x, t[f"{kind}_min"], t[f"{kind}_max"], color=colour, alpha=0.15, linewidth=0
            )
            axis.plot(x, t[f"{kind}_mean"], marker="o", color=colour, label=label)
    limited = t["status"] == "feasible"
    if limited.any():
        axis.plot(
            x[limited],
            t.loc[limited, "gpu_mean"],
            linestyle="none",
            marker="x",
            color="#e6550d",
            label=f"time-limited ({int(limited.sum())})",
        )
    axis.set_xlabel(param_label(name))
    axis.set_ylabel("lifetime (years)")
    axis.set_title("Optimal lifetime of new hardware (mean of cohorts; band: range)")
    axis.grid(alpha=0.3)
    axis.legend(frameon=False)
    return fig
