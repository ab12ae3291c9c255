"""The burst headroom rule: derived from minute-level peaks, applied to the sized demand."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pytest

import ecoserve_opt as eo
from ecoserve_opt.data import build_data
from ecoserve_opt.exceptions import ScenarioError
from ecoserve_opt.paths import scenarios_dir
from ecoserve_opt.workload import load_trace, minute_peak_to_mean, poisson_minute_headroom


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


def test_headroom_multiplies_the_sized_demand() -> None:
    path = scenarios_dir() / "default.yaml"
    auto = build_data(eo.load_scenario(path))
    off = build_data(
        eo.load_scenario(
            path,
            overrides={
                "llms.llama3-8b.online.burst_headroom": 1,
                "llms.llama3-70b.online.burst_headroom": 1,
            },
        )
    )
    for key, base in off.online_demand.items():
        head = auto.online_headroom[key]
        assert auto.online_demand[key] == pytest.approx(base * head)
        if key[0] == "llama3-8b":
            assert head == pytest.approx(1.5213, abs=1e-4)
        else:  # Poisson rule at the slot's peak-hour request rate
            rate = base / 256
            assert head == pytest.approx(poisson_minute_headroom(rate))
    assert off.online_headroom[("llama3-8b", 1, 0)] == 1.0


def test_headroom_below_one_is_rejected() -> None:
    with pytest.raises(ScenarioError, match="burst_headroom must be 'auto' or a number >= 1"):
        eo.load_scenario(
            scenarios_dir() / "default.yaml",
            overrides={"llms.llama3-8b.online.burst_headroom": 0.5},
        )
