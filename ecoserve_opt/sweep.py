r"""Sensitivity sweeps: solve a scenario over a grid of parameter values, resumably, in parallel.

>>> from ecoserve_opt.sweep import sweep   # doctest: +SKIP
>>> res = sweep("scenarios/default.yaml", {"grid_intensity": range(0, 801, 25)}, "out/sweep")
>>> res.sweep()[["grid_intensity", "carbon_kg", "design"]]   # doctest: +SKIP

Two kinds of parameter
----------------------
*Param parameters* change a mutable ``Param`` of the built model; every point of a serial
sweep re-solves the SAME persistent HiGHS model, warm-started from the previous point:

====================  ======================================================================
``grid_intensity``    annual mean grid intensity in **gCO2e/kWh** (plain numbers) or a unit
                      string per value (``"0.42 kgCO2e/kWh"``). Applied as
                      ``m.ci_scale = value / (the scenario's year-1 mean intensity)``, so the
                      scenario's hourly shape and yearly trend are kept and scaled.
``pue``               data-centre PUE (``grid.pue`` is an alias), ``m.pue``.
``prices.electricity``  USD/kWh (``electricity_price`` is an alias), ``m.price``.
``demand_scale``      multiplier of all online and offline demand, ``m.demand_scale``.
``embodied_scale``    multiplier of all embodied carbon, ``m.embodied_scale``.
``cap.<metric>``      epsilon cap on carbon/cost/energy/latency/gpu_hours (used by Pareto).
====================  ======================================================================

*Any other dot-path* (``embodied_source``, ``llms.X.online.requests_per_s``,
``inventory.embodied_residual_share``, ``grid.hourly_shape`` ...) is applied by re-loading
the scenario with that override and rebuilding the model (pre-solve checks included) once per
distinct value; Param parameters are then swept inside each rebuilt model. Points are ordered
so rebuild parameters form the outer loop and neighbouring points are solved one after the
other (boustrophedon order), which keeps warm starts useful.

Several parameters form a full grid (cartesian product). Each finished point is written at
once to a :class:`~ecoserve_opt.store.ResultsStore`; re-running skips finished points.

Parallel mode (``workers > 0`` or ``scheduler="tcp://host:port"``) sends chunks of points to
a ``dask.distributed`` cluster (a ``LocalCluster(n_workers, threads_per_worker=1,
processes=True)`` by default). Each worker builds its model once per rebuild group, keeps it
between chunks, sweeps its chunk through its own persistent solver and returns the records;
the client writes them to the store as chunks finish. On a remote cluster the workers need
ecoserve-opt installed and the scenario's catalog folder at the same path.

With ``fix_fleet`` the integer fleet variables (GPUs and hosts bought or reused, hosts
deployed, sockets, DIMMs, SSDs) are fixed at the optimum of the scenario's own parameter
values, and only the operation (load split, GPUs powered, replicas) is re-optimised.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import logging
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import pyomo.environ as pyo

from ecoserve_opt.api import Built, build, scenario_hash
from ecoserve_opt.exceptions import EcoserveError, InfeasibleError, ScenarioError
from ecoserve_opt.formulation import set_cap
from ecoserve_opt.formulation.objectives import METRICS, OBJECTIVES
from ecoserve_opt.io.yaml_loader import (
    LoadedScenario,
    load_scenario,
    parse_override_value,
    set_dot_path,
    validate_dict,
)
from ecoserve_opt.results import Results
from ecoserve_opt.schema.units import to_canonical
from ecoserve_opt.solve import SolveOutcome, Status
from ecoserve_opt.store import (
    ResultsStore,
    SweepResults,
    metric_name,
    point_id,
    point_row,
)

log = logging.getLogger(__name__)

__all__ = [
    "FAST_PARAMS",
    "PointSpec",
    "SweepResults",
    "fix_fleet",
    "grid_points",
    "parse_values",
    "run_points",
    "set_grid_intensity",
    "sweep",
    "unfix",
]

#: Parameters applied through mutable Params (no rebuild).
FAST_PARAMS = ("grid_intensity", "pue", "prices.electricity", "demand_scale", "embodied_scale")
PARAM_ALIASES = {
    "grid.pue": "pue",
    "electricity_price": "prices.electricity",
    "demand": "demand_scale",
}
#: Integer fleet variables fixed by ``fix_fleet``.
FLEET_VARS = (
    "buy_gpu",
    "buy_host",
    "use_owned_gpu",
    "use_owned_host",
    "z",
    "sockets_var",
    "dimms_var",
    "ssds_var",
)
SOLVE_OBJECTIVES = ("carbon", "cost", "energy", "performance", "latency", "gpu_hours")
LEX_REL_TOL = 1e-7  # second stage of a lexicographic solve: primary <= best*(1+tol)+abs
LEX_ABS_TOL = 1e-9
CAP_REL_SLACK = 1e-9  # epsilon caps are relaxed by this much against solver round-off
MAX_CHUNK = 25

Record = tuple[dict[str, Any], dict[str, pd.DataFrame], dict[str, Any]]


# ---- parameter values -------------------------------------------------------------------
def canonical_param(name: str) -> str:
    """Canonical name of a sweep parameter (aliases resolved)."""
    name = name.strip()
    return PARAM_ALIASES.get(name, name)


def is_fast(name: str) -> bool:
    """True for parameters applied through mutable Params (no rebuild)."""
    return name in FAST_PARAMS or name.startswith("cap.")


def convert_value(name: str, value: Any) -> Any:
    """Normalise one value of parameter ``name`` (units -> the table's unit)."""
    if name == "grid_intensity":
        if isinstance(value, str):
            v = value.strip()
            try:
                return float(v)  # plain number: gCO2e/kWh
            except ValueError:
                return 1000.0 * to_canonical(v, "carbon_intensity")
        return float(value)
    if name == "prices.electricity" and isinstance(value, str):
        return to_canonical(value, "energy_price")
    if name in FAST_PARAMS:
        return float(value)
    if isinstance(value, str):
        return parse_override_value(value)
    return value


def parse_values(name: str, spec: str | Sequence[Any]) -> list[Any]:
    """Values of a sweep parameter from ``start:stop:step`` (inclusive), ``a,b,c`` or a list.

    ``0:800:25`` gives 0, 25, ..., 800 (the stop is included when it falls on the grid).
    List items are read as YAML (numbers, words, unit strings).
    """
    name = canonical_param(name)
    if not isinstance(spec, str):
        vals = [convert_value(name, v) for v in spec]
    elif spec.count(":") in (1, 2) and "," not in spec:
        parts = spec.split(":")
        try:
            start, stop = float(parts[0]), float(parts[1])
            step = float(parts[2]) if len(parts) == 3 else 1.0
        except ValueError:
            raise EcoserveError(
                f"--values {spec!r}: expected start:stop:step with numbers"
            ) from None
        if step <= 0 or stop < start:
            raise EcoserveError(f"--values {spec!r}: need step > 0 and stop >= start")
        n = int(math.floor((stop - start) / step + 1e-9)) + 1
        vals = [convert_value(name, float(f"{start + i * step:.12g}")) for i in range(n)]
    else:
        vals = [convert_value(name, v.strip()) for v in spec.split(",") if v.strip()]
    if not vals:
        raise EcoserveError(f"--values for {name}: no values")
    if name in FAST_PARAMS and any(not math.isfinite(v) or v < 0 for v in vals):
        raise EcoserveError(f"--values for {name}: values must be finite and >= 0")
    return list(dict.fromkeys(vals))


def _snake(lists: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """Cartesian product in boustrophedon order (neighbours differ in one coordinate)."""
    if not lists:
        return [()]
    rest = _snake(lists[1:])
    out: list[tuple[Any, ...]] = []
    for i, v in enumerate(lists[0]):
        out.extend((v, *r) for r in (rest if i % 2 == 0 else rest[::-1]))
    return out


# ---- points -----------------------------------------------------------------------------
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
            ],
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


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


_META_KEYS = ("role", "cap_metric", "cap_value")


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


# ---- model helpers ----------------------------------------------------------------------
def base_intensity(built: Built) -> float:
    """The scenario's year-1 mean grid intensity (kgCO2e/kWh) that ``ci_scale`` multiplies."""
    d = built.data
    y1 = d.years[0]
    vals = [d.ci[(y1, s)] for s in d.slots]
    return float(sum(vals) / len(vals))


def set_grid_intensity(built: Built, g_per_kwh: float | None) -> None:
    """Set the annual mean intensity to ``g_per_kwh`` gCO2e/kWh (``None``: the scenario's).

    Uses ``m.ci_scale`` (keeps the hourly shape and yearly trend); a scenario whose own
    intensity is 0 has no shape to scale, so its per-slot ``m.ci`` is set flat instead.
    """
    m = built.model
    base = base_intensity(built)
    if g_per_kwh is None:
        m.ci_scale.set_value(1.0)
        if base <= 0:
            for (y, s), v in built.data.ci.items():
                m.ci[y, s].set_value(v)
        return
    target = float(g_per_kwh) / 1000.0
    if base > 0:
        m.ci_scale.set_value(target / base)
        return
    trend = built.loaded.scenario.grid.trend_per_year
    m.ci_scale.set_value(1.0)
    for y, s in built.data.ci:
        m.ci[y, s].set_value(target * (1.0 + trend) ** (y - built.data.years[0]))


def apply_fast(built: Built, fast: Mapping[str, Any]) -> None:
    """Set every Param parameter: the given values, the scenario's own for the rest."""
    m = built.model
    d = built.data
    set_grid_intensity(built, fast.get("grid_intensity"))
    m.pue.set_value(float(fast.get("pue", d.pue)))
    m.price.set_value(float(fast.get("prices.electricity", d.electricity_usd_per_kwh)))
    m.demand_scale.set_value(float(fast.get("demand_scale", 1.0)))
    m.embodied_scale.set_value(float(fast.get("embodied_scale", 1.0)))
    for metric in METRICS:
        cap = fast.get(f"cap.{metric}")
        set_cap(m, metric, None if cap is None else float(cap) * (1 + CAP_REL_SLACK) + 1e-12)


def _ensure_objectives(m: pyo.ConcreteModel) -> None:
    """Add a (deactivated) GPU-hours objective; the formulation declares the other four."""
    if not hasattr(m, "obj_gpu_hours"):
        m.obj_gpu_hours = pyo.Objective(expr=m.gpu_hours, sense=pyo.minimize)
        m.obj_gpu_hours.deactivate()


def activate_objective(built: Built, objective: str) -> None:
    """Make ``objective`` (carbon/cost/energy/latency/performance/gpu_hours) the only one."""
    m = built.model
    _ensure_objectives(m)
    comps = {name: getattr(m, f"obj_{name}") for name in OBJECTIVES}
    comps["latency"] = comps["performance"]
    comps["gpu_hours"] = m.obj_gpu_hours
    if objective not in comps:
        raise EcoserveError(f"unknown objective {objective!r} ({', '.join(SOLVE_OBJECTIVES)})")
    for c in {id(c): c for c in comps.values()}.values():
        c.deactivate()
    comps[objective].activate()
    built.objective = objective


def _metric_of(objective: str) -> str:
    return "latency" if objective == "performance" else metric_name(objective)


def fix_fleet(built: Built) -> list[Any]:
    """Fix the integer fleet variables at their current values (rounded); returns them."""
    fixed = []
    for name in FLEET_VARS:
        comp = getattr(built.model, name, None)
        if comp is None:
            continue
        for v in comp.values():
            if not v.fixed:
                v.fix(round(v.value or 0.0))
                fixed.append(v)
    return fixed


def unfix(variables: Sequence[Any]) -> None:
    """Undo :func:`fix_fleet`."""
    for v in variables:
        v.unfix()


def solve_lexicographic(built: Built, objective: str, secondary: str | None = None) -> Results:
    """Minimise ``objective``; with ``secondary``, then minimise it with the first at its best.

    ``performance`` without a secondary is the API's own lexicographic (latency, then cost).
    """
    if objective == "performance" and secondary is None:
        activate_objective(built, "performance")
        return built.solve(warm_start=True)
    m = built.model
    activate_objective(built, objective)
    t0 = time.perf_counter()
    out = built.solver.solve(m, warm_start=True)
    if secondary is not None and out.status.has_solution and out.objective is not None:
        metric = _metric_of(objective)
        con = getattr(m, f"cap_{metric}_con")
        prev = float(pyo.value(getattr(m, f"cap_{metric}"))) if con.active else None
        best = out.objective
        set_cap(m, metric, best + abs(best) * LEX_REL_TOL + LEX_ABS_TOL)
        activate_objective(built, secondary)
        out2 = built.solver.solve(m, warm_start=True)
        set_cap(m, metric, prev)
        activate_objective(built, objective)
        if out2.status.has_solution:
            worst = out.status if out.status == Status.FEASIBLE else out2.status
            gaps = [g for g in (out.gap, out2.gap) if g is not None]
            out = SolveOutcome(
                status=worst,
                termination=out2.termination,
                objective=out2.objective,
                bound=out2.bound,
                gap=max(gaps) if gaps else None,
                wall_time_s=out.wall_time_s + out2.wall_time_s,
                solver_time_s=out2.solver_time_s,
                solver=out2.solver,
            )
    built.timings["solve_s"] = time.perf_counter() - t0
    return built.results(out)


# ---- solving points ---------------------------------------------------------------------
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

    def _load(self, rebuild: tuple[tuple[str, Any], ...]) -> LoadedScenario:
        base = self.spec.loaded
        if not rebuild:
            return base
        raw = copy.deepcopy(base.raw)
        for k, v in rebuild:
            set_dot_path(raw, k, v)
        applied = (*base.applied, *[f"{k}={v}" for k, v in rebuild])
        file = str(base.path) if base.path else "<scenario>"
        return validate_dict(raw, file=file, path=base.path, applied=applied)

    def built_for(self, rebuild: tuple[tuple[str, Any], ...]) -> tuple[Built | None, bool]:
        """The model of a rebuild group (built on first use); ``(built, fresh)``."""
        if self._key == rebuild and (self._built is not None or self._error is not None):
            return self._built, False
        self._key, self._built, self._error, self._design = rebuild, None, None, None
        try:
            built = build(self._load(rebuild), **self.spec.solver_options)
        except EcoserveError as exc:
            if not rebuild:
                raise
            self._error = str(exc)
            infeasible = isinstance(exc, InfeasibleError)
            self._error_status = Status.INFEASIBLE if infeasible else Status.ERROR
            return None, True
        _ensure_objectives(built.model)
        self.builds += 1
        if self.spec.fix_fleet:
            apply_fast(built, {})
            res = solve_lexicographic(built, self.spec.objective)
            if not res.status.has_solution:
                self._error = f"fix_fleet: the base design has no solution ({res.status.value})"
                self._error_status = res.status
                return None, True
            from ecoserve_opt.store import design_signature

            self._design = design_signature(res)
            fix_fleet(built)
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
            apply_fast(built, fast)
            res = solve_lexicographic(built, p.objective, p.secondary)
        wall = time.perf_counter() - t0
        mode = "rebuild" if fresh else "param update (warm start)"
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


_WORKER_CACHE: dict[str, PointSolver] = {}


def _solve_chunk(spec: SweepSpec, chunk: list[PointSpec]) -> list[Record]:
    """Dask task: solve a chunk with this worker's cached solver (one model kept)."""
    solver = _WORKER_CACHE.get(spec.key)
    if solver is None:
        _WORKER_CACHE.clear()
        solver = _WORKER_CACHE[spec.key] = PointSolver(spec)
    return [solver.solve(p) for p in chunk]


# ---- running ----------------------------------------------------------------------------
@contextmanager
def dask_client(scheduler: str | None = None, workers: int = 2) -> Iterator[Any]:
    """A ``dask.distributed`` client: of ``scheduler`` if given, else of a local cluster."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - the dask extra is missing
        raise EcoserveError(
            "parallel sweeps need dask: pip install 'ecoserve-opt[dask]' (or use --workers 0)"
        ) from None
    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise EcoserveError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
        try:
            yield client
        finally:
            client.close()
        return
    cluster = LocalCluster(
        n_workers=max(workers, 1),
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # a free port: never clash with a running cluster
        silence_logs=40,
    )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _chunks(points: list[PointSpec], size: int) -> list[list[PointSpec]]:
    """Split into chunks of at most ``size`` that never mix rebuild groups."""
    out: list[list[PointSpec]] = []
    for _key, group in itertools.groupby(points, key=lambda p: p.rebuild):
        g = list(group)
        out.extend(g[i : i + size] for i in range(0, len(g), size))
    return out


def _progress(console: Any | None, enabled: bool) -> Any:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        disable=not enabled,
    )


def _describe(p: PointSpec) -> str:
    if p.rebuild:
        what = ", ".join(f"{k}={v}" for k, v in p.rebuild)
        return f"rebuild for {what}; Param updates inside"
    return "Param updates on one model (warm start)"


def run_points(
    spec: SweepSpec,
    points: Sequence[PointSpec],
    store: ResultsStore,
    *,
    client: ClientProvider | Any | None = None,
    chunk_size: int | None = None,
    retry_failed: bool = False,
    progress: bool = False,
    console: Any | None = None,
    label: str = "sweep",
    on_point: Callable[[Record], None] | None = None,
) -> list[str]:
    """Solve the unfinished ``points`` (serially, or on ``client``'s dask cluster) and write
    each record to ``store`` as it arrives. Returns the ids solved now.

    ``client`` is a dask ``Client``, a :class:`ClientProvider` (started only if some point
    is left to solve) or ``None`` (serial, in this process)."""
    damaged = store.damaged()
    if damaged:
        first = next(iter(damaged.values()))
        msg = (
            f"{store.root}: {len(damaged)} damaged stored point(s) (e.g. {first}); "
            "recomputing those of this run"
        )
        if console is None:
            log.warning(msg)
        else:
            console.print(f"warning: {msg}", markup=False, highlight=False)
    if store.recovered_manifest is not None and console is not None:
        console.print(
            f"warning: {store.root}: {store.recovered_manifest}; kept as sweep.json.corrupt "
            "and rewritten",
            markup=False,
            highlight=False,
        )
    todo = [p for p in points if not store.done(p.point_id, retry_failed)]
    done_now: list[str] = []
    skipped = len(points) - len(todo)
    with _progress(console, progress) as bar:
        task = bar.add_task(label, total=len(points), completed=skipped)
        if skipped and progress and console is not None:
            console.print(f"{label}: {skipped} of {len(points)} points already done, skipped")

        def record(rec: Record) -> None:
            store.write(*rec)
            done_now.append(rec[0]["point_id"])
            bar.advance(task)
            if on_point is not None:
                on_point(rec)

        if isinstance(client, ClientProvider):
            client = client.get() if (client.parallel and todo) else None
        if client is None:
            solver = PointSolver(spec)
            for p in todo:
                bar.update(task, description=f"{label} [{_describe(p)}]")
                record(solver.solve(p))
            return done_now

        from dask.distributed import as_completed

        n_workers = max(len(client.scheduler_info().get("workers", {})), 1)
        size = chunk_size or max(1, min(MAX_CHUNK, math.ceil(len(todo) / (2 * n_workers))))
        chunks = _chunks(todo, size)
        bar.update(
            task,
            description=f"{label} [dask: {n_workers} workers, {len(chunks)} chunks; "
            "each worker builds once per rebuild group, Param updates inside]",
        )
        futures = [client.submit(_solve_chunk, spec, c, pure=False) for c in chunks]
        try:
            for fut in as_completed(futures):
                for rec in fut.result():
                    record(rec)
        except BaseException:
            client.cancel(futures)
            raise
    return done_now


def make_spec(
    scenario: LoadedScenario | str | Path,
    fix_fleet: bool = False,
    solver_options: Mapping[str, Any] | None = None,
    objective: str | None = None,
) -> SweepSpec:
    """The shared part of a sweep (absolute scenario path, hash, solver options)."""
    loaded = scenario if isinstance(scenario, LoadedScenario) else load_scenario(scenario)
    if loaded.path is not None and not loaded.path.is_absolute():
        from dataclasses import replace

        loaded = replace(loaded, path=loaded.path.resolve())
    opts = {k: v for k, v in (solver_options or {}).items() if v is not None}
    obj = objective or loaded.scenario.objective
    if obj not in SOLVE_OBJECTIVES:
        raise EcoserveError(f"unknown objective {obj!r} ({', '.join(SOLVE_OBJECTIVES)})")
    return SweepSpec(loaded, scenario_hash(loaded), opts, fix_fleet, obj)


def _check_rebuild_params(spec: SweepSpec, points: Sequence[PointSpec]) -> None:
    """Validate every distinct rebuild override now, so a typo fails before any solve."""
    seen: set[tuple[tuple[str, Any], ...]] = set()
    solver = PointSolver(spec)
    for p in points:
        if p.rebuild and p.rebuild not in seen:
            seen.add(p.rebuild)
            try:
                solver._load(p.rebuild)
            except ScenarioError as exc:
                raise EcoserveError(f"sweep parameter {exc.path or ''}: {exc.reason}") from None


class ClientProvider:
    """Starts the dask client on first use (a fully resumed sweep starts no cluster)."""

    def __init__(self, scheduler: str | None = None, workers: int = 0) -> None:
        self.scheduler = scheduler
        self.workers = workers
        self._cm: Any = None
        self._client: Any = None

    @property
    def parallel(self) -> bool:
        """True when points go to dask."""
        return bool(self.scheduler) or self.workers > 0

    def get(self) -> Any:
        """The client (started now if needed)."""
        if self._client is None:
            self._cm = dask_client(self.scheduler, self.workers)
            self._client = self._cm.__enter__()
        return self._client

    def close(self) -> None:
        """Close the client and any local cluster it started."""
        if self._cm is not None:
            cm, self._cm, self._client = self._cm, None, None
            cm.__exit__(None, None, None)


@contextmanager
def _maybe_client(scheduler: str | None, workers: int) -> Iterator[ClientProvider]:
    provider = ClientProvider(scheduler, workers)
    try:
        yield provider
    finally:
        provider.close()


def sweep(
    scenario: LoadedScenario | str | Path,
    params: Mapping[str, Any],
    out: str | Path,
    *,
    objective: str | None = None,
    fix_fleet: bool = False,
    scheduler: str | None = None,
    workers: int = 0,
    chunk_size: int | None = None,
    retry_failed: bool = False,
    progress: bool = False,
    console: Any | None = None,
    on_point: Callable[[Record], None] | None = None,
    **solver_options: Any,
) -> SweepResults:
    """Solve ``scenario`` at every point of the grid ``params`` (name -> values or a
    ``start:stop:step`` string); results go to the store ``out`` as each point finishes.

    ``workers=0`` and no ``scheduler`` solve serially in this process (one model, persistent
    solver); otherwise on dask. ``on_point(record)`` is called after each point is written.
    """
    spec = make_spec(scenario, fix_fleet, solver_options, objective)
    obj = spec.objective
    if not params:
        raise EcoserveError("a sweep needs at least one parameter")
    points = grid_points(spec, params, obj)
    _check_rebuild_params(spec, points)
    store = ResultsStore(Path(out))
    names = [canonical_param(n) for n in params]
    store.open_run(
        spec.scenario_hash,
        spec.loaded.scenario.name,
        {
            "command": "sweep",
            "params": names,
            "values": {canonical_param(n): parse_values(n, v) for n, v in params.items()},
            "objective": obj,
            "fix_fleet": fix_fleet,
        },
    )
    with _maybe_client(scheduler, workers) as client:
        run_points(
            spec,
            points,
            store,
            client=client,
            chunk_size=chunk_size,
            retry_failed=retry_failed,
            progress=progress,
            console=console,
            label="sweep",
            on_point=on_point,
        )
    res = SweepResults.load(store.root)
    ids = {p.point_id for p in points}
    res.table = res.table[res.table["point_id"].isin(ids)].reset_index(drop=True)
    return res
