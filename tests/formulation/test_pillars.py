"""Each EcoServe pillar on tiny instances with hand-worked optima, and monotonicity.

Common numbers (tests/fixtures/tiny, see test_tiny_optimum.py): gpu-a 200 tok/s per replica,
150 W busy / 50 W idle, 100 kg, 5 y; grid 0.5 kg/kWh, PUE 1, 8760 h/year.
Baseline (all pillars off): 5 gpu-a on 2 host-x, 3950.2 kg.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import solve_dict, tiny

pytestmark = pytest.mark.milp
H = 8760.0
BASE = 3950.2


def test_reduce_trims_host(tiny_dict: dict[str, Any]) -> None:
    """host-r: sockets 1-2 (32 cores, 50 W idle, 50 kg), DIMMs 4-16 x 32 GB (5 W, 16 kg),
    SSDs 1-4 x 1 TB (5 W, 20 kg), base 100 W / 100 kg, 5 y. 5 gpu-a -> 2 hosts.

    Off (full SKU): per host 0.1+2*0.05+16*0.005+4*0.005 = 0.3 kW, (100+100+256+80)/5
      = 107.2 kg/y -> P = 0.75+0.6 = 1.35 kW -> 5913 kg; embodied 100+214.4 -> 6227.4.
    On: cores 32k >= 4*5+4*2 = 28 -> k = 2 (min 1 per host); DRAM 32m >= 16*5+64*2 = 208
      -> m = 8 (min 4 per host); SSD q >= 0.25*5+0.5*2 = 2.25 -> q = 3.
      P = 0.75 + 0.2 + 0.1 + 0.04 + 0.015 = 1.105 kW -> 4839.9 kg;
      embodied 100 + (200+100+128+60)/5 = 197.6 -> 5037.5.
    """
    tiny_dict["hardware"].update(gpus=["gpu-a"], hosts=["host-r"])
    off = solve_dict(tiny_dict)
    assert off.carbon == pytest.approx(6227.4, rel=1e-9)
    tiny_dict["pillars"]["reduce"] = True
    on = solve_dict(tiny_dict)
    assert on.carbon == pytest.approx(5037.5, rel=1e-9)
    dep = on.tables["deployment"].iloc[0]
    assert (dep["sockets"], dep["dimms"], dep["ssds"]) == (2, 8, 3)


def test_reduce_bounds_follow_the_served_models(
    tiny_dict: dict[str, Any], catalog_copy: Any
) -> None:
    """Model-derived host needs: each replica stages its 10 GB of weights plus 200k tokens of
    offloaded KV cache at 100 kB/token (20 GB) in DRAM, and keeps 30 checkpoint copies
    (0.3 TB) on SSD; per host 64 GB DRAM and 0.5 TB SSD. 5 gpu-a replicas on 2 host-r:
      DRAM 32 m >= 2*64 + 5*(10+20) = 278 -> m = 9;  SSD q >= 2*0.5 + 5*0.3 = 2.5 -> q = 3;
      sockets 2 (cores 32k >= 28).
      P = 0.75 + 0.2 + 0.1 + 9*0.005 + 3*0.005 = 1.11 kW -> 4861.8 kg;
      embodied 100 + (200 + 100 + 9*16 + 3*20)/5 = 200.8 -> 5062.6.
    """
    import pandas as pd

    llms = pd.read_csv(Path(tiny_dict["catalog"]) / "llms.csv")
    llms["kv_bytes_per_token"] = 100_000
    tiny_dict["catalog"] = str(catalog_copy(llms=llms))
    tiny_dict["hardware"].update(gpus=["gpu-a"], hosts=["host-r"])
    tiny_dict["pillars"]["reduce"] = True
    tiny_dict["host_needs"] = {
        "stage_weights": True,
        "kv_offload_tokens": 200_000,
        "checkpoint_copies": 30,
        "dram_per_gpu_memory": 0.0,
        "ssd_tb_per_gpu": 0.0,
    }
    res = solve_dict(tiny_dict)
    assert res.carbon == pytest.approx(5062.6, rel=1e-9)
    dep = res.tables["deployment"].iloc[0]
    assert (dep["sockets"], dep["dimms"], dep["ssds"]) == (2, 9, 3)


def test_reuse_owned_gpus_and_hosts(tiny_dict: dict[str, Any]) -> None:
    """3 owned gpu-a and 1 owned host-x with sunk embodied: buy 2 gpu-a and 1 host-x.
    Embodied 2*20 + 63.6 = 103.6 -> 3723 + 103.6 = 3826.6. Off: inventory ignored."""
    tiny_dict["inventory"] = {
        "gpus": [{"gpu": "gpu-a", "count": 3, "age_years": 3}],
        "hosts": [{"host": "host-x", "count": 1, "age_years": 2}],
    }
    assert solve_dict(tiny_dict).carbon == pytest.approx(BASE, rel=1e-9)
    tiny_dict["pillars"]["reuse"] = True
    on = solve_dict(tiny_dict)
    assert on.carbon == pytest.approx(3826.6, rel=1e-9)
    fleet = on.tables["fleet"]
    assert fleet.loc[(fleet.kind == "gpu") & (fleet.source == "owned"), "count"].sum() == 3


def test_reused_dram_pool_goes_into_new_hosts(tiny_dict: dict[str, Any]) -> None:
    """GreenSKU-style: a 128 GB pool of reused DDR4 (0 embodied, 11.85 W per 32 GB) in new
    host-r servers. Grid 0.01 kg/kWh; DRAM need 4*16*5 + 2*64 = 448 GB -> 14 new DIMMs
    without the pool, 10 DIMMs + 128 GB reused with it. Saving: 4 DIMMs' embodied
    4*16/5 = 12.8 kg and power 4*5 W -> 1.752 kg, minus the reused DIMMs' power
    128*11.85/32 W = 47.4 W -> 415.224 kWh -> 4.15224 kg: 10.39976 kg."""
    tiny_dict["hardware"].update(gpus=["gpu-a"], hosts=["host-r"])
    tiny_dict["grid"]["intensity"] = "0.01 kgCO2e/kWh"
    tiny_dict["host_needs"]["dram_per_gpu_memory"] = 4.0
    tiny_dict["pillars"].update(reduce=True, reuse=True)
    without = solve_dict(tiny_dict)
    tiny_dict["inventory"] = {"dram_gb": 128}
    with_pool = solve_dict(tiny_dict)
    assert without.carbon - with_pool.carbon == pytest.approx(10.39976, rel=1e-9)
    dep = with_pool.tables["deployment"].iloc[0]
    assert (dep["dimms"], dep["reused_dram_gb"]) == (10, pytest.approx(128.0))


def test_unmounted_owned_gpus_are_not_reported_in_use(tiny_dict: dict[str, Any]) -> None:
    """5 owned gpu-b with sunk embodied: even free, gpu-b's power makes 3 of them worse
    (4818 + 63.6 = 4881.6 kg) than 5 new gpu-a (3950.2 kg), so none is mounted and the
    fleet table must not list them (the solver may still set use_owned_gpu > 0 at no cost)."""
    tiny_dict["pillars"]["reuse"] = True
    tiny_dict["inventory"] = {"gpus": [{"gpu": "gpu-b", "count": 5, "age_years": 1}]}
    res = solve_dict(tiny_dict)
    assert res.carbon == pytest.approx(BASE, rel=1e-9)
    fleet = res.tables["fleet"]
    assert fleet[(fleet.kind == "gpu") & (fleet.source == "owned")].empty


def test_owned_past_lifetime_is_unusable(tiny_dict: dict[str, Any]) -> None:
    tiny_dict["pillars"]["reuse"] = True
    tiny_dict["inventory"] = {"gpus": [{"gpu": "gpu-a", "count": 5, "age_years": 5}]}
    assert solve_dict(tiny_dict).carbon == pytest.approx(BASE, rel=1e-9)


@pytest.mark.parametrize("cpu_dyn_w", [100.0, 200.0, 230.0, 300.0])
def test_offline_moves_to_host_cpus_exactly_when_cheaper(
    tiny_dict: dict[str, Any], catalog_copy: Any, cpu_dyn_w: float
) -> None:
    """Online load fills the 5 gpu-a; add 20 tok/s of offline work (1,728,000 tokens/day).

    Host CPUs: 2 host-x, spare sockets 0.75*2 - (4*5+4*2)/32 = 0.625; one socket serves
      4*100/(2+100*0.04) = 66.67 tok/s, so 20 tok/s use 0.3 socket at dyn power p:
      carbon = 8760*0.5*0.3*p = 1314 p (p in kW).
    Cheapest GPU option: a 6th gpu-a (fits the 2 hosts): 20 kg + idle 0.05*4380 = 219
      + dyn 0.1*0.1*4380 = 43.8 -> 282.8 kg.
    So CPUs take the work iff 1314 p < 282.8, i.e. p < 215.2 W.
    """
    import pandas as pd

    cpu = pd.read_csv(Path(tiny_dict["catalog"]) / "cpu_profiles.csv")
    cpu["power_w"] = 50.0 + cpu_dyn_w  # idle 50 W + dynamic
    tiny_dict["catalog"] = str(catalog_copy(cpu_profiles=cpu))
    tiny_dict["llms"]["tiny-llm"]["offline"] = {
        "tokens_per_day": 20 * 86400,
        "input_tokens": 100,
        "output_tokens": 100,
    }
    tiny_dict["pillars"]["reuse_host_cpus"] = True
    res = solve_dict(tiny_dict)
    cpu_carbon = 1314.0 * cpu_dyn_w / 1e3
    expected = BASE + min(cpu_carbon, 282.8)
    assert res.carbon == pytest.approx(expected, rel=1e-9)
    on_cpu = res.metrics["offline_share_host_cpu"]
    assert on_cpu == pytest.approx(1.0 if cpu_carbon < 282.8 else 0.0)
    tiny_dict["pillars"]["reuse_host_cpus"] = False
    off = solve_dict(tiny_dict)
    assert off.carbon == pytest.approx(BASE + 282.8, rel=1e-9)
    assert res.carbon <= off.carbon + 1e-6


def _two_models(tiny_dict: dict[str, Any], catalog_copy: Any) -> dict[str, Any]:
    """tiny-llm (best on gpu-a, TP 1) plus tiny-big (20 GB: gpu-a only at TP 2, where it
    is slow; on gpu-b TP 2 is four times faster per GPU than TP 1)."""
    import pandas as pd

    cat = Path(tiny_dict["catalog"])
    llms = pd.read_csv(cat / "llms.csv")
    big = llms.iloc[0].copy()
    big["llm"], big["params_b"], big["active_params_b"], big["weights_gb"] = "tiny-big", 10, 10, 20
    llms = pd.concat([llms, big.to_frame().T], ignore_index=True)
    prof = pd.read_csv(cat / "profiles.csv")
    rows = [
        ("gpu-a", 2, 45, 190),
        ("gpu-b", 1, 45, 450),
        ("gpu-b", 2, 5, 400),
    ]
    extra = pd.DataFrame(
        [
            {
                **prof.iloc[0].to_dict(),
                "llm": "tiny-big",
                "gpu": g,
                "tp": tp,
                "tpot_ms": tpot,
                "power_w": w,
            }
            for g, tp, tpot, w in rows
        ]
    )
    tiny_dict["catalog"] = str(catalog_copy(llms=llms, profiles=pd.concat([prof, extra])))
    tiny_dict["hardware"].update(gpus=["gpu-b", "gpu-a"], tp_degrees=[1, 2])
    tiny_dict["llms"]["tiny-big"] = {**tiny_dict["llms"]["tiny-llm"]}
    tiny_dict["llms"]["tiny-big"]["online"] = {
        **tiny_dict["llms"]["tiny-llm"]["online"],
        "tokens_per_s": 800,
    }
    return tiny_dict


def test_rightsize_off_is_one_gpu_type_chosen_by_the_objective(
    tiny_dict: dict[str, Any], catalog_copy: Any
) -> None:
    """Rightsize off = one GPU type for all models, chosen by the objective, TP per model
    free: its optimum equals the best single-type fleet (brute force over the types, each
    solved with only that type listed), for every objective. The two models prefer
    different types, so Rightsize on is strictly better; tiny-big runs at TP 2 (TP 1, the
    smallest fitting degree, is four times slower per GPU)."""
    data = _two_models(tiny_dict, catalog_copy)
    for objective in ("carbon", "cost", "energy"):
        data["pillars"]["rightsize"] = False
        off = solve_dict(data, objective=objective)
        single = {}
        for g in ("gpu-a", "gpu-b"):
            one = {**data, "hardware": {**data["hardware"], "gpus": [g]}}
            one["pillars"] = {**data["pillars"], "rightsize": True}
            single[g] = solve_dict(one, objective=objective).metrics[
                {"carbon": "carbon_kg", "cost": "cost_usd", "energy": "energy_kwh"}[objective]
            ]
        metric = {"carbon": "carbon_kg", "cost": "cost_usd", "energy": "energy_kwh"}[objective]
        assert off.metrics[metric] == pytest.approx(min(single.values()), rel=1e-9), objective
        reps = off.tables["replicas"]
        assert reps.loc[reps["replicas"] > 0, "gpu"].nunique() == 1
        data["pillars"]["rightsize"] = True
        on = solve_dict(data, objective=objective)
        assert on.metrics[metric] < off.metrics[metric] * (1 - 1e-3), objective
    data["pillars"]["rightsize"] = False
    reps = solve_dict(data).tables["replicas"]
    big = reps[(reps["llm"] == "tiny-big") & (reps["replicas"] > 0)]
    assert set(big["tp"]) == {2}


def test_recycle_extends_lifetimes(tiny_dict: dict[str, Any]) -> None:
    """Horizon accounting (embodied only), sourced ageing (constant failure rates: no spares
    factor): per year E/(L0+e). GPU (E=100, L0=5, e<=2): e=2 -> 14.285714; host-x (E=318,
    L0=5, e<=3; 5 = coupled life is also allowed): e=3 -> 39.75. (Steady-state accounting:
    tests/formulation/test_recycle_lifetime.py; ageing: test_recycle_ageing.py.)"""
    tiny_dict["pillars"]["recycle"] = True
    tiny_dict["recycle"] = {"lifetime_accounting": "horizon"}
    res = solve_dict(tiny_dict)
    gpu = 100 / 7
    host = 318 / 8
    assert res.carbon == pytest.approx(3723 + 5 * gpu + 2 * host, rel=1e-9)
    fleet = res.tables["fleet"].set_index("kind")
    assert fleet.loc["gpu", "lifetime_years"] == 7
    assert fleet.loc["host", "lifetime_years"] == 8


def test_recycle_newer_generation_only_when_available(tiny_dict: dict[str, Any]) -> None:
    """Two years from 2021: gpu-b (2022) cannot be bought in year 1."""
    tiny_dict.update(horizon="2 years", start_year=2021)
    tiny_dict["hardware"]["gpus"] = ["gpu-b", "gpu-a"]
    tiny_dict["pillars"]["recycle"] = True
    res = solve_dict(tiny_dict)
    fleet = res.tables["fleet"]
    bought_b = fleet[(fleet.item == "gpu-b") & (fleet.source == "new")]
    assert (bought_b["year_bought"] >= 2).all()
    assert fleet[(fleet.item == "gpu-a") & (fleet.year_bought == 1)]["count"].sum() >= 5


def _two_level_grid(tmp_path: Path) -> str:
    csv = tmp_path / "grid.csv"
    lines = ["hour,gco2e_per_kwh"] + [f"{h},{100 if h < 12 else 900}" for h in range(24)]
    csv.write_text("\n".join(lines) + "\n")
    return str(csv)


def test_shift_offline_to_clean_hours(tiny_dict: dict[str, Any], tmp_path: Path) -> None:
    """Offline only, 17.28 M tokens/day (= one gpu-a all day); 12 h at 0.1, 12 h at 0.9.

    Off (flat): 1 gpu-a busy all day: (0.15+0.05 kW) * (12*0.1+12*0.9) = 2.4 kg/day -> 876;
      embodied 20 + 63.6 -> 959.6.
    On: 2 gpu-a busy in the 12 clean hours, idle otherwise:
      12*0.35*0.1 + 12*0.15*0.9 = 2.04 kg/day -> 744.6; embodied 40 + 63.6 -> 848.2.
    """
    tiny_dict["hardware"]["gpus"] = ["gpu-a"]
    tiny_dict["time_slots"] = 24
    tiny_dict["grid"] = {"intensity": 500, "hourly_csv": _two_level_grid(tmp_path), "pue": 1.0}
    tiny_dict["llms"]["tiny-llm"] = {
        "offline": {"tokens_per_day": 200 * 86400, "input_tokens": 100, "output_tokens": 100}
    }
    off = solve_dict(tiny_dict)
    assert off.carbon == pytest.approx(959.6, rel=1e-9)
    tiny_dict["pillars"]["shift_offline"] = True
    on = solve_dict(tiny_dict)
    assert on.carbon == pytest.approx(848.2, rel=1e-9)
    power = on.tables["power"]
    assert power.loc[power.grid_kg_per_kwh > 0.5, "gpu_kw"].max() == pytest.approx(0.1)


def _rich(tiny_dict: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    tiny_dict["hardware"].update(gpus=["gpu-b", "gpu-a"], hosts=["host-r", "host-x", "host-c"])
    tiny_dict["time_slots"] = 4
    tiny_dict["grid"] = {"intensity": 500, "hourly_csv": _two_level_grid(tmp_path), "pue": 1.1}
    tiny_dict["llms"]["tiny-llm"]["offline"] = {
        "tokens_per_day": 300 * 86400,
        "input_tokens": 100,
        "output_tokens": 100,
        "window": [6, 22],
    }
    tiny_dict["llms"]["tiny-llm"]["online"]["diurnal"] = [
        1 + 0.5 * (8 <= h < 20) for h in range(24)
    ]
    tiny_dict["inventory"] = {
        "gpus": [{"gpu": "gpu-a", "count": 2, "age_years": 4}],
        "hosts": [{"host": "host-x", "count": 1, "age_years": 3}],
        "embodied_residual_share": 0.2,
    }
    return tiny_dict


PILLARS = ["reduce", "reuse", "reuse_host_cpus", "rightsize", "recycle", "shift_offline"]


@pytest.mark.parametrize("pillar", PILLARS)
def test_pillar_never_raises_carbon(pillar: str, tiny_dict: dict[str, Any], tmp_path: Path) -> None:
    """For every setting of the other pillars (a sample), switching this one on never raises
    the optimal carbon."""
    base = _rich(tiny_dict, tmp_path)
    others = [p for p in PILLARS if p != pillar]
    combos = list(itertools.product([False, True], repeat=len(others)))[::7]
    for combo in combos:
        settings = dict(zip(others, combo, strict=True))
        results = {}
        for state in (False, True):
            base["pillars"] = {**settings, pillar: state}
            results[state] = solve_dict(base).carbon
        assert results[True] <= results[False] * (1 + 1e-9), (pillar, settings, results)


def test_rightsize_off_with_demand_only_cpus_can_serve() -> None:
    """Rightsize off picks at most one GPU type: where no GPU can be used (here the only
    host platform takes none of the catalog's GPUs) the model still builds and CPU sockets
    serve the offline batch (regression: a trivially false ``one_gpu_type`` constraint)."""
    d = tiny()
    d["llms"]["tiny-llm"] = {
        "offline": {
            "tokens_per_day": 1e6,
            "input_tokens": 100,
            "output_tokens": 100,
            "window": [2, 20],
        }
    }
    d["pillars"] = {
        "reduce": False,
        "reuse": False,
        "reuse_host_cpus": True,
        "rightsize": False,
        "recycle": False,
        "shift_offline": False,
    }
    d["hardware"]["hosts"] = ["host-c"]
    res = solve_dict(d)
    assert res.status.value == "optimal"
    assert res.metrics["gpus"] == 0
    assert res.metrics["offline_share_host_cpu"] == pytest.approx(1.0)


def test_rightsize_off_offline_bound_uses_the_window_hours() -> None:
    """Rightsize off bounds each replica count by the demand at its lowest-capacity point;
    offline work runs only in its window (18 h of the 24-h slot here), so the bound must
    use the window hours (regression: 25.92e6 tokens/day, 400 tokens/s over the window,
    was reported infeasible because the bound spread the day's volume over 24 h)."""
    d = tiny()
    d["llms"]["tiny-llm"] = {
        "offline": {
            "tokens_per_day": 25_920_013.0,
            "input_tokens": 100,
            "output_tokens": 100,
            "window": [2, 20],
        }
    }
    d["time_slots"] = 1
    d["pillars"] = dict.fromkeys(
        ["reduce", "reuse", "reuse_host_cpus", "rightsize", "recycle", "shift_offline"], False
    )
    d["hardware"]["hosts"] = ["host-x"]
    res = solve_dict(d)
    assert res.status.value == "optimal"
