"""The constructive MIP start (``solver.mip_start: heuristic``, ecoserve_opt/heuristics.py).

* the start satisfies every constraint, bound and integrality of the built model (checked
  by Pyomo on the model itself, not on the matrix the heuristic verified against);
* its objective is never below the optimum, and on the tiny scenario it is the hand-worked
  optimum (factor 1.0: the LP puts all demand on gpu-a, 1000/200 = 5 replicas, and the only
  rounding is 5 GPUs / 4 slots = 1.25 -> 2 hosts);
* switching it on does not move the optimum beyond the gap;
* a start that is not feasible, or a heuristic that fails, falls back to no start.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyomo.environ as pyo
import pytest

import ecoserve_opt as eo
from ecoserve_opt import heuristics as hx
from ecoserve_opt.formulation.objectives import objective_scale
from ecoserve_opt.io.yaml_loader import validate_dict
from ecoserve_opt.solve import Solver

pytestmark = pytest.mark.milp
ROOT = Path(__file__).resolve().parents[2]


def _start(built: Any) -> hx.MipStart:
    """Build the heuristic start of ``built`` and load it into the model's variables."""
    solver = Solver(built.options)
    start = solver.heuristic_start(built.model)
    assert start is not None
    assert start.ok, start.reason
    cols = solver._highs._pyomo_var_to_solver_var_map  # noqa: SLF001
    for v in built.model.component_data_objects(pyo.Var, active=True):
        c = cols.get(id(v))
        if c is not None and not v.fixed:
            v.set_value(float(start.values[c]), skip_validation=True)
    return start


def _carbon_at_start(built: Any) -> float:
    objs = list(built.model.component_data_objects(pyo.Objective, active=True))
    return float(pyo.value(objs[0])) / objective_scale(built.model)


def test_tiny_start_is_the_hand_worked_optimum(tiny_dict: dict[str, Any]) -> None:
    built = eo.build(validate_dict(tiny_dict))
    start = _start(built)
    assert hx.model_violations(built.model) == []
    assert _carbon_at_start(built) == pytest.approx(3950.2, rel=1e-9)
    assert start.objective is not None
    assert start.method == "dive"


def test_tiny_fractional_demand_rounds_up_to_the_optimum(tiny_dict: dict[str, Any]) -> None:
    # 1100 tok/s: LP 5.5 gpu-a replicas -> 6; 6 GPUs on 2 hosts. Hand-worked: GPU power
    # 6 x 50 W idle + 5.5 x 100 W load + 2 hosts x 50 W = 0.95 kW -> 8322 kWh -> 4161 kg;
    # embodied 6 x 20 + 2 x 63.6 = 247.2 kg; total 4408.2 kg, also the optimum (5 gpu-a +
    # 1 gpu-b needs a second host type: 4776.7 kg).
    tiny_dict["llms"]["tiny-llm"]["online"]["tokens_per_s"] = 1100
    built = eo.build(validate_dict(tiny_dict))
    _start(built)
    assert hx.model_violations(built.model) == []
    assert _carbon_at_start(built) == pytest.approx(4408.2, rel=1e-9)
    res = eo.solve(validate_dict(tiny_dict), mip_start="none")
    assert res.metrics["objective"] == pytest.approx(4408.2, rel=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["default.yaml", "ecoserve_paper.yaml"])
def test_start_is_feasible_on_the_bundled_scenarios(scenario: str) -> None:
    built = eo.build(ROOT / "scenarios" / scenario)
    _start(built)
    assert hx.model_violations(built.model) == []


def _xs(tmp_path: Path) -> Path:
    from benchmarks import generate as gen

    return gen.write_scenario(gen.SIZES["XS"], tmp_path, {"solver.mip_rel_gap": 0.01})


def test_start_is_feasible_and_above_the_bound_on_a_synthetic_fleet(tmp_path: Path) -> None:
    path = _xs(tmp_path)
    built = eo.build(path)
    _start(built)
    assert hx.model_violations(built.model) == []
    at_start = _carbon_at_start(built)
    on = eo.solve(path, mip_start="heuristic")
    off = eo.solve(path, mip_start="none")
    # never below the proven lower bound, hence never below the optimum
    assert at_start >= max(on.metrics["bound"], off.metrics["bound"]) * (1 - 1e-9)
    assert on.meta["mip_start"]["objective"] == pytest.approx(at_start, rel=1e-9)
    # switching the start on moves the result by at most the gaps
    gap = on.metrics["gap"] + off.metrics["gap"]
    assert on.metrics["objective"] == pytest.approx(off.metrics["objective"], rel=gap + 1e-9)
    assert "mip_start" not in off.meta


@pytest.mark.slow
def test_switching_the_start_on_keeps_the_optimum_within_the_gap() -> None:
    path = ROOT / "scenarios" / "default.yaml"
    on = eo.solve(path, mip_start="heuristic")
    off = eo.solve(path, mip_start="none")
    assert on.meta["mip_start"]["objective"] >= on.metrics["bound"] * (1 - 1e-9)
    gap = on.metrics["gap"] + off.metrics["gap"]
    assert on.metrics["objective"] == pytest.approx(off.metrics["objective"], rel=gap + 1e-9)


class _ZeroRelaxation:
    """A relaxation whose every solve returns all zeros (infeasible: demand unserved)."""

    def __init__(self, a: hx.LpArrays) -> None:
        self.a = a

    def arrays(self) -> hx.LpArrays:
        return self.a

    def solve_lp(self, fixed: Any, time_limit: float) -> np.ndarray:
        return np.zeros(len(self.a.col_lower))

    def solve_mip(self, fixed: Any, time_limit: float, rel_gap: float) -> np.ndarray:
        return np.zeros(len(self.a.col_lower))


def test_an_infeasible_candidate_is_not_handed_over(tiny_dict: dict[str, Any]) -> None:
    # without cutoff bounds, which heuristic_start would leave in HiGHS for the next solve
    built = eo.build(validate_dict(tiny_dict), cutoff_bounds=False)
    solver = Solver(built.options)
    real = solver.heuristic_start(built.model)
    assert real is not None
    assert real.ok
    from ecoserve_opt.solve import _HighsRelaxation

    h = solver._highs._solver_model  # noqa: SLF001
    a = _HighsRelaxation(h, 1, 0).arrays()
    cols = solver._highs._pyomo_var_to_solver_var_map  # noqa: SLF001
    start = hx.build_start(built.model, cols, _ZeroRelaxation(a))
    assert not start.ok
    assert start.reason.startswith("candidate violates the model: row ")


def test_a_failing_heuristic_falls_back_to_no_start(
    tiny_dict: dict[str, Any], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(*_a: Any, **_k: Any) -> hx.MipStart:
        raise RuntimeError("heuristic exploded")

    monkeypatch.setattr(sys.modules["ecoserve_opt.solve"], "build_start", boom)
    with caplog.at_level("INFO", logger="ecoserve_opt.solve"):
        res = eo.solve(validate_dict(tiny_dict), mip_start="heuristic")
    assert res.optimal
    assert res.carbon == pytest.approx(3950.2, rel=1e-9)
    assert "mip_start" not in res.meta
    assert "MIP start: none (heuristic exploded)" in caplog.text


def test_violations_names_rows_bounds_and_integrality() -> None:
    # x0 + x1 >= 2, x0 integer in [0, 3], x1 in [0, 1]
    a = hx.LpArrays(
        col_lower=np.array([0.0, 0.0]),
        col_upper=np.array([3.0, 1.0]),
        row_lower=np.array([2.0]),
        row_upper=np.array([np.inf]),
        rows=np.array([0, 0]),
        cols=np.array([0, 1]),
        value=np.array([1.0, 1.0]),
        cost=np.array([1.0, 1.0]),
        offset=0.0,
        integer=np.array([True, False]),
    )
    assert hx.violations(a, np.array([1.0, 1.0])) == []
    assert hx.violations(a, np.array([0.5, 1.0])) == [
        "column 0: 0.5 is not integral",
        "row 0: 1.5 < 2",
    ]
    assert hx.violations(a, np.array([1.0, 2.0])) == ["column 1: 2 > upper bound 1"]


class _StuckRelaxation:
    """x0 + x1 >= 1.5 with x0 integer in [0, 3]: the LP says x0 = 0.5, and (by fiat) no
    rounding of x0 is LP-feasible, so the dive leaves it free and the restricted MIP
    (here: x0 = 1, x1 = 0.5) completes the start."""

    def __init__(self) -> None:
        self.a = hx.LpArrays(
            col_lower=np.array([0.0, 0.0]),
            col_upper=np.array([3.0, 1.0]),
            row_lower=np.array([1.5]),
            row_upper=np.array([np.inf]),
            rows=np.array([0, 0]),
            cols=np.array([0, 1]),
            value=np.array([1.0, 1.0]),
            cost=np.array([2.0, 1.0]),
            offset=0.5,
            integer=np.array([True, False]),
        )
        self.mip_fixed: dict[int, float] | None = None

    def arrays(self) -> hx.LpArrays:
        return self.a

    def solve_lp(self, fixed: Any, time_limit: float) -> np.ndarray | None:
        return None if 0 in fixed else np.array([0.5, 1.0])

    def solve_mip(self, fixed: Any, time_limit: float, rel_gap: float) -> np.ndarray:
        self.mip_fixed = dict(fixed)
        return np.array([1.0, 0.5])


def test_a_stuck_dive_hands_over_to_the_restricted_mip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hx, "driving_columns", lambda _m, _c: [0])
    rx = _StuckRelaxation()
    start = hx.build_start(pyo.ConcreteModel(), {}, rx)
    assert start.ok
    assert start.method == "restricted MIP"
    assert rx.mip_fixed == {}  # x0 left free for the MIP
    assert start.values is not None
    assert start.values.tolist() == [1.0, 0.5]
    assert start.objective == pytest.approx(2.0 + 0.5 + 0.5)


class _StuckOnLast:
    """Three integers at 0.5, 0.6, 0.7 in the LP; fixing the third (the first the dive
    rounds: largest fractional part) makes every LP infeasible."""

    def __init__(self) -> None:
        self.calls = 0

    def solve_lp(self, fixed: Any, time_limit: float) -> np.ndarray | None:
        self.calls += 1
        if 2 in fixed:
            return None
        x = np.array([0.5, 0.6, 0.7])
        for c, v in fixed.items():
            x[c] = v
        return x


def test_the_host_dive_stops_at_its_first_stuck_integer() -> None:
    """With ``stop_when_stuck`` (the host dive, whose fixings a stuck dive drops) the dive
    returns after the LP, the failed round and the two single roundings of the third
    integer; without it (the replica dive) it goes on rounding the other two."""
    rx = _StuckOnLast()
    fixed, _x, lps, reason = hx.round_up_dive(rx, [0, 1, 2], 1e18, stop_when_stuck=True)  # type: ignore[arg-type]
    assert (fixed, lps, rx.calls) == ({}, 4, 4)
    assert reason == "stuck: 1 integers no rounding keeps feasible"
    rx = _StuckOnLast()
    fixed, _x, lps, reason = hx.round_up_dive(rx, [0, 1, 2], 1e18)  # type: ignore[arg-type]
    assert (fixed, lps) == ({1: 1.0, 0: 1.0}, 6)
    assert reason == "stuck: 1 integers no rounding keeps feasible"


def test_column_stages_put_cohorts_in_their_purchase_year_and_components_last(
    tiny_dict: dict[str, Any],
) -> None:
    from tests.formulation.test_tighten import VARIANTS

    built = eo.build(validate_dict(VARIANTS["all_pillars_2y_growth"](tiny_dict)))
    solver = Solver(built.options)
    solver._hand_off(built.model)  # noqa: SLF001
    cols = solver._highs._pyomo_var_to_solver_var_map  # noqa: SLF001
    stages = hx.column_stages(built.model, cols)
    m = built.model
    expected: dict[int, tuple[int, int]] = {}
    for name, year_at, part in (
        ("buy_host", 1, 0),
        ("buy_gpu", 1, 0),
        ("z", -1, 0),
        ("n_rep", -1, 0),
        ("dimms_var", -1, 1),
    ):
        comp = getattr(m, name)
        assert len(comp) > 0, name
        for k, v in comp.items():
            if id(v) in cols and not v.fixed:
                expected[cols[id(v)]] = (k[year_at], part)
    assert {y for y, _p in expected.values()} == {1, 2}
    assert {c: stages[c] for c in expected} == expected
    integer = {
        cols[id(v)]
        for v in m.component_data_objects(pyo.Var)
        if id(v) in cols and v.is_integer() and not v.fixed
    }
    assert set(stages) == integer


def _host_lp() -> Any:
    """z hosts (integer, 10 each), k DIMMs (integer, 1 each), g GPUs (continuous):
    g >= 1, g <= 8 z, k >= 20 z. LP: z = 0.125, k = 2.5; optimum z = 1, k = 20."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    for cost, lo, hi in ((10.0, 0.0, 10.0), (1.0, 0.0, 100.0), (0.0, 1.0, 8.0)):
        h.addCol(cost, lo, hi, 0, np.array([], dtype=np.int32), np.array([]))
    h.addRow(-inf, 0.0, 2, np.array([2, 0], dtype=np.int32), np.array([1.0, -8.0]))
    h.addRow(0.0, inf, 2, np.array([1, 0], dtype=np.int32), np.array([1.0, -20.0]))
    for c in (0, 1):
        h.changeColIntegrality(c, highspy.HighsVarType.kInteger)
    return h


def test_the_staged_host_dive_rounds_hosts_before_their_components() -> None:
    """Rounding the DIMMs first (largest fractional part: 2.5 -> 3) caps the hosts at
    3/20, and then neither rounding of z = 0.125 is feasible: the dive over all integers
    at once is stuck (the restricted MIP took over on the fleet). Staged, the hosts
    go first (z = 1 once 0 fails) and the DIMMs follow (k = 20): the optimum."""
    from ecoserve_opt.solve import _HighsRelaxation

    rx = _HighsRelaxation(_host_lp(), 1, 0)
    _fix, _x, _lps, reason = hx.round_up_dive(rx, [0, 1], 1e18, stop_when_stuck=True)
    assert reason == "stuck: 1 integers no rounding keeps feasible"
    rx = _HighsRelaxation(_host_lp(), 1, 0)
    fix, x, _lps, reason = hx.staged_dive(rx, [0, 1], {0: (1, 0), 1: (1, 1)}, 1e18, {})
    assert reason == "ok"
    assert fix == {0: 1.0, 1: 20.0}
    assert x is not None
    assert hx.objective_value(rx.arrays(), x) == pytest.approx(30.0)


class _SlackRelaxation:
    """One rounded replica count n (a model where n >= 2 is LP-feasible, objective 5 n):
    the dive left it at 3."""

    def __init__(self) -> None:
        self.tried: list[float] = []
        self.a = hx.LpArrays(
            col_lower=np.array([0.0]),
            col_upper=np.array([9.0]),
            row_lower=np.array([2.0]),
            row_upper=np.array([np.inf]),
            rows=np.array([0]),
            cols=np.array([0]),
            value=np.array([1.0]),
            cost=np.array([5.0]),
            offset=0.0,
            integer=np.array([True]),
        )

    def solve_lp(self, fixed: Any, time_limit: float) -> np.ndarray | None:
        self.tried.append(fixed[0])
        return np.array([fixed[0]]) if fixed[0] >= 2.0 else None


def test_the_shave_takes_one_replica_back_where_the_lp_stays_feasible() -> None:
    rx = _SlackRelaxation()
    # 3 -> 2 leaves the row at its bound (a free decrement, one LP); the single trial of
    # 2 -> 1 is infeasible and not kept
    fix, x, lps = hx.shave(rx, rx.a, [0], {0: 3.0}, np.array([3.0]), 1e18, 10)  # type: ignore[arg-type]
    assert (fix, x.tolist(), lps, rx.tried) == ({0: 2.0}, [2.0], 2, [2.0, 1.0])
    rx.tried.clear()
    fix, x, lps = hx.shave(rx, rx.a, [0], {0: 2.0}, np.array([2.0]), 1e18, 10)  # type: ignore[arg-type]
    assert (fix, x.tolist(), lps, rx.tried) == ({0: 2.0}, [2.0], 1, [1.0])
    # no LP solves allowed: nothing changes
    assert hx.shave(rx, rx.a, [0], {0: 3.0}, np.array([3.0]), 1e18, 0)[0] == {0: 3.0}  # type: ignore[arg-type]


def test_free_decrements_keep_every_row_together() -> None:
    # x0 + x1 >= 3 at (2, 2): either one may drop by one, not both; x2 <= 5 alone at 1
    # may drop; x3 at its lower bound 1 may not
    a = hx.LpArrays(
        col_lower=np.array([0.0, 0.0, 0.0, 1.0]),
        col_upper=np.array([9.0, 9.0, 9.0, 9.0]),
        row_lower=np.array([3.0, -np.inf]),
        row_upper=np.array([np.inf, 5.0]),
        rows=np.array([0, 0, 1]),
        cols=np.array([0, 1, 2]),
        value=np.array([1.0, 1.0, 1.0]),
        cost=np.zeros(4),
        offset=0.0,
        integer=np.array([True, True, True, True]),
    )
    x = np.array([2.0, 2.0, 1.0, 1.0])
    assert hx.free_decrements(a, x, [0, 1, 2, 3]) == [0, 2]
    assert hx.free_decrements(a, x, [1, 0]) == [1]


@pytest.mark.parametrize("seed", range(3))
def test_the_start_alone_keeps_the_enumerated_optimum(
    seed: int, tiny_dict: dict[str, Any], catalog_copy: Any
) -> None:
    """The brute-force fleets of test_bruteforce.py at gap 0 with the start and without
    its cutoff bounds: the start is feasible (every constraint of the built model), never
    below the enumerated optimum, and the solve ends at that optimum."""
    from tests.formulation.test_bruteforce import _apply, _catalog, _enumerate, _instance

    inst = _instance(seed)
    _apply(inst, tiny_dict, _catalog(inst, catalog_copy))
    tiny_dict["solver"] = {**tiny_dict.get("solver", {}), "mip_rel_gap": 0.0}
    best = _enumerate(inst)
    built = eo.build(validate_dict(tiny_dict), cutoff_bounds=False)
    _start(built)
    assert hx.model_violations(built.model) == []
    assert _carbon_at_start(built) >= best * (1 - 1e-9)
    res = eo.solve(validate_dict(tiny_dict), mip_start="heuristic", cutoff_bounds=False)
    assert res.optimal
    assert res.carbon == pytest.approx(best, rel=1e-7)
    assert res.meta["mip_start"]["method"] == "dive"
    assert res.meta["mip_start"]["gap_to_lp"] >= 0.0


def test_start_meta_reports_quality_or_the_reason() -> None:
    ok = hx.MipStart(np.array([1.0]), 110.0, 2.0, "ok", 7, {"lp_s": 1.0}, "dive", 100.0)
    assert hx.start_meta(ok, 10.0) == {
        "method": "dive",
        "reason": "ok",
        "lp_solves": 7,
        "stages_s": {"lp_s": 1.0},
        "lp_bound": 10.0,
        "gap_to_lp": pytest.approx(10.0 / 110.0),
    }
    rins = hx.MipStart(np.array([1.0]), 105.0, 2.0, "ok", 7, {}, "dive + RINS", 100.0, 110.0)
    meta = hx.start_meta(rins, 10.0)
    assert (meta["method"], meta["dive_objective"]) == ("dive + RINS", 11.0)
    assert meta["gap_to_lp"] == pytest.approx(5.0 / 105.0)
    none = hx.MipStart(None, None, 3.0, "LP relaxation without an optimal solution", 1)
    assert hx.start_meta(none, 10.0) == {
        "method": "none",
        "reason": "LP relaxation without an optimal solution",
        "lp_solves": 1,
        "stages_s": {},
    }


def test_rins_improves_the_dive_on_a_synthetic_fleet(tmp_path: Path) -> None:
    """The synthetic XS fleet is where the staged dive lands well above the optimum
    (hosts rounded to the nearer integer first); the RINS stage frees the integers on
    which the dive and the first LP disagree and finds a cheaper fleet, which is
    feasible for every constraint of the built model."""
    built = eo.build(_xs(tmp_path))
    start = _start(built)
    assert hx.model_violations(built.model) == []
    assert start.dive_objective is not None
    assert start.objective is not None
    assert start.objective < start.dive_objective * (1 - 1e-3)
    assert start.method == "dive + RINS"
    assert start.lp_bound is not None
    assert start.objective >= start.lp_bound
    assert "rins_s" in start.stages


def _rins_case() -> tuple[Any, np.ndarray, np.ndarray]:
    """``_host_lp`` with its LP solution (z = 0.125, k = 2.5) and a feasible but poor
    fleet (z = 2, k = 40, g = 1: objective 60; the optimum is z = 1, k = 20: 30)."""
    from ecoserve_opt.solve import _HighsRelaxation

    rx = _HighsRelaxation(_host_lp(), 1, 0)
    return rx, np.array([0.125, 2.5, 1.0]), np.array([2.0, 40.0, 1.0])


def test_rins_frees_the_integers_the_lp_disagrees_on() -> None:
    rx, x_lp, x = _rins_case()
    y, note = hx.rins(rx, rx.arrays(), x_lp, x, 10.0)
    assert note == "improved (2 integers free)"
    assert y.tolist() == [1.0, 20.0, 1.0]
    # where the LP agrees with the start on z = 2, z stays fixed: k = 40 is then the best
    x_lp[0] = 2.0
    y, note = hx.rins(rx, rx.arrays(), x_lp, x, 10.0)
    assert note == "no better fleet in the neighbourhood"
    assert y is x


class _FailingMip:
    """A real relaxation whose sub-MIP fails in a given way (or returns ``value``)."""

    def __init__(self, rx: Any, how: str, value: Any = None) -> None:
        self.rx, self.how, self.value, self.calls = rx, how, value, 0

    def arrays(self) -> hx.LpArrays:
        return self.rx.arrays()  # type: ignore[no-any-return]

    def solve_lp(self, fixed: Any, time_limit: float) -> np.ndarray | None:
        return self.rx.solve_lp(fixed, time_limit)  # type: ignore[no-any-return]

    def solve_mip(self, fixed: Any, time_limit: float, rel_gap: float, start: Any = None) -> Any:
        self.calls += 1
        if self.how == "raise":
            raise RuntimeError("sub-MIP exploded")
        return self.value


@pytest.mark.parametrize(
    ("how", "value", "note"),
    [
        ("raise", None, "sub-MIP failed (sub-MIP exploded)"),
        ("none", None, "sub-MIP without a solution"),
        ("bad", np.array([0.0, 0.0, 1.0]), "sub-MIP solution violates the model"),
        ("worse", np.array([3.0, 60.0, 1.0]), "no better fleet in the neighbourhood"),
    ],
)
def test_a_failing_rins_keeps_the_dive_start(how: str, value: Any, note: str) -> None:
    rx, x_lp, x = _rins_case()
    fake = _FailingMip(rx, how, value)
    y, got = hx.rins(fake, rx.arrays(), x_lp, x, 10.0)  # type: ignore[arg-type]
    assert (got, fake.calls) == (note, 1)
    assert y is x


def test_a_failing_rins_stage_hands_over_the_dive_start(tiny_dict: dict[str, Any]) -> None:
    """build_start with a sub-MIP that raises: the verified dive start (the hand-worked
    optimum of the fractional tiny case) is handed over as it is."""
    from ecoserve_opt.solve import _HighsRelaxation

    tiny_dict["llms"]["tiny-llm"]["online"]["tokens_per_s"] = 1100
    built = eo.build(validate_dict(tiny_dict), cutoff_bounds=False)
    solver = Solver(built.options)
    solver._hand_off(built.model)  # noqa: SLF001
    h = solver._highs._solver_model  # noqa: SLF001
    fake = _FailingMip(_HighsRelaxation(h, 1, 0), "raise")
    cols = solver._highs._pyomo_var_to_solver_var_map  # noqa: SLF001
    start = hx.build_start(built.model, cols, fake)
    assert fake.calls == 1
    assert start.ok
    assert start.method == "dive"
    assert start.objective == start.dive_objective
    assert start.objective / objective_scale(built.model) == pytest.approx(4408.2, rel=1e-9)
