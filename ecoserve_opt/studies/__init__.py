"""Studies: many solves of one scenario, stored point by point.

- :func:`~ecoserve_opt.studies.sweep.sweep`: sensitivity sweeps over a grid of parameters;
- :func:`~ecoserve_opt.studies.pareto.pareto`: epsilon-constraint Pareto fronts;
- :class:`~ecoserve_opt.studies.store.ResultsStore` / :class:`SweepResults`: the resumable
  results folder and its tidy table.

Layers inside: ``parameters`` (names, values) -> ``store`` (records on disk) -> ``points``
(what to solve, one persistent model per rebuild group) -> ``runner`` (serial or Dask) ->
``sweep`` / ``pareto``. Model changes (parameters, objectives, caps, fleet fixing and the
lexicographic solve) live in :class:`ecoserve_opt.api.Built`, not here.
"""

from __future__ import annotations

from ecoserve_opt.studies.parameters import FAST_PARAMS, canonical_param, is_fast, parse_values
from ecoserve_opt.studies.pareto import BASELINES, baseline_points, cap_values, pareto
from ecoserve_opt.studies.points import (
    PointSolver,
    PointSpec,
    Record,
    SweepSpec,
    grid_points,
    make_point,
    make_spec,
)
from ecoserve_opt.studies.runner import ClientProvider, dask_client, run_points
from ecoserve_opt.studies.store import (
    ResultsStore,
    SweepResults,
    design_signature,
    fleet_mix,
    metric_column,
    metric_label,
    metric_name,
    non_dominated,
)
from ecoserve_opt.studies.sweep import sweep

__all__ = [
    "BASELINES",
    "FAST_PARAMS",
    "ClientProvider",
    "PointSolver",
    "PointSpec",
    "Record",
    "ResultsStore",
    "SweepResults",
    "SweepSpec",
    "baseline_points",
    "canonical_param",
    "cap_values",
    "dask_client",
    "design_signature",
    "fleet_mix",
    "grid_points",
    "is_fast",
    "make_point",
    "make_spec",
    "metric_column",
    "metric_label",
    "metric_name",
    "non_dominated",
    "parse_values",
    "pareto",
    "run_points",
    "sweep",
]
