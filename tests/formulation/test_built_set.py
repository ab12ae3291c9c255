"""``Built.set``: parameter updates from the API re-solve the built model (hand-worked).

Tiny scenario (tests/sweep/conftest.py): under the carbon objective design A (5 gpu-a,
2 hosts, P 0.85 kW, E 227.2 kgCO2e/y) is optimal at every intensity used here, so
carbon = 227.2 + 8760 h x 0.85 kW x PUE x ci.
"""

from __future__ import annotations

from typing import Any

import pytest

import ecoserve_opt as eo
from ecoserve_opt.exceptions import EcoserveError
from ecoserve_opt.io.yaml_loader import validate_dict

pytestmark = pytest.mark.milp


def _carbon_a(ci_g: float, pue: float = 1.0) -> float:
    return 227.2 + 8760.0 * 0.85 * pue * ci_g / 1000.0


def test_set_grid_intensity_and_pue(tiny_dict: dict[str, Any]) -> None:
    built = eo.build(validate_dict(tiny_dict))
    res = built.set(grid_intensity=250).solve()
    assert res.metrics["carbon_kg"] == pytest.approx(_carbon_a(250), rel=1e-6)
    res = built.set(pue=1.2).solve()  # intensity stays at 250
    assert res.metrics["carbon_kg"] == pytest.approx(_carbon_a(250, 1.2), rel=1e-6)
    assert res.meta["updates"] == {"grid_intensity": 250.0, "pue": 1.2}
    res = built.set(grid_intensity="0.1 kgCO2e/kWh", pue=1.0).solve()
    assert res.metrics["carbon_kg"] == pytest.approx(_carbon_a(100), rel=1e-6)


def test_set_rejects_bad_values(tiny_dict: dict[str, Any]) -> None:
    built = eo.build(validate_dict(tiny_dict))
    with pytest.raises(EcoserveError, match=r"pue: must be >= 1, got 0.9"):
        built.set(pue=0.9)
    with pytest.raises(EcoserveError, match=r"grid_intensity: must be >= 0 gCO2e/kWh"):
        built.set(grid_intensity=-1)
    with pytest.raises(EcoserveError, match=r"demand_scale: must be >= 0"):
        built.set(demand_scale=-2)
