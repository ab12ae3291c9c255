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
