"""Plotting: pure functions ``(Results | SweepResults, ax=None, **kw) -> matplotlib Figure``.

Sweeps and Pareto fronts (:class:`~ecoserve_opt.studies.store.SweepResults`):
:func:`plot_pareto`, :func:`plot_sensitivity`, :func:`plot_breakdown`; :func:`save_figure`
writes PNG or SVG. One design (:class:`~ecoserve_opt.results.Results`): see
:mod:`ecoserve_opt.plot.fleet`.
"""

from __future__ import annotations

from ecoserve_opt.plot._sweep import save_figure
from ecoserve_opt.plot.breakdown import plot_breakdown
from ecoserve_opt.plot.pareto import plot_pareto
from ecoserve_opt.plot.sensitivity import plot_sensitivity

__all__ = ["plot_breakdown", "plot_pareto", "plot_sensitivity", "save_figure"]
