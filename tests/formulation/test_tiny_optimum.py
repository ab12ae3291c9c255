"""The tiny scenario's optimum, worked out by hand.

Fixture (tests/fixtures/tiny): one LLM, demand 1000 output tokens/s (flat), I = O = 100.
Capacity per replica = b*O / (TTFT + O*TPOT):
  gpu-a: 4*100 / (1.0 + 100*0.010) = 200 tok/s, power 150 W busy, 50 W idle, 100 kg, 5 y
  gpu-b: 4*100 / (0.5 + 100*0.005) = 400 tok/s, power 400 W busy, 100 W idle, 300 kg, 5 y
host-x (fixed SKU, 4 PCIe slots): 1 socket (50 W idle, 50 kg), 8x32 GB DDR5 (0.5 kg/GB),
  2x1 TB SSD (20 kg/TB), base 100 kg; all lifetimes 5 y -> (100+50+128+40)/5 = 63.6 kg/y.
Grid 0.5 kg/kWh flat, PUE 1, 8760 h.

Candidates (GPU power = idle + (busy-idle) x utilisation):
  A) 5 gpu-a, 2 hosts: P = 5*0.15 + 2*0.05 = 0.85 kW -> 7446 kWh -> 3723 kg;
     embodied 5*20 + 2*63.6 = 227.2 -> total 3950.2 kg     <- optimum
  B) 3 gpu-b, 1 host: P = 3*0.1 + 2.5*0.3 + 0.05 = 1.1 kW -> 4818 kg; emb 243.6 -> 5061.6
  C) 2 gpu-b + 1 gpu-a: a host carries one GPU type, so 2 hosts:
     P = 0.25 + 0.6 + 0.1 + 2*0.05 = 1.05 kW -> 4599; emb 2*60 + 20 + 2*63.6 = 267.2 -> 4866.2
  (4 gpu-a alone give 800 < 1000 tok/s.)
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import solve_dict

pytestmark = pytest.mark.milp


def test_tiny_carbon_optimum(tiny_dict: dict[str, Any]) -> None:
    res = solve_dict(tiny_dict)
    assert res.optimal
    assert res.carbon == pytest.approx(3950.2, rel=1e-9)
    assert res.metrics["operational_kg"] == pytest.approx(3723.0, rel=1e-9)
    assert res.metrics["embodied_kg"] == pytest.approx(227.2, rel=1e-9)
    rep = res.tables["replicas"]
    assert rep[["gpu", "replicas"]].values.tolist() == [["gpu-a", 5]]
    assert res.metrics["hosts"] == 2
    # the model's own objective equals the independently recomputed breakdown
    assert res.metrics["objective"] == pytest.approx(res.carbon, rel=1e-9)


def test_tiny_only_gpu_b_gives_option_b(tiny_dict: dict[str, Any]) -> None:
    tiny_dict["hardware"]["gpus"] = ["gpu-b"]
    res = solve_dict(tiny_dict)
    assert res.carbon == pytest.approx(5061.6, rel=1e-9)


def test_energy_objective_picks_lowest_energy(tiny_dict: dict[str, Any]) -> None:
    res = solve_dict(tiny_dict, objective="energy")
    assert res.metrics["energy_kwh"] == pytest.approx(7446.0, rel=1e-9)


def test_grid_intensity_scales_operational_only(tiny_dict: dict[str, Any]) -> None:
    tiny_dict["grid"]["intensity"] = "1000 gCO2e/kWh"
    res = solve_dict(tiny_dict)
    assert res.metrics["operational_kg"] == pytest.approx(2 * 3723.0, rel=1e-9)
    assert res.metrics["embodied_kg"] == pytest.approx(227.2, rel=1e-9)


def test_embodied_source_is_a_choice(tiny_dict: dict[str, Any]) -> None:
    # the tiny catalog's greensku rows are exactly 2x its act rows
    tiny_dict["embodied_source"] = "greensku"
    res = solve_dict(tiny_dict)
    assert res.metrics["embodied_kg"] == pytest.approx(2 * 227.2, rel=1e-9)


def test_demand_scale_param_resolve(tiny_dict: dict[str, Any]) -> None:
    """Doubling demand through the mutable Param (no rebuild): 2000 tok/s -> 10 gpu-a on
    3 hosts: P = 10*0.15 + 3*0.05 = 1.65 kW -> 7227 kg; embodied 10*20 + 3*63.6 = 390.8.
    The mean latency per token stays gpu-a's 1.0/100 + 0.01 = 0.02 s."""
    import ecoserve_opt as eo
    from ecoserve_opt.io.yaml_loader import validate_dict

    built = eo.build(validate_dict(tiny_dict))
    assert built.solve().carbon == pytest.approx(3950.2, rel=1e-9)
    built.model.demand_scale.set_value(2.0)
    res = built.solve()
    assert res.carbon == pytest.approx(7227.0 + 390.8, rel=1e-9)
    assert res.metrics["latency_s_per_token"] == pytest.approx(0.02, rel=1e-9)


def test_resolve_is_warm_started_and_equals_fresh_build(tiny_dict: dict[str, Any]) -> None:
    """Changing the grid-intensity Param and re-solving hands HiGHS the previous solution
    (HiGHS drops it if the model changes after it is set) and gives the same optimum as a
    fresh build at the new intensity: 2x intensity -> 2*3723 + 227.2."""
    import ecoserve_opt as eo
    from ecoserve_opt.io.yaml_loader import validate_dict

    built = eo.build(validate_dict(tiny_dict))
    built.solve()
    assert not built.solver.warm_started
    built.model.ci_scale.set_value(2.0)
    res = built.solve()
    assert built.solver.warm_started
    assert res.carbon == pytest.approx(2 * 3723.0 + 227.2, rel=1e-9)
    tiny_dict["grid"]["intensity"] = "1000 gCO2e/kWh"
    assert solve_dict(tiny_dict).carbon == pytest.approx(res.carbon, rel=1e-9)
