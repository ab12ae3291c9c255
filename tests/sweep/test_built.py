"""Model changes on a built model: parameters, caps, objectives, lexicographic solves.

Designs and numbers: the ``tradeoff`` scenario of tests/sweep/conftest.py
(B 1170.88 USD / 5061.6 kg, D 1565.76 USD / 4408.2 kg, A 1795.68 USD / 3950.2 kg).
"""

from __future__ import annotations

import pyomo.environ as pyo
import pytest

import ecoserve_opt as eo
from ecoserve_opt.formulation.objectives import LEX_REL_TOL, get_cap, lexicographic_cap
from ecoserve_opt.grid import trend_factor
from ecoserve_opt.io.yaml_loader import LoadedScenario, validate_dict
from tests.helpers import tiny

pytestmark = pytest.mark.milp


def test_lexicographic_cap_uses_the_one_tolerance() -> None:
    assert lexicographic_cap(1000.0) == pytest.approx(1000.0 * (1 + LEX_REL_TOL))
    assert lexicographic_cap(-50.0) > -50.0  # never tighter than the optimum


def test_lexicographic_solve_keeps_the_primary_optimum(tradeoff: LoadedScenario) -> None:
    built = eo.build(tradeoff)
    built.set_objective("carbon")
    res = built.solve(secondary="cost")
    assert res.carbon == pytest.approx(3950.2, rel=1e-9)  # A: the only min-carbon design
    assert res.metrics["cost_usd"] == pytest.approx(1795.68, rel=1e-9)
    # the temporary cap is gone and the objective is back
    assert get_cap(built.model, "carbon") is None
    assert built.model.obj_carbon.active
    assert not built.model.obj_cost.active


def test_a_users_cap_survives_a_lexicographic_solve(tradeoff: LoadedScenario) -> None:
    built = eo.build(tradeoff)
    built.set_parameters({"cap.carbon": 4500.0})
    built.set_objective("cost")
    res = built.solve(secondary="carbon")
    assert res.metrics["cost_usd"] == pytest.approx(1565.76, rel=1e-9)  # D
    assert res.carbon == pytest.approx(4408.2, rel=1e-9)
    assert get_cap(built.model, "carbon") == pytest.approx(4500.0, rel=1e-6)
    assert get_cap(built.model, "cost") is None


def test_set_parameters_restores_the_scenario_values(tradeoff: LoadedScenario) -> None:
    built = eo.build(tradeoff)
    m = built.model
    built.set_parameters({"pue": 1.5, "demand_scale": 2.0, "grid_intensity": 100})  # g/kWh
    assert pyo.value(m.pue) == 1.5
    assert pyo.value(m.demand_scale) == 2.0
    assert pyo.value(m.ci_scale) == pytest.approx(0.1 / 0.5)
    built.set_parameters({})
    assert pyo.value(m.pue) == built.data.pue
    assert pyo.value(m.demand_scale) == 1.0
    assert pyo.value(m.ci_scale) == 1.0
    with pytest.raises(ValueError, match="not a model parameter: grid.pue"):
        built.set_parameters({"grid.pue": 1.2})


def test_zero_intensity_scenario_gets_flat_values_with_its_trend() -> None:
    data = tiny()
    data["grid"]["intensity"] = 0
    data["grid"]["trend_per_year"] = -0.5
    data["horizon"] = "2 years"
    built = eo.build(validate_dict(data))
    built.set_grid_intensity(0.2)
    m = built.model
    assert pyo.value(m.ci[1, 0]) == pytest.approx(0.2)
    assert pyo.value(m.ci[2, 0]) == pytest.approx(0.2 * trend_factor(-0.5, 1)) == 0.1
    # and the scenario's data uses the same formula
    data["grid"]["intensity"] = "200 gCO2e/kWh"
    d = eo.build(validate_dict(data)).data
    assert d.ci[(2, 0)] == pytest.approx(0.1)
