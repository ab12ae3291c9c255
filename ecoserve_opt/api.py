"""Public API: load a scenario, build the model, solve it, get :class:`Results`.

>>> from ecoserve_opt import load_scenario, solve   # doctest: +SKIP
>>> res = solve(load_scenario("scenarios/default.yaml"))   # doctest: +SKIP
>>> res.metrics["carbon_kg"]   # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyomo.core as pyo

from ecoserve_opt._version import __version__
from ecoserve_opt.checks import run_checks
from ecoserve_opt.data import ModelData, build_data
from ecoserve_opt.formulation import build_model
from ecoserve_opt.formulation import objectives as obj
from ecoserve_opt.grid import trend_factor
from ecoserve_opt.io.yaml_loader import LoadedScenario, load_scenario
from ecoserve_opt.results import Results, extract
from ecoserve_opt.solve import SolveOptions, SolveOutcome, Solver, Status
from ecoserve_opt.vocabulary import PARAMETERS, parameter_value

log = logging.getLogger(__name__)

#: Study parameters that change a mutable Param of the built model (no rebuild), with the
#: unit of their values (:mod:`ecoserve_opt.vocabulary`; grid intensity in gCO2e/kWh).
MODEL_PARAMETERS = {name: p.unit for name, p in PARAMETERS.items()}


def scenario_hash(loaded: LoadedScenario) -> str:
    """Stable hash of the validated scenario (after includes and overrides)."""
    payload = json.dumps(loaded.scenario.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def solve_options(loaded: LoadedScenario, **override: Any) -> SolveOptions:
    """SolveOptions from the scenario's ``solver:`` block, with keyword overrides."""
    s = loaded.scenario.solver
    base: dict[str, Any] = {
        "mip_rel_gap": s.mip_rel_gap,
        "time_limit": s.time_limit_s,
        "threads": s.threads,
        "seed": s.seed,
        "highs_options": dict(s.highs_options),
        "mip_start": s.mip_start,
        "cutoff_bounds": s.cutoff_bounds,
    }
    base.update({k: v for k, v in override.items() if v is not None})
    return SolveOptions(**base)


@dataclass
class Built:
    """A built model with its data and a persistent solver (re-solvable after changes)."""

    loaded: LoadedScenario
    data: ModelData
    model: pyo.ConcreteModel
    options: SolveOptions
    objective: str
    timings: dict[str, float] = field(default_factory=dict)
    updates: dict[str, float] = field(default_factory=dict)
    _solver: Solver | None = None
    latency_min: float | None = None

    @property
    def solver(self) -> Solver:
        """The persistent HiGHS solver bound to this model."""
        if self._solver is None:
            self._solver = Solver(self.options)
        return self._solver

    def set(
        self,
        *,
        grid_intensity: float | str | None = None,
        pue: float | None = None,
        electricity_price: float | str | None = None,
        demand_scale: float | None = None,
        embodied_scale: float | None = None,
    ) -> Built:
        """Change parameters of the built model in place (no rebuild); returns ``self``.

        The next :meth:`solve` re-solves the same model, warm-started, as sweeps do. Only the
        given arguments change; the others keep their current value.

        * ``grid_intensity``: the first year's mean grid intensity, a number in gCO2e/kWh
          (as in sweeps: ``420``) or a quantity (``"0.42 kgCO2e/kWh"``). The hourly shape
          and the yearly trend of the scenario are kept (the whole profile is scaled).
        * ``pue`` (>= 1), ``electricity_price`` (USD/kWh or ``"80 USD/MWh"``),
          ``demand_scale`` (multiplies every token rate) and ``embodied_scale`` (multiplies
          embodied carbon), all >= 0.

        The values set are recorded in ``Results.meta["updates"]`` (the scenario hash
        still names the scenario as loaded).

        >>> built = build("scenarios/default.yaml")   # doctest: +SKIP
        >>> res = built.set(grid_intensity=50, pue=1.1).solve()   # doctest: +SKIP
        """
        from ecoserve_opt.exceptions import EcoserveError

        m = self.model
        if grid_intensity is not None:
            g = parameter_value("grid_intensity", grid_intensity)
            if g < 0:
                raise EcoserveError(f"grid_intensity: must be >= 0 gCO2e/kWh, got {g:g}")
            self.set_grid_intensity(g / 1000.0)
            self.updates["grid_intensity"] = g
        if pue is not None:
            if float(pue) < 1.0:
                raise EcoserveError(f"pue: must be >= 1, got {pue}")
            m.pue.set_value(float(pue))
            self.updates["pue"] = float(pue)
        if electricity_price is not None:
            price = parameter_value("prices.electricity", electricity_price)
            if price < 0:
                raise EcoserveError(f"electricity_price: must be >= 0 USD/kWh, got {price:g}")
            m.price.set_value(price)
            self.updates["electricity_price"] = price
        for name, value in (("demand_scale", demand_scale), ("embodied_scale", embodied_scale)):
            if value is None:
                continue
            if float(value) < 0:
                raise EcoserveError(f"{name}: must be >= 0, got {value}")
            getattr(m, name).set_value(float(value))
            self.updates[name] = float(value)
        return self

    def set_objective(self, objective: str) -> None:
        """Make ``objective`` the active one.

        Objectives: carbon, energy, cost, performance (alias latency) and gpu_hours;
        ``performance`` solves lexicographically (latency, then cost).
        """
        obj.set_objective(self.model, objective)
        self.objective = objective

    # ---- parameters (mutable Params: no rebuild) ------------------------------------------
    @property
    def base_intensity(self) -> float:
        """The scenario's year-1 mean grid intensity (kgCO2e/kWh) that ``ci_scale`` scales."""
        d = self.data
        vals = [d.ci[(d.years[0], s)] for s in d.slots]
        return float(sum(vals) / len(vals))

    def set_grid_intensity(self, kg_per_kwh: float | None) -> None:
        """Set the first year's mean grid intensity to ``kg_per_kwh`` kgCO2e/kWh.

        ``None`` restores the scenario's own intensity.
        Uses ``m.ci_scale`` (keeps the hourly shape and yearly trend); a scenario whose own
        intensity is 0 has no shape to scale, so its per-slot ``m.ci`` is set flat (with the
        scenario's yearly trend) instead.
        """
        m, d = self.model, self.data
        base = self.base_intensity
        if kg_per_kwh is None:
            m.ci_scale.set_value(1.0)
            if base <= 0:
                for (y, s), v in d.ci.items():
                    m.ci[y, s].set_value(v)
            return
        target = float(kg_per_kwh)
        if base > 0:
            m.ci_scale.set_value(target / base)
            return
        trend = self.loaded.scenario.grid.trend_per_year
        m.ci_scale.set_value(1.0)
        for y, s in d.ci:
            m.ci[y, s].set_value(target * trend_factor(trend, y - d.years[0]))

    def set_parameters(self, values: Mapping[str, Any]) -> None:
        """Set every study parameter: ``values`` where given, the scenario's own elsewhere.

        Keys are :data:`MODEL_PARAMETERS` (values in the vocabulary's units: grid intensity
        in gCO2e/kWh) and ``cap.<metric>``
        (an epsilon cap, relaxed by :data:`~ecoserve_opt.formulation.objectives.CAP_REL_SLACK`
        against round-off; absent caps are removed).
        """
        unknown = [k for k in values if k not in MODEL_PARAMETERS and not k.startswith("cap.")]
        if unknown:
            raise ValueError(f"not a model parameter: {', '.join(unknown)}")
        m, d = self.model, self.data
        g = values.get("grid_intensity")
        self.set_grid_intensity(
            None if g is None else float(g) * PARAMETERS["grid_intensity"].to_model
        )
        m.pue.set_value(float(values.get("pue", d.pue)))
        m.price.set_value(float(values.get("prices.electricity", d.electricity_usd_per_kwh)))
        m.demand_scale.set_value(float(values.get("demand_scale", 1.0)))
        m.embodied_scale.set_value(float(values.get("embodied_scale", 1.0)))
        for metric in obj.METRICS:
            cap = values.get(f"cap.{metric}")
            obj.set_cap(m, metric, None if cap is None else obj.study_cap(cap))

    # ---- fleet --------------------------------------------------------------------------
    def fix_fleet(self) -> list[Any]:
        """Fix the integer fleet variables at their current values; returns them."""
        return obj.fix_fleet(self.model)

    def unfix_fleet(self, variables: Sequence[Any]) -> None:
        """Undo :meth:`fix_fleet`."""
        obj.unfix(variables)

    # ---- solving ------------------------------------------------------------------------
    def solve(self, warm_start: bool = True, secondary: str | None = None) -> Results:
        """Solve (re-solve) the active objective and extract results.

        With ``secondary`` the solve is lexicographic: minimise the objective, then minimise
        ``secondary`` with the objective capped at its optimum (within
        :data:`~ecoserve_opt.formulation.objectives.LEX_REL_TOL`). ``performance`` without a
        secondary is solved in two stages: the minimum mean latency ``L*`` first, then
        the minimum cost among designs with latency at most ``(1 + tau) L*``, ``tau`` =
        the scenario's ``latency_tolerance`` (at least LEX_REL_TOL). The
        result is optimal only if both stages are.
        """
        rel_tol = obj.LEX_REL_TOL
        if secondary is None and self.objective == "performance":
            secondary = "cost"
            rel_tol = self.loaded.scenario.latency_tolerance
        m = self.model
        obj.set_objective(m, self.objective)
        t0 = time.perf_counter()
        self.latency_min = None
        out = self.solver.solve(m, warm_start=warm_start)
        if secondary is not None and out.status.has_solution and out.objective is not None:
            metric = obj.objective_metric(self.objective)
            if metric == "latency":
                self.latency_min = out.objective
            previous = obj.get_cap(m, metric)
            obj.set_cap(m, metric, obj.lexicographic_cap(out.objective, rel_tol))
            obj.set_objective(m, secondary)
            try:
                second = self.solver.solve(m, warm_start=True)
            finally:
                obj.set_cap(m, metric, previous)
                obj.set_objective(m, self.objective)
            if second.status.has_solution:
                out = _combine(out, second)
        self.timings["solve_s"] = time.perf_counter() - t0
        return self.results(out)

    def results(self, outcome: SolveOutcome) -> Results:
        """Extract :class:`Results` for the last solve."""
        meta = {
            "scenario": self.loaded.scenario.name,
            "scenario_file": str(self.loaded.path) if self.loaded.path else None,
            "scenario_hash": scenario_hash(self.loaded),
            "applied_overrides": list(self.loaded.applied),
            # the validated scenario (canonical units), so a results folder can be replayed
            # (``ecoserve simulate``) without the original file and its overrides
            "scenario_spec": self.loaded.scenario.model_dump(mode="json", exclude={"solver"}),
            "catalog_dir": str(self.data.catalog_path),
            "objective": self.objective,
            "pillars": self.loaded.scenario.pillars.model_dump(),
            "embodied_source": self.loaded.scenario.embodied_source,
            "host_embodied_method": self.loaded.scenario.host_embodied_method,
            "grid_source": self.data.ci_source,
            "ecoserve_opt": __version__,
            "pyomo": _pyomo_version(),
            "python": platform.python_version(),
            "mip_rel_gap": self.options.mip_rel_gap,
            "time_limit_s": self.options.time_limit,
            "threads": self.options.threads,
            "timings": dict(self.timings),
            "n_variables": self.model.nvariables(),
            "n_constraints": self.model.nconstraints(),
            "resolved_scenario": self.loaded.scenario.model_dump(mode="json"),
        }
        if outcome.start_time_s is not None:  # solver.mip_start: heuristic
            meta["mip_start"] = {
                "objective": outcome.start_objective,
                "seconds": round(outcome.start_time_s, 3),
                **(outcome.start_info or {}),
            }
        if self.updates:
            meta["updates"] = dict(self.updates)
        if self.objective == "performance":
            meta["latency_tolerance"] = self.loaded.scenario.latency_tolerance
            meta["latency_min_s_per_token"] = self.latency_min
        return extract(self.model, self.data, outcome, meta)


def build(
    loaded: LoadedScenario | str | Path,
    objective: str | None = None,
    extra_constraints: Callable[[pyo.ConcreteModel, ModelData], None] | None = None,
    **solver_options: Any,
) -> Built:
    """Validate data, run the pre-solve checks and build the Pyomo model (no solve).

    Raises :class:`~ecoserve_opt.exceptions.ScenarioError` for bad input and
    :class:`~ecoserve_opt.exceptions.InfeasibleError` when a check proves the scenario
    cannot be served (with the culprit named).
    """
    if not isinstance(loaded, LoadedScenario):
        loaded = load_scenario(loaded)
    t0 = time.perf_counter()
    data = build_data(loaded)
    findings = run_checks(data, strict=True)
    for f in findings:
        log.warning("%s", f)
    t1 = time.perf_counter()
    obj = objective or loaded.scenario.objective
    model = build_model(data, objective=obj, extra_constraints=extra_constraints)
    t2 = time.perf_counter()
    return Built(
        loaded=loaded,
        data=data,
        model=model,
        options=solve_options(loaded, **solver_options),
        objective=obj,
        timings={"data_s": t1 - t0, "build_s": t2 - t1},
    )


def solve(
    loaded: LoadedScenario | str | Path,
    objective: str | None = None,
    **solver_options: Any,
) -> Results:
    """Build and solve a scenario.

    An infeasibility found by the solver is reported in ``Results.status``; one proven by the
    pre-solve checks raises InfeasibleError.
    """
    built = build(loaded, objective=objective, **solver_options)
    return built.solve()


__all__ = ["Built", "Results", "Status", "build", "load_scenario", "scenario_hash", "solve"]


def _combine(first: SolveOutcome, second: SolveOutcome) -> SolveOutcome:
    """Outcome of a lexicographic solve.

    The second stage's solution, the worse status, the larger gap and both stages' wall time.
    """
    status = first.status if first.status == Status.FEASIBLE else second.status
    gaps = [g for g in (first.gap, second.gap) if g is not None]
    return SolveOutcome(
        status=status,
        termination=second.termination,
        objective=second.objective,
        bound=second.bound,
        gap=max(gaps) if gaps else None,
        wall_time_s=first.wall_time_s + second.wall_time_s,
        solver_time_s=second.solver_time_s,
        solver=second.solver,
    )


def _pyomo_version() -> str:
    from pyomo.version import version

    return str(version)
