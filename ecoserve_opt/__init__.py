"""ecoserve-opt: carbon-aware LLM inference fleet design (EcoServe's 4R as a MILP)."""

from __future__ import annotations

__version__ = "0.1.0"

from ecoserve_opt.api import Built, build, scenario_hash, solve  # noqa: E402
from ecoserve_opt.io.yaml_loader import load_scenario  # noqa: E402
from ecoserve_opt.pareto import pareto  # noqa: E402
from ecoserve_opt.results import Results  # noqa: E402
from ecoserve_opt.solve import SolveOptions, Status  # noqa: E402
from ecoserve_opt.store import SweepResults  # noqa: E402
from ecoserve_opt.sweep import sweep  # noqa: E402

__all__ = [
    "Built",
    "Results",
    "SolveOptions",
    "Status",
    "SweepResults",
    "__version__",
    "build",
    "load_scenario",
    "scenario_hash",
    "pareto",
    "solve",
    "sweep",
]
