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
3. **Hosts**: the same dive on every other integer (cohorts, deployed hosts, components,
   owned items in use); its last LP solution is integral, a solution of the full model.
   If either dive leaves an integer free, a **restricted MIP** (the replica counts fixed at
   their dive values, HiGHS on the rest to a 1% gap within the time budget) completes the
   fleet instead.

The candidate is then **verified** against every row, column bound and integrality of the
matrix HiGHS holds (:func:`violations`); only a verified start is handed over. Any failure
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
#: Share of the fractional driving integers fixed per dive round (at least one).
ROUND_SHARE = 0.25
#: Integrality and feasibility tolerances of the verification (HiGHS's defaults are 1e-6
#: for both; the check is on the unscaled rows, so a relative slack is allowed).
INT_TOL = 1e-6
FEAS_TOL = 1e-6
#: Gap of the restricted MIP (a start within this of the best fleet for the dive's counts).
SUB_MIP_GAP = 0.01
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
        self, fixed: Mapping[int, float], time_limit: float, rel_gap: float
    ) -> np.ndarray | None:
        """Column values of the best solution of the MIP with ``fixed`` columns fixed
        (None: no solution within the time limit)."""


@dataclass
class MipStart:
    """Outcome of the heuristic: a verified start, or the reason there is none."""

    values: np.ndarray | None = field(repr=False)  # column values (None: no start)
    objective: float | None  # model objective at the start (HiGHS's units, offset included)
    seconds: float
    reason: str  # "ok" or why there is no start
    lp_solves: int = 0
    stages: dict[str, float] = field(default_factory=dict)
    method: str = ""  # how the hosts were completed: "dive" or "restricted MIP"

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


def round_up_dive(
    rx: Relaxation,
    cols: Sequence[int],
    deadline: float,
    fixed: Mapping[int, float] | None = None,
    stop_when_stuck: bool = False,
) -> tuple[dict[int, float] | None, np.ndarray | None, int, str]:
    """Round ``cols`` up, a share per round, re-solving the LP in between (module
    docstring, step 2): ``(fixings, last LP solution, LP solves, reason)``.

    An integer that neither rounding keeps LP-feasible is left free (``reason`` then
    starts with ``stuck``: the fixings are partial and the last LP solution is not
    integral). Fixings ``None``: the first LP has no optimal solution or the deadline (a
    ``time.perf_counter()`` value) passed. ``stop_when_stuck``: return at the first such
    integer (for a caller that discards a stuck dive's fixings anyway).
    """
    fix: dict[int, float] = dict(fixed or {})
    stuck: set[int] = set()
    lps = 0

    def lp(trial: Mapping[int, float]) -> np.ndarray | None:
        nonlocal lps
        lps += 1
        return rx.solve_lp(trial, deadline - time.perf_counter())

    x = lp(fix)
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
        frac.sort(reverse=True)
        batch = [c for _f, c in frac[: max(1, int(len(frac) * ROUND_SHARE))]]
        y = lp({**fix, **{c: float(math.ceil(x[c])) for c in batch}})
        if y is not None:
            fix.update({c: float(math.ceil(x[c])) for c in batch})
            x = y
            continue
        c = batch[0]  # one at a time, up then down
        for v in (float(math.ceil(x[c])), float(math.floor(x[c]))):
            y = lp({**fix, c: v})
            if y is not None:
                fix[c] = v
                x = y
                break
        else:
            stuck.add(c)
            if stop_when_stuck:
                return fix, x, lps, f"stuck: {len(stuck)} integers no rounding keeps feasible"


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
    fixed, x, lps, reason = round_up_dive(rx, cols, deadline)
    t_dive = time.perf_counter() - t0
    if fixed is None:
        return fail(reason, lps)
    how = "dive"
    if reason == "ok":
        rest = [int(c) for c in np.flatnonzero(a.integer) if int(c) not in fixed]
        # a stuck host dive's fixings are dropped (the restricted MIP starts from the
        # replica counts), so it stops at its first stuck integer
        full, x, more, reason = round_up_dive(rx, rest, deadline, fixed, stop_when_stuck=True)
        lps += more
        if full is None or reason != "ok":
            x = None
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
    seconds = time.perf_counter() - t0
    start = MipStart(
        x,
        objective_value(a, x),
        seconds,
        "ok",
        lps,
        {"replicas_s": t_dive, "hosts_s": seconds - t_dive},
        how,
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
