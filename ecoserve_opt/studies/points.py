"""Points of a study (sweep or Pareto front) and the solver that works through them.

A :class:`PointSpec` says what to change (rebuild overrides, model parameters, caps) and
what to minimise; :class:`PointSolver` keeps one built model per rebuild group and solves
points one after the other on it (Param updates and warm starts, no rebuild).
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from ecoserve_opt.api import Built, build, scenario_hash
from ecoserve_opt.exceptions import EcoserveError, InfeasibleError, ScenarioError
from ecoserve_opt.formulation.objectives import canonical_objective
from ecoserve_opt.io.yaml_loader import (
    LoadedScenario,
    load_scenario,
    set_dot_path,
    validate_dict,
)
from ecoserve_opt.results import Results
from ecoserve_opt.solve import Status
from ecoserve_opt.studies.parameters import canonical_param, is_fast, parse_values
from ecoserve_opt.studies.store import design_signature, point_id, point_row

__all__ = [
    "PointSolver",
    "PointSpec",
    "Record",
    "SweepSpec",
    "grid_points",
    "make_point",
    "make_spec",
]

#: One solved point as the store keeps it: (row, tables, metadata).
Record = tuple[dict[str, Any], dict[str, pd.DataFrame], dict[str, Any]]
#: Table columns that describe a point's role, not a parameter.
_META_KEYS = ("role", "cap_metric", "cap_value")


@dataclass(frozen=True)
class PointSpec:
    """One point to solve: table parameters, how to apply them, objective(s)."""

    point_id: str
    kind: str  # sweep | anchor | front | baseline
    params: dict[str, Any]
    rebuild: tuple[tuple[str, Any], ...] = ()
    fast: tuple[tuple[str, Any], ...] = ()
    objective: str = "carbon"
    secondary: str | None = None  # lexicographic tie-break: min secondary, primary at optimum


@dataclass(frozen=True)
class SweepSpec:
    """What every point shares: the scenario, solver settings, fixed-fleet mode."""

    loaded: LoadedScenario
    scenario_hash: str
    solver_options: dict[str, Any] = field(default_factory=dict)
    fix_fleet: bool = False
    objective: str = "carbon"  # of the fixed-fleet base design
    warm_start: bool = True  # False: every point a cold solve (no design drift)

    @property
    def key(self) -> str:
        """Identity of the models this spec builds (worker cache key)."""
        payload = json.dumps(
            [
                self.scenario_hash,
                self.solver_options,
                self.fix_fleet,
                self.objective,
                str(self.loaded.path),
                self.warm_start,
            ],
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def make_spec(
    scenario: LoadedScenario | str | Path,
    fix_fleet: bool = False,
    solver_options: Mapping[str, Any] | None = None,
    objective: str | None = None,
    warm_start: bool = True,
) -> SweepSpec:
    """The shared part of a study (absolute scenario path, hash, solver options)."""
    loaded = scenario if isinstance(scenario, LoadedScenario) else load_scenario(scenario)
    if loaded.path is not None and not loaded.path.is_absolute():
        loaded = replace(loaded, path=loaded.path.resolve())
    opts = {k: v for k, v in (solver_options or {}).items() if v is not None}
    obj = objective or loaded.scenario.objective
    canonical_objective(obj)  # unknown objectives fail before any solve
    return SweepSpec(loaded, scenario_hash(loaded), opts, fix_fleet, obj, warm_start)


def make_point(
    spec: SweepSpec,
    kind: str,
    params: Mapping[str, Any],
    objective: str,
    secondary: str | None = None,
    fast: Mapping[str, Any] | None = None,
) -> PointSpec:
    """A point whose Param/rebuild split follows the parameter names in ``params``.

    ``fast`` adds Param settings that are not table columns (e.g. ``cap.carbon``).
    """
    rebuild = tuple((k, v) for k, v in params.items() if not is_fast(k) and k not in _META_KEYS)
    fast_items = {k: v for k, v in params.items() if is_fast(k)}
    fast_items.update(fast or {})
    definition = {
        "kind": kind,
        "rebuild": dict(rebuild),
        "fast": fast_items,
        "objective": objective,
        "secondary": secondary,
        "fix_fleet": spec.fix_fleet,
    }
    return PointSpec(
        point_id=point_id(spec.scenario_hash, definition),
        kind=kind,
        params=dict(params),
        rebuild=rebuild,
        fast=tuple(sorted(fast_items.items())),
        objective=objective,
        secondary=secondary,
    )


def _snake(lists: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """Cartesian product in boustrophedon order (neighbours differ in one coordinate)."""
    if not lists:
        return [()]
    rest = _snake(lists[1:])
    out: list[tuple[Any, ...]] = []
    for i, v in enumerate(lists[0]):
        out.extend((v, *r) for r in (rest if i % 2 == 0 else rest[::-1]))
    return out


def grid_points(
    spec: SweepSpec, params: Mapping[str, Sequence[Any]], objective: str
) -> list[PointSpec]:
    """All points of a full grid, rebuild parameters outermost, boustrophedon order."""
    names = [canonical_param(n) for n in params]
    if len(set(names)) != len(names):
        raise EcoserveError("a sweep parameter is given twice")
    if "objective" in names:
        raise EcoserveError("the objective is not a sweep parameter: use --objective")
    values = {canonical_param(n): parse_values(n, v) for n, v in params.items()}
    slow = [n for n in names if not is_fast(n)]
    fast = [n for n in names if is_fast(n)]
    order = slow + fast
    combos = [
        (*s, *f)
        for s in itertools.product(*[values[n] for n in slow])
        for f in _snake([values[n] for n in fast])
    ]
    return [
        make_point(spec, "sweep", dict(zip(order, combo, strict=True)), objective)
        for combo in combos
    ]


def solve_point(
    built: Built, objective: str, secondary: str | None = None, warm_start: bool = True
) -> Results:
    """Minimise ``objective`` on ``built`` (then ``secondary`` with it at its optimum);
    ``warm_start=False`` solves the point from scratch (see :func:`~ecoserve_opt.sweep`)."""
    built.set_objective(objective)
    return built.solve(warm_start=warm_start, secondary=secondary)


class PointSolver:
    """Solves points one after the other, keeping one built model per rebuild group."""

    def __init__(self, spec: SweepSpec) -> None:
        self.spec = spec
        self._key: tuple[tuple[str, Any], ...] | None = None
        self._built: Built | None = None
        self._error: str | None = None
        self._error_status = Status.ERROR
        self._design: str | None = None
        self.builds = 0

    def load(self, rebuild: tuple[tuple[str, Any], ...]) -> LoadedScenario:
        """The scenario with the rebuild overrides applied (validated)."""
        base = self.spec.loaded
        if not rebuild:
            return base
        raw = copy.deepcopy(base.raw)
        for k, v in rebuild:
            set_dot_path(raw, k, v)
        applied = (*base.applied, *[f"{k}={v}" for k, v in rebuild])
        file = str(base.path) if base.path else "<scenario>"
        return validate_dict(raw, file=file, path=base.path, applied=applied)

    def check(self, points: Sequence[PointSpec]) -> None:
        """Validate every distinct rebuild override now, so a typo fails before any solve."""
        seen: set[tuple[tuple[str, Any], ...]] = set()
        for p in points:
            if p.rebuild and p.rebuild not in seen:
                seen.add(p.rebuild)
                try:
                    self.load(p.rebuild)
                except ScenarioError as exc:
                    raise EcoserveError(f"sweep parameter {exc.path or ''}: {exc.reason}") from None

    def built_for(self, rebuild: tuple[tuple[str, Any], ...]) -> tuple[Built | None, bool]:
        """The model of a rebuild group (built on first use); ``(built, fresh)``."""
        if self._key == rebuild and (self._built is not None or self._error is not None):
            return self._built, False
        self._key, self._built, self._error, self._design = rebuild, None, None, None
        try:
            built = build(self.load(rebuild), **self.spec.solver_options)
        except EcoserveError as exc:
            if not rebuild:
                raise
            self._error = str(exc)
            infeasible = isinstance(exc, InfeasibleError)
            self._error_status = Status.INFEASIBLE if infeasible else Status.ERROR
            return None, True
        self.builds += 1
        if self.spec.fix_fleet:
            built.set_parameters({})
            res = solve_point(built, self.spec.objective)
            if not res.status.has_solution:
                self._error = f"fix_fleet: the base design has no solution ({res.status.value})"
                self._error_status = res.status
                return None, True
            self._design = design_signature(res)
            built.fix_fleet()
        self._built = built
        return built, True

    def solve(self, p: PointSpec) -> Record:
        """Solve one point and return its record (row, tables, metadata)."""
        t0 = time.perf_counter()
        built, fresh = self.built_for(p.rebuild)
        fast = dict(p.fast)
        if built is None:
            res = Results(
                self.spec.loaded.scenario.name,
                p.objective,
                self._error_status,
                pd.Series({"wall_time_s": 0.0}),
                {},
                {"termination": "build_failed"},
            )
        else:
            built.set_parameters(fast)
            res = solve_point(built, p.objective, p.secondary, self.spec.warm_start)
        wall = time.perf_counter() - t0
        mode = "rebuild" if fresh else "param update (warm start)"
        if not fresh and not self.spec.warm_start:
            mode = "param update (cold)"
        extra = {
            "kind": p.kind,
            "objective": p.objective,
            "secondary": p.secondary,
            "scenario_hash": self.spec.scenario_hash,
            "fixed_fleet": self._design if self.spec.fix_fleet else None,
            "mode": mode,
            "solve_wall_time_s": wall,
        }
        row = point_row(p.point_id, res, p.params, extra)
        tables = {
            name: res.tables.get(name, pd.DataFrame()).reset_index(drop=True)
            for name in ("fleet", "replicas")
        }
        meta = {
            "point_id": p.point_id,
            "kind": p.kind,
            "params": p.params,
            "rebuild": dict(p.rebuild),
            "fast": fast,
            "objective": p.objective,
            "secondary": p.secondary,
            "fix_fleet": self.spec.fix_fleet,
            "fixed_design": self._design,
            "scenario": self.spec.loaded.scenario.name,
            "scenario_hash": self.spec.scenario_hash,
            "status": res.status.value,
            "termination": res.meta.get("termination"),
            "error": self._error,
            "gap": _num(res.metrics.get("gap")),
            "bound": _num(res.metrics.get("bound")),
            "objective_value": _num(res.metrics.get("objective")),
            "solver": res.meta.get("solver"),
            "solver_options": self.spec.solver_options,
            "mode": mode,
            "wall_time_s": wall,
            "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "ecoserve_opt": res.meta.get("ecoserve_opt"),
        }
        return row, tables, meta


def _num(v: Any) -> float | None:
    if v is None:
        return None
    f = float(v)
    return f if math.isfinite(f) else None
