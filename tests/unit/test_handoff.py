"""The bulk hand-off (``solve_handoff.PersistentHighs``, issue 20) gives HiGHS exactly the model
Pyomo's stock persistent interface gives it (same columns in the same order, bounds,
integrality, costs, rows and non-zeros) and fills in the interface's bookkeeping the same
way, so that later updates (mutable Params, constraints switched on and off) reach HiGHS
as they do with the stock interface."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.contrib.solver.solvers.highs import Highs
from pyomo.core.expr.numeric_expr import LinearExpression

from ecoserve_opt import build, load_scenario
from ecoserve_opt.formulation.objectives import set_cap
from ecoserve_opt.io.yaml_loader import validate_dict
from ecoserve_opt.paths import bundled_scenarios
from ecoserve_opt.solve import _PersistentHighs
from ecoserve_opt.solve_handoff import PersistentHighs
from tests.helpers import tiny


def _lp(solver: Highs, model: Any) -> dict[str, Any]:
    """The model HiGHS holds, with the column of every Pyomo variable by name."""
    h = solver._solver_model
    lp = h.getLp()
    a = lp.a_matrix_
    col = solver._pyomo_var_to_solver_var_map  # id(var) -> column
    names = [(v.name, col[id(v)]) for v in model.component_data_objects(pyo.Var) if id(v) in col]
    rows = solver._pyomo_con_to_solver_con_map
    return {
        "col_cost": np.array(lp.col_cost_),
        "col_lower": np.array(lp.col_lower_),
        "col_upper": np.array(lp.col_upper_),
        "row_lower": np.array(lp.row_lower_),
        "row_upper": np.array(lp.row_upper_),
        "integrality": np.array([int(v) for v in lp.integrality_]),
        "a_start": np.array(a.start_),
        "a_index": np.array(a.index_),
        "a_value": np.array(a.value_),
        "offset": np.array([lp.offset_]),
        "sense": np.array([int(lp.sense_)]),
        "col_of_var": np.array(sorted(names)),
        "row_of_con": np.array(sorted((c.name, r) for c, r in rows.items())),
    }


def _helper(hp: Any) -> tuple[Any, ...]:
    kind = type(hp).__name__
    if hasattr(hp, "expr"):  # a coefficient
        return (kind, hp.var_map[hp.pyomo_var_id], pyo.value(hp.expr))
    return (kind, pyo.value(hp.lower_expr), pyo.value(hp.upper_expr))  # bounds


def _bookkeeping(solver: Highs) -> dict[str, Any]:
    """The persistent interface's state, by component name (what later updates read)."""
    s = solver
    var = {i: t[0].name for i, t in solver._vars.items()}
    return {
        "vars": {var[i]: (t[1], t[2], t[3], t[4], t[5]) for i, t in solver._vars.items()},
        "referenced": {
            var[i]: (sorted(c.name for c in r[0]), len(r[1]), r[2] is not None)
            for i, r in solver._referenced_variables.items()
        },
        "by_con": {c.name: [v.name for v in vs] for c, vs in s._vars_referenced_by_con.items()},
        "active": sorted(c.name for c in solver._active_constraints),
        "named": {c.name: len(e) for c, e in solver._named_expressions.items()},
        "helpers": {c.name: [_helper(hp) for hp in hs] for c, hs in s._mutable_helpers.items()},
        "var_bounds": {var[i]: _helper(hp) for i, (_v, hp) in solver._mutable_bounds.items()},
        "params": sorted(solver._params),
        "objective": None if solver._objective is None else solver._objective.name,
    }


def _assert_same(fast: Highs, stock: Highs, model: Any) -> None:
    want, got = _lp(stock, model), _lp(fast, model)
    for key, arr in want.items():
        np.testing.assert_array_equal(got[key], arr, err_msg=key)
    assert _bookkeeping(fast) == _bookkeeping(stock)


def _handed_off(model: Any) -> tuple[Highs, Highs]:
    fast, stock = PersistentHighs(), Highs()
    fast.set_instance(model)
    stock.set_instance(model)
    return fast, stock


@pytest.mark.parametrize("name", ["default", "ecoserve_paper", "tiny"])
def test_bulk_handoff_sends_the_same_model(name: str) -> None:
    loaded = validate_dict(tiny()) if name == "tiny" else load_scenario(bundled_scenarios()[name])
    model = build(loaded).model
    assert _PersistentHighs is PersistentHighs  # the class solve.Solver uses
    fast, stock = _handed_off(model)
    assert fast._solver_model.getNumCol() > (10 if name == "tiny" else 500)  # default: 950
    # the models have mutable Params in bounds, coefficients and the objective
    assert fast._mutable_helpers
    assert fast._mutable_bounds
    _assert_same(fast, stock, model)


def test_param_updates_and_new_rows_reach_highs_after_the_bulk_handoff() -> None:
    model = build(load_scenario(bundled_scenarios()["default"])).model
    fast, stock = _handed_off(model)
    before = _lp(fast, model)
    model.demand_scale.set_value(1.7)  # demand rows, variable bounds, a coefficient
    model.pue.set_value(1.3)  # objective
    model.embodied_scale.set_value(0.5)
    set_cap(model, "carbon", 1e6)  # a deactivated constraint switched on: a new row
    for s in (fast, stock):
        s.update()
    after = _lp(fast, model)
    assert after["row_lower"].size == before["row_lower"].size + 1
    for key in ("row_lower", "col_upper", "col_cost", "a_value"):
        assert not np.array_equal(after[key], before[key][: after[key].size]), key
    _assert_same(fast, stock, model)
    set_cap(model, "carbon", None)  # and off again: the row is removed
    model.demand_scale.set_value(1.0)
    for s in (fast, stock):
        s.update()
    _assert_same(fast, stock, model)
    assert _lp(fast, model)["row_lower"].size == before["row_lower"].size


def _edge_model() -> Any:
    """Every route of the hand-off: constants in a body, repeated and cancelling variables,
    mutable coefficients (one at zero), mutable bounds on rows and columns, a fixed
    variable, variables on both sides, a range, a bare variable, a monomial body, an
    infinite bound."""
    m = pyo.ConcreteModel()
    m.p = pyo.Param(mutable=True, initialize=2.0)
    m.q = pyo.Param(mutable=True, initialize=0.0)
    m.x = pyo.Var([1, 2, 3], bounds=(0, 10))
    m.y = pyo.Var(domain=pyo.Integers, bounds=(-5, 2 * m.p))
    m.b = pyo.Var(domain=pyo.Binary)
    m.z = pyo.Var()
    m.z.fix(3.0)
    m.w = pyo.Var(domain=pyo.NonNegativeReals)  # used only in the objective
    x = m.x
    m.c = pyo.ConstraintList()
    m.c.add(LinearExpression([x[1], 2 * x[2], 3.0]) <= 7)
    m.c.add(LinearExpression([x[1], x[2], -1 * x[1]]) >= m.p)  # x1 cancels
    m.c.add(LinearExpression([m.q * x[3], x[1], m.p * x[1]]) == 1)
    m.c.add(LinearExpression([x[1], m.z]) <= 5)  # fixed variable
    m.c.add(LinearExpression([x[1], x[2]]) >= LinearExpression([x[3], m.y]))
    m.c.add(x[2] <= 2 * x[3])  # both sides: Var - Monomial
    m.c.add(pyo.inequality(-1, x[1] - x[3], m.p))
    m.c.add(x[3] <= 4)
    m.c.add(3 * m.b >= 1)
    m.c.add(LinearExpression([x[1], m.b]) >= -float("inf"))
    m.c.add(LinearExpression([x[2], m.y, m.p + 1.0]) <= 20)  # a mutable constant
    m.o = pyo.Objective(expr=m.p * x[1] + x[2] + m.y + m.w + m.b)
    return m


def test_every_route_gives_the_stock_model_and_updates() -> None:
    m = _edge_model()
    fast, stock = _handed_off(m)
    _assert_same(fast, stock, m)
    m.p.set_value(3.5)
    m.q.set_value(1.5)  # the zero coefficient becomes a non-zero
    m.z.fix(1.0)  # a fixed value change re-adds the row
    for s in (fast, stock):
        s.update()
    _assert_same(fast, stock, m)
    m.c[2].deactivate()
    for s in (fast, stock):
        s.update()
    _assert_same(fast, stock, m)


def test_adding_a_constraint_twice_is_refused() -> None:
    m = _edge_model()
    fast = PersistentHighs()
    fast.set_instance(m)
    with pytest.raises(ValueError, match="has already been added"):
        fast.add_constraints([m.c[1]])
