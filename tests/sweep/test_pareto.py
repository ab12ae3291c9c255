"""Epsilon-constraint Pareto fronts: hand-checked fronts, monotonicity, non-dominance."""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecoserve_opt.exceptions import EcoserveError
from ecoserve_opt.io.yaml_loader import LoadedScenario
from ecoserve_opt.studies import make_point, make_spec, run_points
from ecoserve_opt.studies.pareto import cap_values, pareto
from ecoserve_opt.studies.store import ResultsStore, SweepResults, non_dominated

pytestmark = pytest.mark.milp

# (cost USD, carbon kg, design) of the four efficient designs, see tests/sweep/conftest.py
FRONT = [
    (1170.88, 5061.6, "3 gpu-b + 1 host-x"),
    (1335.84, 4866.2, "1 gpu-a + 2 gpu-b + 2 host-x"),
    (1565.76, 4408.2, "3 gpu-a + 1 gpu-b + 2 host-x"),
    (1795.68, 3950.2, "5 gpu-a + 2 host-x"),
]


@pytest.fixture(scope="module")
def cost_front(tradeoff: LoadedScenario, tmp_path_factory: pytest.TempPathFactory) -> SweepResults:
    return pareto(tradeoff, tmp_path_factory.mktemp("front"), x="cost", y="carbon", points=8)


def _dominates(a: pd.Series, b: pd.Series, x: str, y: str) -> bool:
    return bool(a[x] <= b[x] and a[y] <= b[y] and (a[x] < b[x] or a[y] < b[y]))


def test_cost_carbon_front_matches_hand_enumeration(cost_front: SweepResults) -> None:
    front = cost_front.pareto_front()
    assert front["cost_usd"].tolist() == pytest.approx([c for c, _, _ in FRONT], rel=1e-9)
    assert front["carbon_kg"].tolist() == pytest.approx([k for _, k, _ in FRONT], rel=1e-9)
    assert front["design"].tolist() == [d for _, _, d in FRONT]
    # each front point keeps its fleet
    fleet = cost_front.fleet(front["point_id"].iloc[1]).set_index("item")["count"].to_dict()
    assert fleet == {"gpu-a": 1, "gpu-b": 2, "host-x": 2}


def test_front_points_are_mutually_non_dominated(cost_front: SweepResults) -> None:
    front = cost_front.pareto_front()
    for (_, a), (_, b) in itertools.permutations(front.iterrows(), 2):
        assert not _dominates(a, b, "cost_usd", "carbon_kg")


def test_cost_never_falls_as_the_carbon_cap_tightens(cost_front: SweepResults) -> None:
    caps = cost_front.table[cost_front.table["kind"] == "front"]
    caps = caps.sort_values("cap_value", ascending=False)  # loosest first
    assert len(caps) == 8
    assert (caps["status"] == "optimal").all()
    assert (caps["carbon_kg"] <= caps["cap_value"] * (1 + 1e-9)).all()
    cost = caps["cost_usd"].to_numpy()
    assert all(b >= a - 1e-9 * a for a, b in itertools.pairwise(cost))
    assert cost[0] == pytest.approx(FRONT[0][0])
    assert cost[-1] == pytest.approx(FRONT[-1][0])


def test_baselines(cost_front: SweepResults) -> None:
    base = cost_front.baselines().set_index("objective")
    assert set(base.index) == {"performance", "energy", "cost", "carbon"}
    assert base.loc["carbon", "carbon_kg"] == pytest.approx(3950.2)
    assert base.loc["energy", "energy_kwh"] == pytest.approx(7446.0)
    assert base.loc["cost", "cost_usd"] == pytest.approx(1170.88)
    # performance: all load on gpu-b (0.5 s/100 + 5 ms = 10 ms/token), then cheapest: B
    assert base.loc["performance", "latency_s_per_token"] == pytest.approx(0.010)
    assert base.loc["performance", "design"] == "3 gpu-b + 1 host-x"


def test_rerun_solves_nothing(cost_front: SweepResults, tradeoff: LoadedScenario) -> None:
    assert cost_front.store is not None
    solved: list[object] = []
    pareto(tradeoff, cost_front.store.root, points=8, on_point=solved.append)
    assert solved == []


def test_gpu_hours_front(tradeoff: LoadedScenario, tmp_path: Path) -> None:
    """Fewest GPUs per carbon level: 3 GPUs (C beats B), 4 (D), 5 (A); 8760 h each."""
    res = pareto(tradeoff, tmp_path, x="gpu_hours", y="carbon", points=8, baselines=False)
    front = res.pareto_front()
    assert front["gpu_hours"].tolist() == pytest.approx([3 * 8760, 4 * 8760, 5 * 8760])
    assert front["carbon_kg"].tolist() == pytest.approx([4866.2, 4408.2, 3950.2])


def test_latency_front(tradeoff: LoadedScenario, tmp_path: Path) -> None:
    """Mean latency per token: gpu-a 20 ms, gpu-b 10 ms, weighted by the load each serves."""
    res = pareto(tradeoff, tmp_path, x="performance", y="carbon", points=8, baselines=False)
    front = res.pareto_front()
    assert front["latency_s_per_token"].tolist() == pytest.approx([0.010, 0.012, 0.016, 0.020])
    assert front["carbon_kg"].tolist() == pytest.approx([k for _, k, _ in FRONT])


def test_no_tradeoff_gives_one_point(tradeoff: LoadedScenario, tmp_path: Path) -> None:
    # design A has both the least energy and the least carbon: the front is one point
    res = pareto(tradeoff, tmp_path, x="energy", y="carbon", points=5, baselines=False)
    front = res.pareto_front()
    assert len(front) == 1
    assert front.iloc[0]["energy_kwh"] == pytest.approx(7446.0)
    assert (res.table["kind"] == "front").sum() == 1


def test_cap_on_x(tradeoff: LoadedScenario, tmp_path: Path) -> None:
    res = pareto(tradeoff, tmp_path, x="cost", y="carbon", points=8, cap="x", baselines=False)
    assert res.pareto_front()["carbon_kg"].tolist() == pytest.approx([k for _, k, _ in FRONT])


def test_infeasible_cap_is_reported_and_skipped(tradeoff: LoadedScenario, tmp_path: Path) -> None:
    spec = make_spec(tradeoff)
    points = [
        make_point(
            spec,
            "front",
            {"role": "front", "cap_metric": "carbon", "cap_value": c},
            objective="cost",
            secondary="carbon",
            fast={"cap.carbon": c},
        )
        for c in (3000.0, 4500.0)  # below the least possible carbon (3950.2), and feasible
    ]
    store = ResultsStore(tmp_path)
    run_points(spec, points, store)
    res = SweepResults.load(tmp_path)
    assert sorted(res.table["status"]) == ["infeasible", "optimal"]
    assert res.infeasible()["cap_value"].tolist() == [3000.0]
    assert res.pareto_front()["carbon_kg"].tolist() == pytest.approx([4408.2])


def test_bad_arguments(tradeoff: LoadedScenario, tmp_path: Path) -> None:
    with pytest.raises(EcoserveError, match="same metric"):
        pareto(tradeoff, tmp_path, x="carbon", y="carbon")
    with pytest.raises(EcoserveError, match="unknown metric"):
        pareto(tradeoff, tmp_path, x="speed")
    with pytest.raises(EcoserveError):
        cap_values(2.0, 1.0, 0)


def test_cap_values() -> None:
    assert cap_values(10.0, 4.0, 4) == [10.0, 8.0, 6.0, 4.0]
    assert cap_values(5.0, 5.0, 10) == [5.0]


points_2d = st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(points_2d)
def test_non_dominated_filter(pts: list[tuple[int, int]]) -> None:
    df = pd.DataFrame(pts, columns=["x", "y"])
    front = non_dominated(df, "x", "y")
    kept = list(front[["x", "y"]].itertuples(index=False, name=None))
    # mutually non-dominated, no duplicates
    assert len(set(kept)) == len(kept)
    for a, b in itertools.permutations(kept, 2):
        assert not (a[0] <= b[0] and a[1] <= b[1])
    # every removed point is dominated by, or equal to, a kept one
    for p in pts:
        assert any(k[0] <= p[0] and k[1] <= p[1] for k in kept)


def test_cli_pareto(tradeoff: LoadedScenario, tmp_path: Path) -> None:
    import yaml
    from typer.testing import CliRunner

    from ecoserve_opt.cli import app

    scen = tmp_path / "s.yaml"
    scen.write_text(yaml.safe_dump(dict(tradeoff.raw)))
    out = tmp_path / "front"
    runner = CliRunner()
    args = ["pareto", str(scen), "--x", "cost", "--y", "carbon", "--points", "8"]
    r = runner.invoke(app, [*args, "--out", str(out), "--workers", "0", "--no-progress"])
    assert r.exit_code == 0, r.output
    assert "Pareto front: 4 points" in r.output
    assert "Baselines" in r.output
    fig = tmp_path / "front.svg"
    r = runner.invoke(app, ["plot", str(out), "--kind", "pareto", "--out", str(fig)])
    assert r.exit_code == 0, r.output
    assert fig.read_text().lstrip().startswith("<?xml")
    r = runner.invoke(app, [*args, "--out", str(out), "--workers", "0", "--x", "speed"])
    assert r.exit_code == 2
    assert "unknown metric" in r.output


def test_pareto_without_an_output_folder(tradeoff: LoadedScenario) -> None:
    # the store is temporary (removed with the results); the front is the same as on disk
    res = pareto(tradeoff, x="cost", y="carbon", points=3, baselines=False)
    assert res.temporary is not None
    assert res.temporary.path.is_dir()
    front = res.pareto_front()
    assert len(front) >= 2
    assert front["cost_usd"].is_monotonic_increasing
    assert front["carbon_kg"].is_monotonic_decreasing
