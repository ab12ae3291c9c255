"""Regression tests for the audited defects of issue 12 (each failed before its fix)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import make_scenario

import ecoserve_opt as eo


# --- defect 1: gpu_hours weighted by 365 x slot hours instead of 8760 h per year ------------
@pytest.mark.parametrize("slots", [1, 4, 24])
def test_gpu_hours_is_mounted_gpus_times_8760_for_any_time_slots(
    tiny_dict: dict[str, Any], slots: int
) -> None:
    """GPU-hours = GPUs mounted x 8760 h per year, whatever the number of time slots."""
    res = eo.solve(make_scenario(tiny_dict, time_slots=slots, horizon="2 years"))
    assert res.optimal
    dep = res.tables["deployment"]
    mounted = dep.loc[dep["gpu"] != "none", "gpus"].sum()  # summed over both years
    # hand-worked: gpu-a serves 4 x 100 / (1 s + 100 x 10 ms) = 200 tok/s -> 5 per year
    assert mounted == pytest.approx(2 * 5)
    assert res.metrics["gpu_hours"] == pytest.approx(mounted * 8760.0)


# --- defect 6: Recycle off gave hosts the shortest candidate GPU lifetime --------------------
def test_recycle_off_keeps_catalog_lifetimes_and_rightsize_never_raises_carbon(
    tiny_dict: dict[str, Any], catalog_copy: Any
) -> None:
    """With gpu-b living 3 years (like an L4 in a custom catalog), Recycle off means every item
    keeps its own catalog lifetime: hosts 5 y, gpu-a 5 y. Rightsize on only adds choices, so it
    cannot raise carbon."""
    import pandas as pd

    from tests.conftest import TINY

    gpus = pd.read_csv(TINY / "catalog" / "gpus.csv")
    gpus.loc[gpus["gpu"] == "gpu-b", "lifetime_years"] = 3
    cat = catalog_copy(gpus=gpus)
    base = {**tiny_dict, "catalog": str(cat)}
    on = eo.solve(make_scenario(base, **{"pillars.rightsize": True}))
    off = eo.solve(make_scenario(base, **{"pillars.rightsize": False}))
    assert on.optimal and off.optimal
    assert on.carbon <= off.carbon * (1 + 1e-9)
    catalog_life = {"gpu-a": 5, "gpu-b": 3, "host-x": 5}
    for res in (on, off):
        fleet = res.tables["fleet"]
        assert len(fleet)
        for _, row in fleet.iterrows():
            assert row["lifetime_years"] == catalog_life[row["item"]], row.to_dict()
