"""The only module that talks to HiGHS (through ``pyomo.contrib.solver``'s persistent ``highs``).

* explicit ``mip_rel_gap``, ``time_limit``, ``threads`` and ``random_seed`` on every solve;
* ``load_solutions=False`` and no exception on non-optimal results: the outcome is mapped to
  :class:`Status`, and a time-limited feasible result is kept as ``FEASIBLE`` with its gap
  and bound, never reported as optimal;
* the solver object is persistent: re-solving after changing mutable parameters only sends
  the changes, and the previous solution is handed to HiGHS as a warm start.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import pyomo.core as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition

from ecoserve_opt.exceptions import SolverError
from ecoserve_opt.formulation.objectives import objective_scale
from ecoserve_opt.heuristics import (
    BUDGET_SHARE,
    DEFAULT_BUDGET_S,
    LpArrays,
    MipStart,
    build_start,
    start_meta,
)
from ecoserve_opt.solve_bounds import cutoff_bounds
from ecoserve_opt.solve_handoff import PersistentHighs as _PersistentHighs

log = logging.getLogger(__name__)

# HiGHS keeps one thread scheduler per process: once created with n threads, a solve asking
# for a different count fails ("scheduler has already been initialized"). Track the count
# and reset the scheduler when it changes.
_SCHEDULER_THREADS: list[int | None] = [None]
_AUTO_UPDATE_KEYS = (
    "check_for_new_or_removed_constraints",
    "check_for_new_or_removed_vars",
    "check_for_new_or_removed_params",
    "check_for_new_objective",
    "update_constraints",
    "update_vars",
    "update_parameters",
    "update_named_expressions",
    "update_objective",
)


class PipeSafeHandler(logging.Handler):
    """Writes log lines to a duplicate of a file descriptor (default: stderr), and stops
    quietly when the reader goes away (``ecoserve solve --solver-log | head``).

    The duplicate is taken when the handler is made, so it bypasses the ``sys.stderr``
    replacement Pyomo installs while HiGHS runs; a broken pipe is never reported through
    ``logging.handleError`` (which would write to that replacement from Pyomo's reader
    thread and deadlock it). The solve goes on; only the log stops.
    """

    def __init__(self, fd: int = 2) -> None:
        import os

        super().__init__()
        self._file: Any = os.fdopen(os.dup(fd), "w", buffering=1, errors="replace")
        self.broken = False

    def emit(self, record: logging.LogRecord) -> None:
        if self.broken:
            return
        try:
            self._file.write(self.format(record) + "\n")
            self._file.flush()
        except (BrokenPipeError, ValueError, OSError):
            self.broken = True

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()
        super().close()


def stream_solver_log(fd: int = 2) -> logging.Handler:
    """Send HiGHS's log (logger ``ecoserve_opt.highs``) to ``fd`` through a
    :class:`PipeSafeHandler`; returns the handler (idempotent)."""
    lg = logging.getLogger("ecoserve_opt.highs")
    for h in lg.handlers:
        if isinstance(h, PipeSafeHandler):
            return h
    handler = PipeSafeHandler(fd)
    handler.setFormatter(logging.Formatter("%(message)s"))
    lg.addHandler(handler)
    lg.setLevel(logging.INFO)
    lg.propagate = False
    return handler


def _ensure_scheduler(threads: int) -> None:
    import highspy

    if _SCHEDULER_THREADS[0] not in (None, threads):
        highspy.Highs.resetGlobalScheduler(True)
    _SCHEDULER_THREADS[0] = threads


class Status(str, Enum):
    """Outcome of a solve."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"  # stopped by a limit with an incumbent: gap > requested
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    NO_SOLUTION = "no_solution"  # stopped by a limit before any incumbent
    ERROR = "error"

    @property
    def has_solution(self) -> bool:
        """True when variable values can be read."""
        return self in (Status.OPTIMAL, Status.FEASIBLE)


@dataclass(frozen=True)
class SolveOptions:
    """HiGHS settings (defaults as in the scenario's ``solver:`` block)."""

    mip_rel_gap: float = 1e-4
    time_limit: float | None = None  # seconds
    threads: int = 1
    seed: int = 0
    tee: bool = False
    save_lp: Path | None = None
    highs_options: Mapping[str, Any] = field(default_factory=dict, hash=False)
    """Further HiGHS options by name (``presolve``, ``mip_heuristic_effort`` ...)."""
    #: ``heuristic``: hand HiGHS a constructive start on a fresh model (ecoserve_opt.heuristics)
    mip_start: str = "none"
    #: with a heuristic start: exact bounds from its objective (ecoserve_opt.solve_bounds)
    cutoff_bounds: bool = True


@dataclass(frozen=True)
class SolveOutcome:
    """What HiGHS returned, mapped to plain fields."""

    status: Status
    termination: str
    objective: float | None
    bound: float | None
    gap: float | None
    wall_time_s: float
    solver_time_s: float | None
    solver: str
    log: str = field(default="", repr=False)
    #: the heuristic MIP start's objective (metric units) and seconds; None without one
    start_objective: float | None = None
    start_time_s: float | None = None
    #: more about the start (ecoserve_opt.heuristics.start_meta); None without one
    start_info: Mapping[str, Any] | None = None


def _gap(obj: float | None, bound: float | None) -> float | None:
    if obj is None or bound is None:
        return None
    return abs(obj - bound) / max(abs(obj), 1e-10)


def _start_misread(model: pyo.ConcreteModel, res: Any) -> bool:
    """Whether HiGHS's incumbent objective differs from the objective of its own solution."""
    if res.solution_status not in (SolutionStatus.optimal, SolutionStatus.feasible):
        return False
    reported = res.incumbent_objective
    objs = list(model.component_data_objects(pyo.Objective, active=True))
    if reported is None or len(objs) != 1:
        return False
    res.solution_loader.load_vars()
    actual = pyo.value(objs[0])
    return abs(actual - reported) > 1e-6 * max(1.0, abs(actual))


class _HighsRelaxation:
    """:class:`ecoserve_opt.heuristics.Relaxation` on copies of the model HiGHS holds."""

    def __init__(self, h: Any, threads: int, seed: int) -> None:
        import numpy as np

        self._h, self._threads, self._seed = h, threads, seed
        self._lp_solver: Any = None
        self._applied: dict[int, float] = {}
        self.root_duals: Any = None  # row duals of the first LP (no column fixed)
        lp = h.getLp()
        mat = lp.a_matrix_
        start = np.asarray(mat.start_)
        counts = np.diff(start)
        major = np.repeat(np.arange(len(counts)), counts)
        minor = np.asarray(mat.index_)
        colwise = mat.format_ != type(mat.format_).kRowwise
        n = lp.num_col_
        integ = np.asarray([int(t) for t in lp.integrality_] or [0] * n) > 0
        self._arrays = LpArrays(
            col_lower=np.asarray(lp.col_lower_, dtype=float),
            col_upper=np.asarray(lp.col_upper_, dtype=float),
            row_lower=np.asarray(lp.row_lower_, dtype=float),
            row_upper=np.asarray(lp.row_upper_, dtype=float),
            rows=minor if colwise else major,
            cols=major if colwise else minor,
            value=np.asarray(mat.value_, dtype=float),
            cost=np.asarray(lp.col_cost_, dtype=float),
            offset=float(lp.offset_),
            integer=integ,
        )

    def arrays(self) -> LpArrays:
        return self._arrays

    def _copy(self, integral: bool, time_limit: float) -> Any:
        import highspy

        h = highspy.Highs()
        for k, v in (("output_flag", False), ("threads", self._threads)):
            h.setOptionValue(k, v)
        h.setOptionValue("random_seed", self._seed)
        lp = self._h.getLp()
        if not integral:
            lp.integrality_ = []
        h.passModel(lp)
        h.setOptionValue("time_limit", max(time_limit, 0.1))
        return h

    @staticmethod
    def _fix(h: Any, fixed: dict[int, float], cols: list[int]) -> None:
        import numpy as np

        if cols:
            v = np.asarray([fixed[c] for c in cols], dtype=float)
            h.changeColsBounds(len(cols), np.asarray(cols, dtype=np.int32), v, v)

    def solve_lp(self, fixed: Any, time_limit: float) -> Any:
        import highspy
        import numpy as np

        if self._lp_solver is None:
            self._lp_solver = self._copy(False, time_limit)
        h = self._lp_solver
        # HiGHS's run clock adds up over the runs of one instance: the limit is on the total
        h.setOptionValue("time_limit", h.getRunTime() + max(time_limit, 0.1))
        freed = [c for c in self._applied if c not in fixed]
        if freed:  # back to the model's own bounds
            a = self._arrays
            idx = np.asarray(freed, dtype=np.int32)
            h.changeColsBounds(len(freed), idx, a.col_lower[idx], a.col_upper[idx])
        self._fix(h, fixed, [c for c in fixed if self._applied.get(c) != fixed[c]])
        self._applied = dict(fixed)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        if not fixed and self.root_duals is None:
            self.root_duals = np.asarray(h.getSolution().row_dual)
        return np.asarray(h.getSolution().col_value)

    def solve_mip(self, fixed: Any, time_limit: float, rel_gap: float, start: Any = None) -> Any:
        import numpy as np

        h = self._copy(True, time_limit)
        h.setOptionValue("mip_rel_gap", rel_gap)
        self._fix(h, fixed, list(fixed))
        if start is not None:  # an incumbent to improve on (heuristics.rins)
            Solver._set_solution(h, start.tolist())
        h.run()
        if h.getInfo().primal_solution_status < 2:  # 2: feasible
            return None
        return np.asarray(h.getSolution().col_value)


class Solver:
    """A persistent HiGHS solver bound to one Pyomo model."""

    def __init__(self, options: SolveOptions | None = None) -> None:
        self.options = options or SolveOptions()
        self._highs = _PersistentHighs()
        if not self._highs.available():
            raise SolverError("HiGHS (highspy) is not installed: pip install highspy")
        self._model: pyo.ConcreteModel | None = None
        self.solves = 0
        self.warm_started = False  # whether the last solve was handed a starting solution
        self.mip_start: MipStart | None = None  # the heuristic start of the last solve
        self._bounds: tuple[Any, Any, Any] | None = None  # (cols, lower, upper) to restore

    @property
    def version(self) -> str:
        """HiGHS version string."""
        return "highs " + ".".join(str(v) for v in self._highs.version())

    def _quiet(self, quiet: bool) -> None:
        """Silence HiGHS's console output (e.g. its warnings while parameters are updated)
        unless the caller asked for the log."""
        h = getattr(self._highs, "_solver_model", None)
        if h is not None:
            h.setOptionValue("output_flag", not quiet)

    def _checked_options(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """``options`` as HiGHS takes them; unknown names and wrong types raise SolverError.

        A bool for a string option (YAML reads ``presolve: off`` as false) becomes
        ``"on"``/``"off"``; an integer for a double option becomes a float.
        """
        import highspy

        h = getattr(self._highs, "_solver_model", None)
        out: dict[str, Any] = {}
        for name, value in options.items():
            if h is None:
                out[name] = value
                continue
            status, kind = h.getOptionType(name)
            if status == highspy.HighsStatus.kError:
                raise SolverError(f"solver.highs_options.{name}: not a HiGHS option")
            if kind == highspy.HighsOptionType.kString and isinstance(value, bool):
                value = "on" if value else "off"
            elif kind == highspy.HighsOptionType.kDouble and isinstance(value, int):
                value = float(value)
            if h.setOptionValue(name, value) == highspy.HighsStatus.kError:
                raise SolverError(f"solver.highs_options.{name}: HiGHS rejects the value {value!r}")
            out[name] = value
        return out

    def _hand_off(self, model: pyo.ConcreteModel) -> None:
        """Give ``model`` to HiGHS (a fresh persistent instance) and keep HiGHS quiet."""
        with PauseGC():  # millions of short-lived objects and no cycles: no GC passes
            self._highs.set_instance(model)
        self._model = model
        self._bounds = None
        self._quiet(not self.options.tee)

    @staticmethod
    def _set_solution(h: Any, values: list[float]) -> bool:
        """Hand ``values`` (one per HiGHS column) to HiGHS as a starting solution."""
        import highspy

        sol = highspy.HighsSolution()
        sol.col_value = values
        sol.value_valid = True
        return bool(h.setSolution(sol) != highspy.HighsStatus.kError)

    def _warm_start(self, model: pyo.ConcreteModel) -> bool:
        """Hand the model's current variable values to HiGHS as a starting solution."""
        h = getattr(self._highs, "_solver_model", None)
        vmap = getattr(self._highs, "_pyomo_var_to_solver_var_map", None)
        if h is None or not vmap:
            return False
        ncol = h.getNumCol()
        values = [0.0] * ncol
        seen = 0
        for var in model.component_data_objects(pyo.Var, active=True, descend_into=True):
            col = vmap.get(id(var))
            if col is None or var.value is None:
                continue
            values[col] = float(var.value)
            seen += 1
        if seen == 0:
            return False
        return self._set_solution(h, values)

    def heuristic_start(self, model: pyo.ConcreteModel) -> MipStart | None:
        """Build the constructive start (ecoserve_opt.heuristics) on ``model`` as HiGHS
        holds it (handed off first if needed) and give it to HiGHS; ``None`` or a start
        without values when there is none. Never raises for a failed heuristic. With
        ``cutoff_bounds`` HiGHS holds the start's cutoff bounds until the next solve."""
        if self._model is not model:
            self._hand_off(model)
        _ensure_scheduler(self.options.threads)

        h = getattr(self._highs, "_solver_model", None)
        vmap = getattr(self._highs, "_pyomo_var_to_solver_var_map", None)
        if h is None or not vmap:
            return None
        tl = self.options.time_limit
        budget = DEFAULT_BUDGET_S if tl is None else min(DEFAULT_BUDGET_S, BUDGET_SHARE * tl)
        try:
            rx = _HighsRelaxation(h, self.options.threads, self.options.seed)
            start = build_start(model, vmap, rx, budget)
            x, obj = start.values, start.objective
            if x is not None and obj is not None and self.options.cutoff_bounds:
                self._tighten(h, rx, x, obj)  # before the start: new bounds drop a start
            if start.values is not None and not self._set_solution(h, start.values.tolist()):
                log.info("MIP start: HiGHS refused the start")
                start.values, start.reason = None, "HiGHS refused the start"
        except Exception as exc:  # a failed heuristic must never fail the solve
            log.info("MIP start: none (%s)", exc)
            return None
        return start

    def _tighten(self, h: Any, rx: _HighsRelaxation, x: Any, objective: float) -> None:
        """Bound HiGHS's integer columns by the start's objective for this solve only
        (ecoserve_opt.solve_bounds, for minimisation); :meth:`_restore_bounds` undoes it."""
        import highspy

        if rx.root_duals is None or h.getObjectiveSense()[1] != highspy.ObjSense.kMinimize:
            return
        a = rx.arrays()
        cb = cutoff_bounds(a, rx.root_duals, objective, x)
        log.info("cutoff bounds: %d integer columns (%s)", cb.count, cb.reason)
        if cb.count:
            self._bounds = (cb.cols, a.col_lower[cb.cols], a.col_upper[cb.cols])
            h.changeColsBounds(cb.count, cb.cols, cb.lower, cb.upper)

    def _restore_bounds(self) -> None:
        """The model's own column bounds back in HiGHS after a solve with cutoff bounds."""
        h = getattr(self._highs, "_solver_model", None)
        if self._bounds is not None and h is not None:
            cols, lower, upper = self._bounds
            h.changeColsBounds(len(cols), cols, lower, upper)
        self._bounds = None

    def _run(self, model: pyo.ConcreteModel, cfg: dict[str, object]) -> Any:
        """One HiGHS run of the persistent model; a failure restores the model's own bounds
        (a start's cutoff bounds hold for one solve only) and becomes a SolverError."""
        try:
            return self._highs.solve(model, **cfg)
        except Exception as exc:
            self._restore_bounds()
            raise SolverError(f"HiGHS failed: {exc}") from exc

    def _start_fresh(self, model: pyo.ConcreteModel, cfg: dict[str, object]) -> None:
        """The heuristic start of a fresh model (``mip_start: heuristic``); its time comes
        off the time limit."""
        if self.options.mip_start != "heuristic":
            return
        self.mip_start = self.heuristic_start(model)
        self.warm_started = self.mip_start is not None and self.mip_start.ok
        tl = self.options.time_limit
        if self.mip_start is not None and tl is not None:
            cfg["time_limit"] = max(tl - self.mip_start.seconds, 1.0)

    def _report_start(
        self, obj: float | None, bound: float | None, lam: float, seconds: float
    ) -> float | None:
        """Log the heuristic start next to the final result; its objective in metric units."""
        if self.mip_start is None or self.mip_start.objective is None:
            return None
        start_obj = self.mip_start.objective / lam
        log.info(
            "MIP start (heuristic, %.1f s): objective %.6g; final %s, gap %s",
            seconds,
            start_obj,
            "none" if obj is None else f"{obj:.6g}",
            "n/a" if obj is None or bound is None else f"{_gap(obj, bound):.2%}",
        )
        return start_obj

    def solve(self, model: pyo.ConcreteModel, warm_start: bool = True) -> SolveOutcome:
        """Solve (or re-solve) ``model``; loads the solution into it when there is one."""
        opts = self.options
        self.warm_started = False
        cfg: dict[str, object] = {
            "load_solutions": False,
            "raise_exception_on_nonoptimal_result": False,
            "rel_gap": opts.mip_rel_gap,
            "threads": opts.threads,
            "solver_options": {"random_seed": opts.seed, "mip_abs_gap": 1e-9},
        }
        if opts.time_limit is not None:
            cfg["time_limit"] = opts.time_limit
        if opts.tee:
            cfg["tee"] = [logging.getLogger("ecoserve_opt.highs")]
        self._quiet(not opts.tee)  # before any update: HiGHS warns on stdout otherwise
        self.mip_start = None
        if self._model is not model:
            self._hand_off(model)
            # just handed off: a second (full) update pass inside Highs.solve finds nothing
            cfg["auto_updates"] = dict.fromkeys(_AUTO_UPDATE_KEYS, False)
            self._start_fresh(model, cfg)
        elif warm_start and self.solves > 0:
            try:
                # HiGHS drops a user solution whenever the model changes, so apply the
                # pending changes first, then hand over the start, then solve without a
                # second update pass.
                with PauseGC():
                    self._highs.update()
                if self._warm_start(model):
                    cfg["auto_updates"] = dict.fromkeys(_AUTO_UPDATE_KEYS, False)
                    self.warm_started = True
            except Exception as exc:  # a failed warm start must never fail the solve
                log.debug("warm start skipped: %s", exc)
        elif self.solves > 0:
            # a cold re-solve: no incumbent or basis of the previous solve is kept, so the
            # result is what an independent solve of this model gives (sweep --cold)
            h = getattr(self._highs, "_solver_model", None)
            if h is not None:
                h.clearSolver()
        if opts.highs_options:
            solver_options = cfg["solver_options"]
            assert isinstance(solver_options, dict)
            solver_options.update(self._checked_options(opts.highs_options))
        if opts.save_lp is not None:
            Path(opts.save_lp).parent.mkdir(parents=True, exist_ok=True)
            import pyomo.environ  # noqa: F401  (registers the LP writer)

            model.write(str(opts.save_lp), io_options={"symbolic_solver_labels": True})
        _ensure_scheduler(opts.threads)
        t0 = time.perf_counter()
        heuristic_s = getattr(self.mip_start, "seconds", 0.0)
        res = self._run(model, cfg)
        if self.warm_started and _start_misread(model, res):
            # HiGHS 1.16 can lose an objective offset when presolve reduces a MIP start
            # ("MIP start solution is feasible in the reduced space" with a lower value),
            # then stops at a wrong "optimum"; solve again without the start.
            log.info("warm-started solve reported an inconsistent objective; re-solving cold")
            self.warm_started = False
            h = getattr(self._highs, "_solver_model", None)
            if h is not None:
                h.clearSolver()
            res = self._run(model, cfg)
        wall = time.perf_counter() - t0 + heuristic_s
        self.solves += 1
        tc = res.termination_condition
        has_sol = res.solution_status in (SolutionStatus.optimal, SolutionStatus.feasible)
        if tc == TerminationCondition.convergenceCriteriaSatisfied and has_sol:
            status = Status.OPTIMAL
        elif tc == TerminationCondition.provenInfeasible:
            status = Status.INFEASIBLE
        elif tc == TerminationCondition.unbounded:
            status = Status.UNBOUNDED
        elif tc == TerminationCondition.infeasibleOrUnbounded:
            status = Status.INFEASIBLE
        elif has_sol:
            status = Status.FEASIBLE
        elif tc == TerminationCondition.error:
            status = Status.ERROR
        else:
            status = Status.NO_SOLUTION
        if status.has_solution:
            res.solution_loader.load_vars()
        self._restore_bounds()
        obj = res.incumbent_objective if status.has_solution else None
        bound = res.objective_bound
        # objectives are scaled for HiGHS's tolerances (formulation.objectives): report them
        # in metric units
        lam = objective_scale(model)
        obj = None if obj is None else obj / lam
        bound = None if bound is None else bound / lam
        start_obj = self._report_start(obj, bound, lam, heuristic_s)
        return SolveOutcome(
            status=status,
            termination=str(tc.name),
            objective=obj,
            bound=bound,
            gap=_gap(obj, bound) if status.has_solution else None,
            wall_time_s=wall,
            solver_time_s=getattr(res.timing_info, "highs_time", None),
            solver=self.version,
            log=res.solver_log or "",
            start_objective=start_obj,
            start_time_s=heuristic_s if self.mip_start is not None else None,
            start_info=None if self.mip_start is None else start_meta(self.mip_start, lam),
        )
