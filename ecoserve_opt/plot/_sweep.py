"""Shared helpers of the sweep/Pareto plots (tables only: plotting never touches Pyomo)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ecoserve_opt.exceptions import EcoserveError
from ecoserve_opt.studies.store import SweepResults

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def as_results(results: SweepResults | pd.DataFrame) -> SweepResults:
    """Accept a SweepResults or its tidy DataFrame."""
    if isinstance(results, SweepResults):
        return results
    if isinstance(results, pd.DataFrame):
        return SweepResults(results)
    raise TypeError(f"expected SweepResults or DataFrame, got {type(results).__name__}")


def new_axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    """The figure of ``ax``, or a new constrained-layout figure with one axes."""
    if ax is not None:
        return root_figure(ax), ax
    import matplotlib.pyplot as plt

    fig, new = plt.subplots(figsize=size, layout="constrained")
    return fig, new


def root_figure(ax: Axes) -> Figure:
    """The top-level Figure of ``ax`` (climbing out of SubFigures)."""
    fig: Any = ax.figure
    while getattr(fig, "figure", fig) is not fig:
        fig = fig.figure
    return fig  # type: ignore[no-any-return]


def mass_scale(biggest: float) -> tuple[float, str]:
    """Divide by 1000 and say tCO2e when values reach 10 t."""
    return (1000.0, "tCO2e") if biggest >= 1e4 else (1.0, "kgCO2e")


def empty(fig: Figure, ax: Axes, text: str) -> Figure:
    """A figure saying there is nothing to draw."""
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    return fig


def save_figure(fig: Figure, path: str | Path, dpi: int = 150) -> Path:
    """Save ``fig`` as PNG, SVG or PDF (by the file suffix), atomically; returns the path."""
    import io

    from ecoserve_opt.io.atomic import atomic_write_bytes

    p = Path(path)
    fmt = p.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg", "pdf"):
        raise EcoserveError(f"{p}: figure files must end in .png, .svg or .pdf")
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi, bbox_inches="tight")
    atomic_write_bytes(p, buf.getvalue())
    return p
