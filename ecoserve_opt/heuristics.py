r"""Constructive MIP start (``solver.mip_start: heuristic``): a good incumbent in seconds.

HiGHS can spend a minute or more on a fleet before it has a usable incumbent: its rounding
heuristics land on fleets many times too large, and its sub-MIPs start only after the root
cuts. The replica counts are what makes the problem hard; once they are fixed, what remains
(hosts, cohorts, components, owned items) is mostly packing. So the start is built on the
model exactly as handed to HiGHS:

1. **LP relaxation** of the whole model (every pillar, window, owned pool and year).
2. **Round-up dive** on the *driving* integers, the replica counts :math:`n_{lgtpy}`
   (``n_rep``), the phase pools (``n_phase``) and the GPU-type picks (``gpu_pick``): while
   some are fractional, fix the most nearly integral ones (largest fractional part, a
   quarter of them per round, at least one) to their ceiling and re-solve the LP, which
   moves the remaining demand onto other replica types. A round whose LP is infeasible is
   retried one integer at a time, ceiling then floor; an integer neither rounding keeps
   LP-feasible is left free.
3. **Shave** (:func:`shave`): rounded counts taken back by one where the LP stays
   feasible and gets cheaper: first all those the rows allow as they are (one LP), then
   one at a time, largest first, within :data:`SHAVE_TRIALS` LP solves (rounding a
   quarter up per round overshoots: later roundings add capacity an earlier one was
   bought for).
4. **Hosts**: a dive on every other integer (cohorts, deployed hosts, components, owned
   items in use) in stages, one year at a time, earliest first, and within a year the
   hosts before their components (:func:`staged_dive`), each to the nearer integer
   first. Its last LP solution is integral, a solution of the
   full model. If either dive leaves an integer free, a **restricted MIP** (the replica
   counts fixed at their dive values, HiGHS on the rest to a 1% gap within the time
   budget) completes the fleet instead.

The candidate is then **verified** against every row, column bound and integrality of the
matrix HiGHS holds (:func:`violations`); only a verified start is handed over. A **RINS**
stage (:func:`rins`) then searches the integers on which the first LP and the start
disagree with a sub-MIP begun from the start, and keeps its fleet only if it is verified
and cheaper. Any failure
(an infeasible LP, a restricted MIP without a solution, a violated row) means no start:
the solve goes on exactly as without the heuristic.

This module does no I/O and never imports HiGHS: the LP and MIP solves go through a
:class:`Relaxation` that ``solve.py`` (the only module that talks to HiGHS) implements.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pyomo.core as pyo

log = logging.getLogger(__name__)

#: Integer variables the dive rounds (replica counts, phase pools, GPU-type picks).
DRIVING = ("n_rep", "n_phase", "gpu_pick")
#: Cohort variables, keyed by (item, purchase year, lifetime).
COHORTS = ("buy_gpu", "buy_host")
#: Host component counts, rounded after the hosts of their year (a component count
#: rounded first would cap its deployment's hosts at the count over the per-host minimum).
COMPONENT_VARS = ("sockets_var", "dimms_var", "ssds_var")
#: Share per round of the host dive, which rounds to the nearer integer first (its LPs
#: move little: the replica counts are fixed by then).
HOST_ROUND_SHARE = 0.5
#: LP solves of the shave pass at most (0: no shave).
SHAVE_TRIALS = 10
#: Share of the fractional driving integers fixed per dive round (at least one).
ROUND_SHARE = 0.25
#: Integrality and feasibility tolerances of the verification (HiGHS's defaults are 1e-6
#: for both; the check is on the unscaled rows, so a relative slack is allowed).
INT_TOL = 1e-6
FEAS_TOL = 1e-6
#: Gap of the restricted MIP (a start within this of the best fleet for the dive's counts).
SUB_MIP_GAP = 0.01
#: RINS stage (:func:`rins`): gap of its sub-MIP, and its time limit, the larger of
#: :data:`RINS_MIN_S` and :data:`RINS_SHARE` times the time the start took so far (within
#: the budget). ``RINS_SHARE = 0``: no RINS stage.
RINS_GAP = 0.003
RINS_MIN_S = 1.0
RINS_SHARE = 1.0
#: Time budget of the whole heuristic (s) when the solve has no time limit, and its share
#: of the solve's time limit otherwise. The first LP dominates on large fleets (HiGHS solves
#: the same LP at its root before any incumbent of its own).
DEFAULT_BUDGET_S = 600.0
BUDGET_SHARE = 0.5


@dataclass(frozen=True)
class LpArrays:
    """The matrix HiGHS holds (as coordinate triplets), with bounds, costs and
    integrality."""

    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    value: np.ndarray
    cost: np.ndarray
    offset: float
    integer: np.ndarray  # bool per column


class Relaxation(Protocol):
    """What the heuristic needs from the solver (implemented in ``solve.py``)."""

    def arrays(self) -> LpArrays:
        """The model's matrix, bounds, costs and integrality."""

    def solve_lp(self, fixed: Mapping[int, float], time_limit: float) -> np.ndarray | None:
        """Column values of the LP relaxation with ``fixed`` columns fixed (None: no
        optimal LP solution within the time limit)."""

    def solve_mip(
        self,
        fixed: Mapping[int, float],
        time_limit: float,
        rel_gap: float,
        start: np.ndarray | None = None,
    ) -> np.ndarray | None:
        """Column values of the best solution of the MIP with ``fixed`` columns fixed
        (None: no solution within the time limit); ``start``: a feasible solution to
        begin from."""


@dataclass
class MipStart:
    """Outcome of the heuristic: a verified start, or the reason there is none."""

    values: np.ndarray | None = field(repr=False)  # column values (None: no start)
    objective: float | None  # model objective at the start (HiGHS's units, offset included)
    seconds: float
    reason: str  # "ok" or why there is no start
    lp_solves: int = 0
    stages: dict[str, float] = field(default_factory=dict)
    method: str = ""  # how: "dive" or "restricted MIP", then " + RINS" if it improved
    #: objective of the LP relaxation (HiGHS's units): a lower bound on the optimum, so
    #: ``objective / lp_bound - 1`` bounds how far the start is from it
    lp_bound: float | None = None
    #: objective of the dive's fleet before the RINS stage (HiGHS's units)
    dive_objective: float | None = None

    @property
    def ok(self) -> bool:
        """Whether a verified start was found."""
        return self.values is not None


def driving_columns(model: pyo.ConcreteModel, col_of: Mapping[int, int]) -> list[int]:
    """HiGHS columns of the driving integers (:data:`DRIVING`) of ``model``; ``col_of``
    maps ``id(var)`` to its column."""
    cols: list[int] = []
    for name in DRIVING:
        comp = getattr(model, name, None)
        if comp is None:
            continue
        for v in comp.values():
            c = col_of.get(id(v))
            if c is not None and not v.fixed:
                cols.append(c)
    return cols


def column_stages(
    model: pyo.ConcreteModel, col_of: Mapping[int, int]
) -> dict[int, tuple[int, int]]:
    """Stage ``(year, part)`` of each integer column of ``model`` in the host dive (HiGHS
    columns; ``col_of`` maps ``id(var)`` to its column). The year is the purchase year of
    a cohort (``buy_gpu``/``buy_host``, keyed by item, year, lifetime), else the last index
    when it is an integer, else 0 (a column of every year, such as ``gpu_pick``); the part
    is 1 for the host components (:data:`COMPONENT_VARS`), 0 for the rest."""
    out: dict[int, tuple[int, int]] = {}
    for comp in model.component_objects(pyo.Var, active=True, descend_into=True):
        pos = 1 if comp.local_name in COHORTS else -1
        for idx, v in comp.items():
            c = col_of.get(id(v))
            if c is None or v.fixed or not v.is_integer():
                continue
            key = idx if isinstance(idx, tuple) else (idx,)
            y = key[pos] if len(key) > max(pos, 0) else None
            year = y if isinstance(y, int) and not isinstance(y, bool) else 0
            out[c] = (year, int(comp.local_name in COMPONENT_VARS))
    return out


def violations(a: LpArrays, x: np.ndarray, tol: float = FEAS_TOL) -> list[str]:
    """Every violated column bound, integrality and row of ``a`` at ``x`` (empty: feasible).

    Tolerances are absolute for values near 0 and relative to the bound's size beyond 1.
    """
    out: list[str] = []
    if x.shape != a.col_lower.shape or not np.all(np.isfinite(x)):
        return ["start has the wrong length or non-finite values"]

    def scale(b: np.ndarray) -> np.ndarray:
        return tol * np.maximum(1.0, np.abs(np.where(np.isfinite(b), b, 0.0)))

    for i in np.flatnonzero(x < a.col_lower - scale(a.col_lower))[:5]:
        out.append(f"column {i}: {x[i]:g} < lower bound {a.col_lower[i]:g}")
    for i in np.flatnonzero(x > a.col_upper + scale(a.col_upper))[:5]:
        out.append(f"column {i}: {x[i]:g} > upper bound {a.col_upper[i]:g}")
    frac = np.abs(x - np.round(x))
    for i in np.flatnonzero(a.integer & (frac > INT_TOL))[:5]:
        out.append(f"column {i}: {x[i]:g} is not integral")
    act = np.zeros(len(a.row_lower))
    np.add.at(act, a.rows, a.value * x[a.cols])
    for r in np.flatnonzero(act < a.row_lower - scale(a.row_lower))[:5]:
        out.append(f"row {r}: {act[r]:g} < {a.row_lower[r]:g}")
    for r in np.flatnonzero(act > a.row_upper + scale(a.row_upper))[:5]:
        out.append(f"row {r}: {act[r]:g} > {a.row_upper[r]:g}")
    return out


def objective_value(a: LpArrays, x: np.ndarray) -> float:
    """Objective of ``x`` (HiGHS's units, offset included)."""
    return float(a.cost @ x + a.offset)


def _first_rounding(v: float, nearest: bool) -> float:
    """The rounding a dive tries first: the ceiling, or with ``nearest`` the nearer integer."""
    return float(round(v)) if nearest else float(math.ceil(v))


def round_up_dive(
    rx: Relaxation,
    cols: Sequence[int],
    deadline: float,
    fixed: Mapping[int, float] | None = None,
    stop_when_stuck: bool = False,
    nearest: bool = False,
    x0: np.ndarray | None = None,
    share: float = ROUND_SHARE,
) -> tuple[dict[int, float] | None, np.ndarray | None, int, str]:
    """Round ``cols`` up, a share per round, re-solving the LP in between (module
    docstring, step 2): ``(fixings, last LP solution, LP solves, reason)``.

    An integer that neither rounding keeps LP-feasible is left free (``reason`` then
    starts with ``stuck``: the fixings are partial and the last LP solution is not
    integral). Fixings ``None``: the first LP has no optimal solution or the deadline (a
    ``time.perf_counter()`` value) passed. ``stop_when_stuck``: return at the first such
    integer (for a caller that discards a stuck dive's fixings anyway). ``nearest``: try
    the nearer integer first (closest first) instead of the ceiling (largest fractional
    part first). ``x0``: the LP solution for ``fixed`` when the caller has it (no first
    LP solve). ``share``: of the fractional integers fixed per round.
    """
    fix: dict[int, float] = dict(fixed or {})
    stuck: set[int] = set()
    lps = 0

    def lp(trial: Mapping[int, float]) -> np.ndarray | None:
        nonlocal lps
        lps += 1
        return rx.solve_lp(trial, deadline - time.perf_counter())

    x = lp(fix) if x0 is None else x0
    if x is None:
        return None, None, lps, "LP relaxation without an optimal solution"
    while True:
        if time.perf_counter() > deadline:
            return None, None, lps, "time budget spent in the LP dive"
        frac = [(x[c] - math.floor(x[c]), c) for c in cols if c not in fix and c not in stuck]
        frac = [(f, c) for f, c in frac if INT_TOL < f < 1 - INT_TOL]
        if not frac:
            if stuck:
                return fix, x, lps, f"stuck: {len(stuck)} integers no rounding keeps feasible"
            for c in cols:
                fix.setdefault(c, float(round(x[c])))
            return fix, x, lps, "ok"
        if nearest:  # closest to an integer first, to that integer
            frac.sort(key=lambda fc: min(fc[0], 1.0 - fc[0]))
        else:
            frac.sort(reverse=True)
        batch = [c for _f, c in frac[: max(1, int(len(frac) * share))]]
        first = {c: _first_rounding(x[c], nearest) for c in batch}
        y = lp({**fix, **first})
        if y is not None:
            fix.update(first)
            x = y
            continue
        c = batch[0]  # one at a time, the first rounding then the other
        other = float(math.floor(x[c])) if first[c] > x[c] else float(math.ceil(x[c]))
        for v in (first[c], other):
            y = lp({**fix, c: v})
            if y is not None:
                fix[c] = v
                x = y
                break
        else:
            stuck.add(c)
            if stop_when_stuck:
                return fix, x, lps, f"stuck: {len(stuck)} integers no rounding keeps feasible"


def free_decrements(a: LpArrays, x: np.ndarray, cols: Sequence[int]) -> list[int]:
    """Columns of ``cols`` (in order, each at least 1 above its lower bound) that can each
    lose one unit at ``x`` with every row still within its bounds, all of them together,
    the other columns unchanged (chosen greedily: no LP solve needed to know the
    decrements are feasible)."""
    act = np.zeros(len(a.row_lower))
    np.add.at(act, a.rows, a.value * x[a.cols])
    order = np.argsort(a.cols, kind="stable")
    starts = np.searchsorted(a.cols[order], np.arange(len(x) + 1))
    lo = a.row_lower - FEAS_TOL * np.maximum(
        1.0, np.abs(np.where(np.isfinite(a.row_lower), a.row_lower, 0.0))
    )
    hi = a.row_upper + FEAS_TOL * np.maximum(
        1.0, np.abs(np.where(np.isfinite(a.row_upper), a.row_upper, 0.0))
    )
    out: list[int] = []
    for c in cols:
        if x[c] - 1.0 < a.col_lower[c] - FEAS_TOL:
            continue
        k = order[starts[c] : starts[c + 1]]
        r, new = a.rows[k], act[a.rows[k]] - a.value[k]
        if np.all(new >= lo[r]) and np.all(new <= hi[r]):
            act[r] = new
            out.append(int(c))
    return out


def shave(
    rx: Relaxation,
    a: LpArrays,
    cols: Sequence[int],
    fixed: Mapping[int, float],
    x: np.ndarray,
    deadline: float,
    max_trials: int,
) -> tuple[dict[int, float], np.ndarray, int]:
    """Take rounded ``cols`` back where the LP stays feasible and gets cheaper:
    ``(fixings, LP solution, LP solves)``. First the decrements the rows allow at ``x``
    as they are (:func:`free_decrements`, all at once, one LP, repeated while it finds
    any), then one pass of single decrements (positive values first, largest first, at
    most ``max_trials``), each kept where its LP is feasible and cheaper. The round-up
    dive rounds up to stay feasible; taking one back where the LP moves the load
    elsewhere more cheaply undoes a part of that rounding."""
    fix = dict(fixed)
    best = objective_value(a, x)
    lps = 0

    def better(y: np.ndarray | None) -> bool:
        return y is not None and objective_value(a, y) < best - 1e-9 * max(1.0, abs(best))

    for _ in range(max_trials):
        if time.perf_counter() > deadline:
            break
        free = free_decrements(
            a, x, sorted((c for c in cols if fix.get(c, 0.0) >= 1.0), key=lambda c: -fix[c])
        )
        if not free:
            break
        y = rx.solve_lp({**fix, **{c: fix[c] - 1.0 for c in free}}, deadline - time.perf_counter())
        lps += 1
        if y is None or not better(y):
            break
        fix.update({c: fix[c] - 1.0 for c in free})
        x, best = y, objective_value(a, y)
    order = sorted((c for c in cols if fix.get(c, 0.0) >= 1.0), key=lambda c: -fix[c])
    for c in order[: max(0, max_trials - lps)]:
        if time.perf_counter() > deadline:
            break
        y = rx.solve_lp({**fix, c: fix[c] - 1.0}, deadline - time.perf_counter())
        lps += 1
        if y is not None and better(y):
            fix[c] -= 1.0
            x, best = y, objective_value(a, y)
    return fix, x, lps


def staged_dive(
    rx: Relaxation,
    cols: Sequence[int],
    stages: Mapping[int, tuple[int, int]],
    deadline: float,
    fixed: Mapping[int, float],
    x0: np.ndarray | None = None,
) -> tuple[dict[int, float] | None, np.ndarray | None, int, str]:
    """The host dive (module docstring, step 3) one stage (:func:`column_stages`) at a
    time, earliest first: :func:`round_up_dive` on year 1's hosts (deployed hosts, owned
    items in use, cohorts bought that year), then year 1's components, then year 2 on top
    of those fixings, and so on. A cohort bought in year :math:`y_0` serves every later
    year of its lifetime, so its hosts are in place before a later year is rounded, and a
    deployment's hosts are integral before its components are; a dive over all of them at
    once rounds a component count or a later year first and then finds no rounding of a
    host count that keeps the rows (the stuck dive before). Stops at the first stuck
    integer."""
    fix: dict[int, float] = dict(fixed)
    lps = 0
    x = x0
    by_stage: dict[tuple[int, int], list[int]] = {}
    for c in cols:
        by_stage.setdefault(stages.get(c, (0, 0)), []).append(c)
    for stage in sorted(by_stage):
        got, x, more, reason = round_up_dive(
            rx, by_stage[stage], deadline, fix, True, True, x, HOST_ROUND_SHARE
        )
        lps += more
        if got is None or reason != "ok":
            return got, x, lps, f"year {stage[0]}: {reason}"
        fix = got
    return fix, x, lps, "ok"


def rins(
    rx: Relaxation, a: LpArrays, x_lp: np.ndarray, x: np.ndarray, time_limit: float
) -> tuple[np.ndarray, str]:
    """RINS (relaxation-induced neighbourhood search) from the verified start ``x``:
    ``(start, what happened)``. Every integer column on which the first LP solution
    ``x_lp`` and ``x`` agree is fixed at that value, the others are left free, and HiGHS
    solves that sub-MIP from ``x`` (:data:`RINS_GAP`, ``time_limit`` s). Its solution
    replaces ``x`` only if it is verified (:func:`violations`) and cheaper; otherwise, and
    when the sub-MIP fails, ``x`` is returned as it is."""
    obj = objective_value(a, x)
    if obj - objective_value(a, x_lp) <= RINS_GAP * max(abs(obj), 1e-10):
        return x, "start within the RINS gap of the LP bound"
    free = a.integer & (np.abs(x_lp - x) > INT_TOL)
    if not free.any() or time_limit <= 0:
        return x, "nothing to search" if time_limit > 0 else "no time left"
    fixed = {int(c): float(x[c]) for c in np.flatnonzero(a.integer & ~free)}
    try:
        y = rx.solve_mip(fixed, time_limit, RINS_GAP, x)
    except Exception as exc:  # the verified start stands whatever the sub-MIP does
        return x, f"sub-MIP failed ({exc})"
    if y is None:
        return x, "sub-MIP without a solution"
    y = np.where(a.integer, np.round(y), y)
    if violations(a, y):
        return x, "sub-MIP solution violates the model"
    if objective_value(a, y) >= obj - 1e-9 * max(1.0, abs(obj)):
        return x, "no better fleet in the neighbourhood"
    return y, f"improved ({int(free.sum())} integers free)"


def build_start(
    model: pyo.ConcreteModel,
    col_of: Mapping[int, int],
    rx: Relaxation,
    budget_s: float = DEFAULT_BUDGET_S,
) -> MipStart:
    """Run the heuristic (module docstring) on ``model`` as handed to HiGHS; never raises
    for a heuristic failure (the reason is in :attr:`MipStart.reason`)."""
    t0 = time.perf_counter()
    deadline = t0 + budget_s

    def fail(reason: str, lps: int = 0) -> MipStart:
        log.info("MIP start: none (%s)", reason)
        return MipStart(None, None, time.perf_counter() - t0, reason, lps)

    a = rx.arrays()
    if not a.integer.any():
        return fail("the model has no integer variables")
    cols = driving_columns(model, col_of)
    x_lp = rx.solve_lp({}, deadline - time.perf_counter())
    if x_lp is None:
        return fail("LP relaxation without an optimal solution", 1)
    lp_bound = objective_value(a, x_lp)
    t_lp = time.perf_counter() - t0
    fixed, x, lps, reason = round_up_dive(rx, cols, deadline, x0=x_lp)
    lps += 1
    if fixed is not None and x is not None and reason == "ok" and SHAVE_TRIALS:
        fixed, x, more = shave(rx, a, cols, fixed, x, deadline, SHAVE_TRIALS)
        lps += more
    t_dive = time.perf_counter() - t0
    if fixed is None:
        return fail(reason, lps)
    how = "dive"
    if reason == "ok":
        rest = [int(c) for c in np.flatnonzero(a.integer) if int(c) not in fixed]
        stages = column_stages(model, col_of)
        full, x_full, more, reason = staged_dive(rx, rest, stages, deadline, fixed, x)
        lps += more
        if full is None or reason != "ok":
            x = None
        elif x_full is not None:  # None: no host integers, the replica dive's LP is final
            x = x_full
    if x is None or reason != "ok":
        log.debug("MIP start: dive incomplete (%s); restricted MIP", reason)
        how = "restricted MIP"
        x = rx.solve_mip(fixed, deadline - time.perf_counter(), SUB_MIP_GAP)
        if x is None:
            return fail(f"restricted MIP without a solution within the budget ({reason})", lps)
    bad = violations(a, x)
    if bad:
        return fail("candidate violates the model: " + "; ".join(bad), lps)
    # integral columns exactly integral: HiGHS re-checks the start with its own tolerance
    x = np.where(a.integer, np.round(x), x)
    t_hosts = time.perf_counter() - t0
    dive_obj = objective_value(a, x)
    if RINS_SHARE > 0:
        limit = min(max(RINS_MIN_S, RINS_SHARE * t_hosts), deadline - time.perf_counter())
        x, note = rins(rx, a, x_lp, x, limit)
        log.debug("MIP start: RINS %s", note)
        if note.startswith("improved"):
            how += " + RINS"
    seconds = time.perf_counter() - t0
    start = MipStart(
        x,
        objective_value(a, x),
        seconds,
        "ok",
        lps,
        {
            "lp_s": t_lp,
            "replicas_s": t_dive - t_lp,
            "hosts_s": t_hosts - t_dive,
            "rins_s": seconds - t_hosts,
        },
        how,
        lp_bound,
        dive_obj,
    )
    log.debug(
        "MIP start: solver objective %.6g in %.1f s (%d LP solves, %d replica counts, %s)",
        start.objective,
        seconds,
        lps,
        len(cols),
        how,
    )
    return start


def start_meta(start: MipStart, scale: float) -> dict[str, Any]:
    """What ``Results.meta["mip_start"]`` reports beyond the objective and the seconds:
    how the start was built (``method``, or ``reason`` when there is none), its LP
    solves and stage times (s), and its quality: the LP relaxation's bound (``lp_bound``,
    objective units; ``scale``: HiGHS's objective per unit) and the start's gap to it
    (``gap_to_lp``, an upper bound on its distance to the optimum)."""
    out: dict[str, Any] = {
        "method": start.method if start.ok else "none",
        "reason": start.reason,
        "lp_solves": start.lp_solves,
        "stages_s": {k: round(v, 3) for k, v in start.stages.items()},
    }
    if start.dive_objective is not None:
        out["dive_objective"] = start.dive_objective / scale
    if start.lp_bound is not None:
        out["lp_bound"] = start.lp_bound / scale
        if start.objective is not None and start.ok:
            out["gap_to_lp"] = (start.objective - start.lp_bound) / max(abs(start.objective), 1e-10)
    return out


def model_violations(model: pyo.ConcreteModel, tol: float = FEAS_TOL) -> list[str]:
    """Every active constraint and variable bound/domain of ``model`` violated at the
    variables' current values (Pyomo's view, for tests and diagnostics)."""
    out: list[str] = []
    for v in model.component_data_objects(pyo.Var, active=True, descend_into=True):
        if v.value is None:
            continue
        val = float(v.value)
        if v.lb is not None and val < v.lb - tol * max(1.0, abs(v.lb)):
            out.append(f"{v.name} = {val:g} < {v.lb:g}")
        if v.ub is not None and val > v.ub + tol * max(1.0, abs(v.ub)):
            out.append(f"{v.name} = {val:g} > {v.ub:g}")
        if v.is_integer() and abs(val - round(val)) > INT_TOL:
            out.append(f"{v.name} = {val:g} is not integral")
    for c in model.component_data_objects(pyo.Constraint, active=True, descend_into=True):
        body: Any = pyo.value(c.body, exception=False)
        if body is None:
            out.append(f"{c.name}: body has unset variables")
            continue
        lo, hi = pyo.value(c.lower), pyo.value(c.upper)
        if lo is not None and body < lo - tol * max(1.0, abs(lo)):
            out.append(f"{c.name}: {body:g} < {lo:g}")
        if hi is not None and body > hi + tol * max(1.0, abs(hi)):
            out.append(f"{c.name}: {body:g} > {hi:g}")
    return out
