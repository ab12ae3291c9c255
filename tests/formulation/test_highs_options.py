"""``solver.highs_options``: further HiGHS options by name, checked before the solve."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

import ecoserve_opt as eo
from ecoserve_opt.exceptions import SolverError
from ecoserve_opt.io.yaml_loader import LoadedScenario

pytestmark = pytest.mark.milp


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.text.append(record.getMessage())


def _solve_logged(loaded: LoadedScenario) -> tuple[eo.Results, str]:
    lg = logging.getLogger("ecoserve_opt.highs")
    h = _Lines()
    lg.addHandler(h)
    old = lg.level
    lg.setLevel(logging.INFO)
    try:
        res = eo.solve(loaded, tee=True)
    finally:
        lg.removeHandler(h)
        lg.setLevel(old)
    return res, "\n".join(h.text)


def test_options_reach_highs_and_keep_the_optimum(
    tiny_dict: dict[str, Any], scenario_from: Callable[..., LoadedScenario]
) -> None:
    plain, log_plain = _solve_logged(scenario_from(tiny_dict))
    # YAML reads `presolve: off` as false: it becomes HiGHS's string "off"
    off = scenario_from(tiny_dict, **{"solver.highs_options": {"presolve": False}})
    assert off.scenario.solver.highs_options == {"presolve": False}
    res, log_off = _solve_logged(off)
    assert "Presolving model" in log_plain
    assert "Presolving model" not in log_off
    assert res.carbon == pytest.approx(plain.carbon, rel=1e-9) == pytest.approx(3950.2)


def test_integer_for_a_double_option_is_accepted(
    tiny_dict: dict[str, Any], scenario_from: Callable[..., LoadedScenario]
) -> None:
    loaded = scenario_from(tiny_dict, **{"solver.highs_options": {"mip_heuristic_effort": 1}})
    assert eo.solve(loaded).carbon == pytest.approx(3950.2)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"no_such_option": 1}, "solver.highs_options.no_such_option: not a HiGHS option"),
        ({"threads": "many"}, "solver.highs_options.threads: HiGHS rejects the value 'many'"),
        ({"presolve": "sometimes"}, "solver.highs_options.presolve: HiGHS rejects the value"),
    ],
)
def test_bad_options_are_named(
    tiny_dict: dict[str, Any],
    scenario_from: Callable[..., LoadedScenario],
    options: dict[str, Any],
    message: str,
) -> None:
    loaded = scenario_from(tiny_dict, **{"solver.highs_options": options})
    with pytest.raises(SolverError, match=message.replace(".", r"\.")):
        eo.solve(loaded)
