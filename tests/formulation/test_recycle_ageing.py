"""Recycle's ageing (``recycle.ageing``) and early retirement, hand-worked on the tiny fixture.

Same setting as test_recycle_lifetime.py (one year, r = 0.25, load share 0.5, gpu-a
E = 100 kg, 1095 kWh/y; host-x E = 318 kg, 438 kWh/y; eps_5 = 0.32768, eps_6 = 0.38512,
eps_7 = 0.4355109, eps_8 = 0.4798576), CI = 0.04 kg/kWh (kWh x CI: GPU 43.8, host 17.52).

``ageing: sourced`` with the sourced rates (constant with age): omega_L = 1 for every L.
  gpu-a  L5: 20   L6: 16.666667 + 0.05744 x 43.8 = 19.182539
         L7: 14.285714 + 0.1078309 x 43.8 = 19.008706            -> L = 7
  host-x L8: 39.75 + 0.1521776 x 17.52 = 42.416152                -> L = 8
A wear-out curve for GPUs, AFR by age 2 % (ages 0-4), 10 % (age 5), 20 % (6 and later):
  rho_5 = 0.02, rho_6 = 0.2/6, rho_7 = 0.4/7
  omega_6 = 1 + 6 (0.2/6 - 0.02) = 1.08, omega_7 = 1 + 7 (0.4/7 - 0.02) = 1.26
  gpu-a  L6: 108/6 + 2.515872 = 20.515872   L7: 126/7 + 4.722992 = 22.722992  -> L = 5
Early retirement (gpu_extra_years [-2..2]) at CI = 0.5 kg/kWh (GPU 547.5 kg/y):
  eps_3 = 0.56/3, eps_4 = 1.048/4
"""

from __future__ import annotations

from typing import Any

import pytest

import ecoserve_opt as eo
from ecoserve_opt.io.yaml_loader import validate_dict
from tests.helpers import solve_dict

pytestmark = pytest.mark.milp

Q = 1.25
EPS = {L: sum(1 - Q**-a for a in range(L)) / L for L in range(1, 9)}
WEAR_OUT = [0.02, 0.02, 0.02, 0.02, 0.02, 0.10, 0.20]


def _recycle(tiny_dict: dict[str, Any], ci_g: float, **rec: Any) -> dict[str, Any]:
    tiny_dict["pillars"]["recycle"] = True
    tiny_dict["grid"]["intensity"] = f"{ci_g} gCO2e/kWh"
    tiny_dict["recycle"] = {"gpu_efficiency_gain": 0.25, "host_efficiency_gain": 0.25, **rec}
    return tiny_dict


def _lifetimes(res: eo.Results) -> dict[str, set[int]]:
    fleet = res.tables["fleet"]
    new = fleet[fleet["source"] == "new"]
    return {k: set(g["lifetime_years"]) for k, g in new.groupby("kind")}


def test_sourced_constant_failure_rates_charge_no_lifetime(tiny_dict: dict[str, Any]) -> None:
    """The sourced AFRs do not change with age: no spares charge, GPUs take 7 years (the
    old flat 3 %/year overhead kept them at 6, test_recycle_lifetime.py)."""
    res = solve_dict(_recycle(tiny_dict, 40))
    assert res.optimal
    assert _lifetimes(res) == {"gpu": {7}, "host": {8}}
    gpu = 100 / 7 + (EPS[7] - EPS[5]) * 43.8
    host = 318 / 8 + (EPS[8] - EPS[5]) * 17.52
    assert gpu == pytest.approx(19.008706, abs=1e-6)
    assert host == pytest.approx(42.416152, abs=1e-6)
    assert res.carbon == pytest.approx(297.84 + 5 * gpu + 2 * host, rel=1e-9)
    none = solve_dict(_recycle(tiny_dict, 40, ageing="none"))
    assert none.carbon == pytest.approx(res.carbon, rel=1e-12)


def test_rising_failure_rate_shortens_the_gpu_life(tiny_dict: dict[str, Any]) -> None:
    res = solve_dict(_recycle(tiny_dict, 40, gpu_afr_by_age=WEAR_OUT))
    assert res.optimal
    assert _lifetimes(res) == {"gpu": {5}, "host": {8}}
    host = 318 / 8 + (EPS[8] - EPS[5]) * 17.52
    assert res.carbon == pytest.approx(297.84 + 5 * 20.0 + 2 * host, rel=1e-9)
    # the factors by hand, on the built model's data
    d = eo.build(validate_dict(_recycle(tiny_dict, 40, gpu_afr_by_age=WEAR_OUT))).data
    assert d.cohort_overhead[("gpu", "gpu-a", 6)] == pytest.approx(1.08, abs=1e-12)
    assert d.cohort_overhead[("gpu", "gpu-a", 7)] == pytest.approx(1.26, abs=1e-12)
    assert d.cohort_overhead[("gpu", "gpu-a", 5)] == 1.0
    # L6 and L7 per year, as in the module docstring: both above L5's 20
    assert 108 / 6 + (EPS[6] - EPS[5]) * 43.8 == pytest.approx(20.515872, abs=1e-6)
    assert 126 / 7 + (EPS[7] - EPS[5]) * 43.8 == pytest.approx(22.722992, abs=1e-6)
