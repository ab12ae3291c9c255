"""Exact bounds from a known incumbent (``solver.cutoff_bounds``, ecoserve_opt/solve_bounds.py).

* hand-worked bounds on a two-variable problem;
* brute force on random small MILPs: every integer point with objective at most the cutoff
  meets the bounds (none is cut), for cutoffs at, above and well above the optimum;
* the bounded solve (heuristic start + cutoff bounds) has the plain model's optimum at gap 0
  on the tiny variants of test_tighten.py and on the brute-force fleets of
  test_bruteforce.py;
* the bounds hold for one solve: HiGHS gets the model's own bounds back afterwards, and a
  persistent re-solve after a grid-intensity change (a sweep step) equals a fresh solve.
"""

from __future__ import annotations

import copy
import itertools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyomo.core as pyo
import pytest

import ecoserve_opt as eo
from ecoserve_opt.heuristics import LpArrays
from ecoserve_opt.io.yaml_loader import validate_dict
from ecoserve_opt.solve import SolveOptions, Solver, _ensure_scheduler, _HighsRelaxation
from ecoserve_opt.solve_bounds import cutoff_bounds, propagate
from tests.formulation.test_bruteforce import _apply, _catalog, _enumerate, _instance
from tests.formulation.test_tighten import VARIANTS

pytestmark = pytest.mark.milp


def _two_vars() -> LpArrays:
    """min x0 + 2 x1 s.t. x0 + x1 >= 1.5, x0, x1 integer in [0, 10]."""
    return LpArrays(
        col_lower=np.array([0.0, 0.0]),
        col_upper=np.array([10.0, 10.0]),
        row_lower=np.array([1.5]),
        row_upper=np.array([np.inf]),
        rows=np.array([0, 0]),
        cols=np.array([0, 1]),
        value=np.array([1.0, 1.0]),
        cost=np.array([1.0, 2.0]),
        offset=0.0,
        integer=np.array([True, True]),
    )


def test_hand_worked_bounds() -> None:
    """LP optimum x0 = 1.5 (1.5), row dual 1, reduced costs (0, 1). Cutoff 2: window 0.5,
    so x1 <= 0.5 -> 0 and x0 + x1 <= 2, hence x0 = 2 (the only point of objective <= 2).
    Cutoff 3: x1 <= 1, x0 <= 3 and x0 >= 1.5 - 1 -> 1; the points of objective <= 3 are
    (2, 0), (3, 0) and (1, 1)."""
    a = _two_vars()
    b = cutoff_bounds(a, np.array([1.0]), 2.0, keep=np.array([2.0, 0.0]))
    assert b.lagrangian == pytest.approx(1.5)
    assert b.window == pytest.approx(0.5, abs=1e-5)
    assert b.cols.tolist() == [0, 1]
    assert b.lower.tolist() == [2.0, 0.0]
    assert b.upper.tolist() == [2.0, 0.0]
    b = cutoff_bounds(a, np.array([1.0]), 3.0, keep=np.array([2.0, 0.0]))
    assert b.lower.tolist() == [1.0, 0.0]
    assert b.upper.tolist() == [3.0, 1.0]


def test_the_incumbent_is_never_cut() -> None:
    """Whatever the duals say, the incumbent stays within the bounds (here a point the
    cutoff would exclude: the bounds widen to keep it)."""
    b = cutoff_bounds(_two_vars(), np.array([1.0]), 2.0, keep=np.array([0.0, 4.0]))
    assert b.lower.tolist() == [0.0, 0.0]
    assert b.upper.tolist() == [2.0, 4.0]


def test_no_bounds_without_a_finite_lagrangian() -> None:
    """A column with a non-zero reduced cost and no bound on the side that matters (x1
    free above, cost -1 and no row limits it): no bound is claimed."""
    a = _two_vars()
    a = LpArrays(
        **{**a.__dict__, "col_upper": np.array([10.0, np.inf]), "cost": np.array([1.0, -1.0])}
    )
    b = cutoff_bounds(a, np.array([0.0]), 5.0, keep=np.array([2.0, 0.0]))
    assert b.count == 0
    assert b.reason.startswith("a column with a non-zero reduced cost")


def test_propagation_by_hand() -> None:
    """x0 + 2 x1 <= 7 with x in [0, 10] integer: x0 <= 7, x1 <= 3; with x0 >= 3 also
    x1 <= 2."""
    a = LpArrays(
        col_lower=np.array([0.0, 0.0]),
        col_upper=np.array([10.0, 10.0]),
        row_lower=np.array([-np.inf]),
        row_upper=np.array([7.0]),
        rows=np.array([0, 0]),
        cols=np.array([0, 1]),
        value=np.array([1.0, 2.0]),
        cost=np.zeros(2),
        offset=0.0,
        integer=np.array([True, True]),
    )
    lo, up = propagate(a, a.col_lower, a.col_upper, a.row_lower, a.row_upper)
    assert up.tolist() == [7.0, 3.0]
    lo, up = propagate(a, np.array([3.0, 0.0]), a.col_upper, a.row_lower, a.row_upper)
    assert up.tolist() == [7.0, 2.0]


def _random_milp(seed: int) -> tuple[pyo.ConcreteModel, np.ndarray, np.ndarray, np.ndarray]:
    """Three integers in [0, 6] and a continuous s >= 0 covering three random rows, a
    budget row and positive costs: ``(model, A, b, cost)`` with rows ``A [x, s] >= b``."""
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 6, size=(3, 3)).astype(float)
    s_coef = rng.uniform(0.5, 2.0, size=3)
    b = rng.uniform(5.0, 20.0, size=3)
    cost = np.append(rng.uniform(1.0, 10.0, size=3), rng.uniform(2.0, 15.0))
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(3), domain=pyo.NonNegativeIntegers, bounds=(0, 6))
    m.s = pyo.Var(domain=pyo.NonNegativeReals)
    m.cover = pyo.Constraint(
        range(3),
        rule=lambda _m, i: sum(a[i, j] * m.x[j] for j in range(3)) + s_coef[i] * m.s >= b[i],
    )
    m.budget = pyo.Constraint(expr=sum(m.x[j] for j in range(3)) <= 14)
    m.obj = pyo.Objective(expr=sum(cost[j] * m.x[j] for j in range(3)) + cost[3] * m.s)
    full = np.hstack([a, s_coef[:, None]])
    return m, full, b, cost


def _enumerate_points(full: np.ndarray, b: np.ndarray, cost: np.ndarray) -> list[tuple[Any, float]]:
    """Every feasible integer vector with its best continuous completion's objective."""
    out = []
    for x in itertools.product(range(7), repeat=3):
        if sum(x) > 14:
            continue
        need = (b - full[:, :3] @ np.array(x, dtype=float)) / full[:, 3]
        s = max(0.0, float(need.max()))
        out.append((x, float(cost[:3] @ np.array(x, dtype=float) + cost[3] * s)))
    return out


@pytest.mark.parametrize("seed", range(8))
def test_no_point_within_the_cutoff_is_cut(seed: int) -> None:
    m, full, b, cost = _random_milp(seed)
    solver = Solver(SolveOptions())
    solver._hand_off(m)  # noqa: SLF001
    h = solver._highs._solver_model  # noqa: SLF001
    col = solver._highs._pyomo_var_to_solver_var_map  # noqa: SLF001
    xcols = [col[id(m.x[j])] for j in range(3)]
    _ensure_scheduler(1)  # an earlier test may have run HiGHS with another thread count
    rx = _HighsRelaxation(h, 1, 0)
    assert rx.solve_lp({}, 10.0) is not None
    a = rx.arrays()
    points = _enumerate_points(full, b, cost)
    best = min(obj for _x, obj in points)
    tightened = 0
    for factor in (1.0, 1.05, 1.5):
        cutoff = best * factor
        # raw bounds (the incumbent clamp switched off: keep at the old bound on each side)
        ub = cutoff_bounds(a, rx.root_duals, cutoff, keep=a.col_lower)
        lb = cutoff_bounds(a, rx.root_duals, cutoff, keep=a.col_upper)
        upper, lower = a.col_upper.copy(), a.col_lower.copy()
        upper[ub.cols], lower[lb.cols] = ub.upper, lb.lower
        tightened += int(np.sum(upper[xcols] < 6)) + int(np.sum(lower[xcols] > 0))
        for x, obj in points:
            if obj <= cutoff * (1 + 1e-9):
                for j, c in enumerate(xcols):
                    assert lower[c] <= x[j] <= upper[c], (seed, factor, x, obj)
    assert tightened > 0


def test_bounded_solves_equal_the_plain_optimum(tiny_dict: dict[str, Any]) -> None:
    """Every tiny variant of test_tighten.py: heuristic start + cutoff bounds and the plain
    solve (no start) reach the same optimum at gap 0."""
    for variant, make in VARIANTS.items():
        data = make(copy.deepcopy(tiny_dict))
        data["solver"] = {**data.get("solver", {}), "mip_rel_gap": 0.0}
        on = eo.solve(validate_dict(data), mip_start="heuristic", cutoff_bounds=True)
        off = eo.solve(validate_dict(data), mip_start="none")
        assert on.optimal, variant
        assert off.optimal, variant
        assert on.carbon == pytest.approx(off.carbon, rel=1e-7), variant


@pytest.mark.parametrize("seed", range(3))
def test_bounded_solve_equals_the_enumeration(
    seed: int, tiny_dict: dict[str, Any], catalog_copy: Callable[..., Path]
) -> None:
    inst = _instance(seed)
    _apply(inst, tiny_dict, _catalog(inst, catalog_copy))
    res = eo.solve(validate_dict(tiny_dict), mip_start="heuristic", cutoff_bounds=True)
    assert res.optimal
    assert res.carbon == pytest.approx(_enumerate(inst), rel=1e-7)


def _highs_bounds(solver: Solver) -> tuple[np.ndarray, np.ndarray]:
    lp = solver._highs._solver_model.getLp()  # noqa: SLF001
    return np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)


def test_bounds_apply_to_one_solve_only(
    tiny_dict: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """The all-pillars tiny variant: the bounds move some integer columns during the solve
    and HiGHS holds the model's own bounds again afterwards."""
    data = VARIANTS["all_pillars"](tiny_dict)
    built = eo.build(validate_dict(data), mip_start="heuristic")
    reference = Solver(built.options)  # the same model handed off, never solved
    reference._hand_off(built.model)  # noqa: SLF001
    before = _highs_bounds(reference)
    with caplog.at_level(logging.INFO, logger="ecoserve_opt.solve"):
        res = built.solve()
    assert res.optimal
    count = [r.getMessage() for r in caplog.records if r.getMessage().startswith("cutoff")]
    assert len(count) == 1
    assert int(count[0].split()[2]) > 0, count
    after = _highs_bounds(built.solver)
    np.testing.assert_array_equal(before[0], after[0])
    np.testing.assert_array_equal(before[1], after[1])


def test_bounds_are_restored_when_highs_fails(
    tiny_dict: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A solve that raises after the start's bounds went in leaves HiGHS with the model's
    own bounds (regression: they stayed, and the next solve of a sweep would have kept
    them although its parameters differ)."""
    from ecoserve_opt.exceptions import SolverError
    from ecoserve_opt.solve_handoff import PersistentHighs

    data = VARIANTS["all_pillars"](tiny_dict)
    built = eo.build(validate_dict(data), mip_start="heuristic")
    reference = Solver(built.options)
    reference._hand_off(built.model)  # noqa: SLF001
    before = _highs_bounds(reference)

    def fail(self: Any, model: Any, **kwargs: Any) -> Any:
        raise RuntimeError("simulated HiGHS failure")

    monkeypatch.setattr(PersistentHighs, "solve", fail)
    with pytest.raises(SolverError, match="HiGHS failed: simulated HiGHS failure"):
        built.solve()
    assert built.solver._bounds is None  # noqa: SLF001
    after = _highs_bounds(built.solver)
    np.testing.assert_array_equal(before[0], after[0])
    np.testing.assert_array_equal(before[1], after[1])


def test_sweep_resolve_after_a_bounded_solve(tiny_dict: dict[str, Any]) -> None:
    """A grid-intensity sweep step: the first solve (500 g/kWh) is bounded by its own
    start; the warm-started re-solve at 5 g/kWh equals a fresh plain solve there
    (regression: with the first solve's bounds left in HiGHS it stopped at 230.5 kg
    instead of 224.2 kg, the bounds cut the low-carbon fleet)."""
    data = VARIANTS["all_pillars"](tiny_dict)
    data["solver"] = {**data.get("solver", {}), "mip_rel_gap": 0.0}
    built = eo.build(validate_dict(data), mip_start="heuristic")
    first = built.solve()
    assert first.optimal
    built.set_parameters({"grid_intensity": 5.0})
    low = built.solve()
    fresh = eo.build(validate_dict(data), mip_start="none")
    fresh.set_parameters({"grid_intensity": 5.0})
    plain = fresh.solve()
    assert low.optimal
    assert plain.optimal
    assert low.carbon == pytest.approx(plain.carbon, rel=1e-7)
    assert low.carbon < first.carbon / 10
