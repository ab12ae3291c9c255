"""The batched hand-off (``solve._PersistentHighs``, issue 20) sends HiGHS exactly the model
that Pyomo's persistent interface sends column by column: same columns in the same order,
bounds, integrality, costs, rows and non-zeros."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from pyomo.contrib.solver.solvers.highs import Highs
from pyomo.environ import Var

from ecoserve_opt import build, load_scenario
from ecoserve_opt.paths import bundled_scenarios
from ecoserve_opt.solve import _PersistentHighs


def _lp(solver: Highs, model: Any) -> dict[str, np.ndarray]:
    solver.set_instance(model)
    h = solver._solver_model
    lp = h.getLp()
    a = lp.a_matrix_
    col = solver._pyomo_var_to_solver_var_map  # id(var) -> column
    names = [(v.name, col[id(v)]) for v in model.component_data_objects(Var) if id(v) in col]
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
        "col_of_var": np.array(sorted(names)),
    }


@pytest.mark.parametrize("name", ["default", "ecoserve_paper"])
def test_batched_handoff_sends_the_same_model(name: str) -> None:
    model = build(load_scenario(bundled_scenarios()[name])).model
    plain, batched = _lp(Highs(), model), _lp(_PersistentHighs(), model)
    assert plain["col_cost"].size > 100
    for key, want in plain.items():
        np.testing.assert_array_equal(batched[key], want, err_msg=key)
