"""Exact integer bounds (``solver.tighten``, formulation/bounds.py, data/bounds.py).

* the bounds of the tiny fixture by hand, and that they move with ``demand_scale``;
* equivalence: the bounded and the plain model have the same optimum (gap 0) on small cases
  with every pillar, and both equal the brute-force enumeration of test_bruteforce.py;
* the plain model's optimum satisfies every bound (none cuts it).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyomo.environ as pyo
import pytest

import ecoserve_opt as eo
from ecoserve_opt.formulation import build_model
from ecoserve_opt.io.yaml_loader import validate_dict
from tests.formulation.test_bruteforce import _apply, _catalog, _enumerate, _instance
from tests.helpers import TINY

pytestmark = pytest.mark.milp


def _tiny_full(tiny_dict: dict[str, Any]) -> dict[str, Any]:
    """Tiny scenario with every pillar, three host platforms, CPU serving and Recycle."""
    d = tiny_dict
    d["hardware"]["hosts"] = ["host-x", "host-r", "host-c"]
    d["time_slots"] = 2
    d["grid"]["hourly_shape"] = "solar"
    d["llms"]["tiny-llm"]["offline"] = {
        "tokens_per_day": 300 * 86400,
        "input_tokens": 100,
        "output_tokens": 100,
    }
    d["pillars"] = dict.fromkeys(
        ["reduce", "reuse", "reuse_host_cpus", "rightsize", "recycle", "shift_offline"], True
    )
    d["host_needs"]["stage_weights"] = True
    d["host_needs"]["checkpoint_copies"] = 1
    d["host_needs"]["dram_per_gpu_memory"] = 0.0
    d["host_needs"]["ssd_tb_per_gpu"] = 0.0  # minimal host-r SKUs then cover 4 GPUs
    return d


VARIANTS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "tiny": lambda d: d,
    "all_pillars": _tiny_full,
    "all_pillars_2y_growth": lambda d: {
        **_tiny_full(d),
        "horizon": "2 years",
        "demand_growth_per_year": 0.5,
    },
    "rightsize_off": lambda d: {
        **_tiny_full(d),
        "pillars": {**_tiny_full(d)["pillars"], "rightsize": False, "shift_offline": False},
    },
}


def _built(data: dict[str, Any], tighten: bool) -> eo.Built:
    data = {**data, "solver": {**data.get("solver", {}), "tighten": tighten}}
    return eo.build(validate_dict(data))


def test_bounds_by_hand(tiny_dict: dict[str, Any]) -> None:
    """Tiny: 1000 tok/s; a gpu-a replica serves 4 x 100 / (1 s + 100 x 10 ms) = 200 tok/s,
    a gpu-b replica 400; host-x has 4 slots and no staged weights or checkpoints, no CPU
    serving. So n_rep <= 1000/200 + 1 = 6 (gpu-a) and 1000/400 + 1 = 3.5 (gpu-b); hosts of
    a GPU group <= GPUs/4 + 1 = 2.5 and 1.875; a host cohort
    <= 2.5 + 1.875 = 4.375 (``none`` group: no CPU serving, no spare host). At demand scale
    2 every bound follows: 11, 6, 11/4 + 1 = 3.75, 6/4 + 1 = 2.5, 6.25. GPU cohorts stay
    unbounded (free under the energy objective unless mounted)."""
    m = _built(tiny_dict, tighten=True).model
    n_a, n_b = (
        m.n_rep["tiny-llm", "gpu-a", 1, "shared", "bf16", 1],
        m.n_rep["tiny-llm", "gpu-b", 1, "shared", "bf16", 1],
    )
    z_a, z_b = m.z["host-x", "gpu-a", 5, 1], m.z["host-x", "gpu-b", 5, 1]
    host = m.buy_host["host-x", 1, 5]
    assert [pyo.value(v.ub) for v in (n_a, n_b, z_a, z_b, host)] == pytest.approx(
        [6.0, 3.5, 2.5, 1.875, 4.375]
    )
    assert m.buy_gpu["gpu-a", 1, 5].ub is None
    assert pyo.value(m.z["host-x", "none", 5, 1].ub) == pytest.approx(4.375)
    m.demand_scale.set_value(2.0)
    assert [pyo.value(v.ub) for v in (n_a, n_b, z_a, z_b, host)] == pytest.approx(
        [11.0, 6.0, 3.75, 2.5, 6.25]
    )
    plain = _built(tiny_dict, tighten=False).model
    assert plain.n_rep["tiny-llm", "gpu-a", 1, "shared", "bf16", 1].ub is None
    assert plain.buy_host["host-x", 1, 5].ub is None


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_bounded_model_has_the_plain_optimum(variant: str, tiny_dict: dict[str, Any]) -> None:
    """Same optimum (gap 0) with and without the bounds; the plain optimum meets them all."""
    data = VARIANTS[variant](tiny_dict)
    tight = _built(data, tighten=True)
    plain = _built(data, tighten=False)
    rt, rp = tight.solve(), plain.solve()
    assert rt.optimal
    assert rp.optimal
    assert rt.metrics["gap"] <= 1e-9
    assert rp.metrics["gap"] <= 1e-9
    assert rt.carbon == pytest.approx(rp.carbon, rel=1e-7)
    bounded = 0
    for v in tight.model.component_data_objects(pyo.Var):
        if not v.is_integer() or v.ub is None or v.fixed:
            continue
        bounded += 1
        p = plain.model.find_component(v.name)
        assert pyo.value(p) <= pyo.value(v.ub) + 1e-6, v.name
    assert bounded > 0


def test_demand_scale_resolve_moves_the_bounds(tiny_dict: dict[str, Any]) -> None:
    """A persistent re-solve at demand scale 2.5 equals a fresh plain build with 2.5x the
    demand (the bounds are expressions of ``demand_scale``, updated with it)."""
    data = _tiny_full(tiny_dict)
    built = _built(data, tighten=True)
    built.solve()
    built.set_parameters({"demand_scale": 2.5})
    scaled = built.solve()
    bigger = {**data, "llms": {"tiny-llm": {**data["llms"]["tiny-llm"]}}}
    bigger["llms"]["tiny-llm"]["online"] = {
        **data["llms"]["tiny-llm"]["online"],
        "tokens_per_s": 2500,
    }
    bigger["llms"]["tiny-llm"]["offline"] = {
        **data["llms"]["tiny-llm"]["offline"],
        "tokens_per_day": 2.5 * 300 * 86400,
    }
    fresh = _built(bigger, tighten=False).solve()
    assert scaled.optimal
    assert fresh.optimal
    assert scaled.carbon == pytest.approx(fresh.carbon, rel=1e-7)


@pytest.mark.parametrize("seed", range(3))
def test_bounded_and_plain_equal_the_enumeration(
    seed: int, tiny_dict: dict[str, Any], catalog_copy: Callable[..., Path]
) -> None:
    """The brute-force instances of test_bruteforce.py (best of every GPU-count vector):
    both models reach the enumerated optimum."""
    inst = _instance(seed)
    _apply(inst, tiny_dict, _catalog(inst, catalog_copy))
    best = _enumerate(inst)
    for tighten in (True, False):
        res = _built(tiny_dict, tighten).solve()
        assert res.optimal
        assert res.carbon == pytest.approx(best, rel=1e-7)


def test_energy_optimum_buys_no_idle_gpus(tiny_dict: dict[str, Any]) -> None:
    """Energy objective (purchases cost no energy): the bounded model still buys only the
    GPUs it mounts, 5 gpu-a on 2 hosts (regression: a bound on GPU cohorts made HiGHS
    return 6 gpu-a and 3 unused gpu-b, 200 kgCO2e more)."""
    built = eo.build(validate_dict(tiny_dict), objective="energy")
    res = built.solve()
    assert res.optimal
    assert res.carbon == pytest.approx(3950.2)
    bought = {k: pyo.value(v) for k, v in built.model.buy_gpu.items() if pyo.value(v) > 0.5}
    assert bought == {("gpu-a", 1, 5): pytest.approx(5.0)}


def test_build_model_switch_overrides_the_scenario(tiny_dict: dict[str, Any]) -> None:
    """``build_model(..., tighten=False)`` builds the plain model whatever the scenario says."""
    built = _built(tiny_dict, tighten=True)
    plain = build_model(built.data, tighten=False)
    assert all(v.ub is None for v in plain.n_rep.values())
    assert all(v.ub is not None for v in built.model.n_rep.values())
    assert TINY.exists()
