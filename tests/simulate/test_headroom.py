"""The headroom rules: minute-level peaks and the queueing bound, applied to capacity only."""

from __future__ import annotations

from statistics import NormalDist
from typing import Any

import numpy as np
import pytest

import ecoserve_opt as eo
from ecoserve_opt.data import ModelData, build_data
from ecoserve_opt.data.keys import Point
from ecoserve_opt.exceptions import ScenarioError
from ecoserve_opt.paths import scenarios_dir
from ecoserve_opt.queueing import slots_needed, wait_exceedance
from ecoserve_opt.workload import load_trace, minute_peak_to_mean, poisson_minute_headroom
from tests.helpers import solve_dict


def test_trace_headroom_is_the_minute_peak_to_mean() -> None:
    t = load_trace("azure-conv-2023")["t_s"].to_numpy()
    counts = np.bincount((t // 60).astype(int))[: int(t.max() // 60)]
    assert minute_peak_to_mean(t) == pytest.approx(counts.max() / counts.mean())
    assert minute_peak_to_mean(t) == pytest.approx(1.5213, abs=1e-4)


def test_poisson_headroom_formula() -> None:
    z = NormalDist().inv_cdf(1 - 1 / 60)
    assert z == pytest.approx(2.128, abs=1e-3)
    assert poisson_minute_headroom(27.0) == pytest.approx(1 + z / np.sqrt(60 * 27.0))
    assert poisson_minute_headroom(0.0) == 1.0
    # at the 1 - 1/60 level, a simulated Poisson process exceeds it in ~1/60 of minutes
    rng = np.random.default_rng(0)
    mu = 60 * 27.0
    counts = rng.poisson(mu, 200_000)
    share = float(np.mean(counts > poisson_minute_headroom(27.0) * mu))
    assert share == pytest.approx(1 / 60, rel=0.1)


def _default(**overrides: object) -> ModelData:
    return build_data(eo.load_scenario(scenarios_dir() / "default.yaml", overrides=overrides))


def test_headroom_is_on_capacity_not_on_the_demand() -> None:
    auto = _default()
    off = _default(
        **{
            "llms.llama3-8b.online.headroom_rule": "none",
            "llms.llama3-70b.online.headroom_rule": "none",
        }
    )
    peak = _default(
        **{
            "llms.llama3-8b.online.headroom_rule": "minute-peak",
            "llms.llama3-70b.online.headroom_rule": "minute-peak",
        }
    )
    # the demand (tokens to serve, hence energy) is the same under every rule
    assert auto.online_demand == off.online_demand == peak.online_demand
    assert off.online_capacity_factor == {}
    assert off.capacity_factor(auto.points[0], 1, 0) == 1.0
    for k in auto.points:
        for y in auto.years:
            for s in auto.slots:
                f_auto, f_peak = auto.capacity_factor(k, y, s), peak.capacity_factor(k, y, s)
                if k[4] == "offline":
                    assert f_auto == f_peak == 1.0
                    continue
                head = peak.online_headroom[(k[0], y, s)]
                assert f_peak == head  # minute-peak: the burst factor itself
                if k[0] == "llama3-8b":
                    assert head == pytest.approx(1.5213, abs=1e-4)
                    # queueing adds streaming and queueing headroom to the minute peak
                    assert f_auto > head
                else:  # Poisson rule at the slot's peak-hour request rate
                    rate = auto.online_demand[(k[0], y, s)] / 256
                    assert head == pytest.approx(poisson_minute_headroom(rate))
                    assert auto.online_headroom[(k[0], y, s)] == 1.0
                    assert f_auto > 1.0


def test_queueing_factor_of_a_point_is_the_documented_formula() -> None:
    d = _default()
    k, y, s = Point("llama3-70b", "h100-80gb", 8, 32, "online"), 1, 3  # bf16
    on = d.scenario.llms["llama3-70b"].online
    assert on is not None
    ttft_one = min(
        d.ttft_s[p] for p in d.points if p[:3] == k[:3] and p[4] == "online"
    )  # TTFT at the smallest batch
    rate = d.online_demand[(k[0], y, s)] / on.output_tokens
    s_stream = (on.output_tokens - 1) * d.tpot_s[k] + k[3] * ttft_one
    s_static = d.ttft_s[k] + on.output_tokens * d.tpot_s[k]
    assert s_static == pytest.approx(k[3] * on.output_tokens / d.cap[k])
    slack = on.ttft_slo - d.ttft_s[k]
    c = slots_needed(rate * s_stream, slack / s_stream, 0.01, cs2=0.0)
    assert d.capacity_factor(k, y, s) == pytest.approx(c / (rate * s_static))
    # the fewest slots: one fewer breaks the target
    assert wait_exceedance(c, rate * s_stream, slack / s_stream, 0.0) <= 0.01
    assert wait_exceedance(c - 1, rate * s_stream, slack / s_stream, 0.0) > 0.01


def test_headroom_below_one_is_rejected() -> None:
    with pytest.raises(ScenarioError, match="burst_headroom must be 'auto' or a number >= 1"):
        eo.load_scenario(
            scenarios_dir() / "default.yaml",
            overrides={"llms.llama3-8b.online.burst_headroom": 0.5},
        )


def test_unknown_headroom_rule_and_target_are_rejected() -> None:
    path = scenarios_dir() / "default.yaml"
    with pytest.raises(ScenarioError, match="headroom_rule"):
        eo.load_scenario(path, overrides={"llms.llama3-8b.online.headroom_rule": "erlang"})
    with pytest.raises(ScenarioError, match="attainment_target"):
        eo.load_scenario(path, overrides={"llms.llama3-8b.online.attainment_target": 1.0})


@pytest.mark.milp
def test_headroom_buys_replicas_but_energy_follows_the_demand(
    tiny_dict: dict[str, Any],
) -> None:
    """Tiny scenario (tests/formulation/test_tiny_optimum.py) with capacity for 1.5x the
    1000 tok/s demand (``minute-peak``, burst 1.5): 1500 tok/s of capacity is 8 gpu-a
    (200 tok/s each) on 2 hosts, serving the real 1000 tok/s. GPU power = idle + (busy -
    idle) x load: 8 x 0.05 + 0.1 x 1000/200 = 0.9 kW, hosts 2 x 0.05 -> P = 1.0 kW ->
    8760 kWh -> 4380 kg; embodied 8 x 20 + 2 x 63.6 = 287.2 -> 4667.2 kg. (Headroom on the
    demand, as before, would count 0.1 x 1500/200 = 0.75 kW of load: 1.25 kW, 10950 kWh.)
    The alternatives: 4 gpu-b on 1 host (1.2 kW, 5559.6 kg) or mixes on 3 hosts cost more.
    """
    tiny_dict["llms"]["tiny-llm"]["online"].update(
        {"headroom_rule": "minute-peak", "burst_headroom": 1.5}
    )
    res = solve_dict(tiny_dict)
    assert res.optimal
    assert res.tables["replicas"][["gpu", "replicas"]].values.tolist() == [["gpu-a", 8]]
    assert res.metrics["energy_kwh"] == pytest.approx(8760.0, rel=1e-9)
    assert res.carbon == pytest.approx(4380.0 + 287.2, rel=1e-9)
    util = res.tables["utilisation"]
    assert util["tokens_per_s"].sum() == pytest.approx(1000.0, rel=1e-9)
    # replica-equivalents count the capacity reserved: load x factor / capacity
    assert util["replica_equiv"].sum() == pytest.approx(1000.0 * 1.5 / 200, rel=1e-9)
