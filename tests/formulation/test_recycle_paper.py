"""Issue 14's acceptance on the paper scenario: lifetimes follow the grid (slow: ~9 solves).

``scenarios/ecoserve_paper.yaml`` with ``grid.region=null`` and ``grid.intensity`` 10, 20
or 800 gCO2e/kWh, steady-state lifetime accounting and sourced ageing (the defaults).
Catalog lifetimes: GPUs 5 years (options 5-7), hosts 6 (options 5, the GPUs' life, and 6-9).

What the data gives (benchmarks/run_recycle.py, docs/formulation.md): on the dirty grid new
GPUs and hosts keep the shortest option (5 years); on the clean grid hosts take the longest
(9 years). New H100s (GreenSKU-derived embodied carbon, 154 kg: chip and HBM) are at their
break-even between 5 and 6 years near 20 g/kWh (6 years pays below ~19 g/kWh on a flat grid;
the solve gives 6, a near tie), so the strict "GPUs live longer on a clean grid" is asserted
at 10 g/kWh (7 years), where it is not a tie. With BoaviztAPI's GPU embodied carbon (575 kg
per H100, with board and heatsink) the clean grid keeps GPUs longer at 20 g/kWh.
"""

from __future__ import annotations

from typing import Any

import pytest

import ecoserve_opt as eo
from ecoserve_opt.paths import bundled_scenarios

pytestmark = [pytest.mark.milp, pytest.mark.slow]

GPU_LONGEST, HOST_LONGEST = 7, 9


def _solve(intensity: float, **more: Any) -> eo.Results:
    # the scenario's 120 s limit can stop a solve on a loaded machine with a poor incumbent;
    # the acceptance is about the model's optimum, so the limit is raised, and the gap
    # lowered: within the scenario's 1% another fleet can be returned (with the heuristic
    # start, a 9-year host cohort on the dirty grid, 0.6% from the bound)
    overrides = {
        "grid.region": None,
        "grid.intensity": f"{intensity} gCO2e/kWh",
        "solver.time_limit": 900,
        "solver.mip_rel_gap": 0.001,
        **more,
    }
    loaded = eo.load_scenario(bundled_scenarios()["ecoserve_paper"], overrides=overrides)
    res = eo.solve(loaded)
    assert res.status.has_solution
    return res


def _lives(res: eo.Results, kind: str) -> list[int]:
    f = res.tables["fleet"]
    return sorted(set(f[(f["kind"] == kind) & (f["source"] == "new")]["lifetime_years"]))


def _mean_life(res: eo.Results, kind: str) -> float:
    f = res.tables["fleet"]
    new = f[(f["kind"] == kind) & (f["source"] == "new")]
    return float((new["count"] * new["lifetime_years"]).sum() / new["count"].sum())


def test_lifetimes_follow_the_grid_on_the_paper_scenario() -> None:
    clean, dirty = _solve(20), _solve(800)
    # dirty grid: below the longest option, for GPUs and hosts
    assert max(_lives(dirty, "gpu")) < GPU_LONGEST
    assert max(_lives(dirty, "host")) < HOST_LONGEST
    # clean grid: hosts live longest; GPUs never shorter than on the dirty grid (a near tie
    # between 5 and 6 years at 20 g/kWh, see the module docstring)
    assert _lives(clean, "host") == [HOST_LONGEST]
    assert _mean_life(clean, "gpu") >= _mean_life(dirty, "gpu")
    assert _mean_life(clean, "host") > _mean_life(dirty, "host")
    # Recycle on never raises carbon (the MIP gap is the tolerance)
    for ci, on in ((20, clean), (800, dirty)):
        off = _solve(ci, **{"pillars.recycle": False})
        tol = (on.metrics["gap"] or 0.0) + (off.metrics["gap"] or 0.0)
        assert on.carbon <= off.carbon * (1 + tol), ci


def test_new_gpus_live_longer_on_a_clean_grid() -> None:
    """10 g/kWh: below the H100's break-even for 7 years (~15.6 g/kWh on a flat grid)."""
    clean, dirty = _solve(10), _solve(800)
    assert _mean_life(clean, "gpu") > _mean_life(dirty, "gpu")
    assert _lives(dirty, "gpu") == [5]
    assert _lives(clean, "host") == [HOST_LONGEST]


def test_gpu_lifetime_shortens_on_a_dirty_grid_with_board_level_embodied() -> None:
    clean = _solve(20, embodied_source="boavizta")
    dirty = _solve(800, embodied_source="boavizta")
    assert max(_lives(dirty, "gpu")) < GPU_LONGEST
    assert _mean_life(clean, "gpu") > _mean_life(dirty, "gpu")
