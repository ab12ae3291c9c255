"""Fixtures for the sweep and Pareto tests (scenarios: see tests/helpers.py)."""

from __future__ import annotations

import pytest

from ecoserve_opt.io.yaml_loader import LoadedScenario
from tests.helpers import (  # noqa: F401  (re-exported for code that imports them from here)
    carbon_a,
    carbon_b,
    cheap_gpu_b,
    heavy_host,
    tiny,
    with_catalog,
)


@pytest.fixture(scope="session")
def tradeoff(tmp_path_factory: pytest.TempPathFactory) -> LoadedScenario:
    """gpu-b costs 500 USD instead of 4000: cost and carbon now trade off.

    cost = capex/5 per GPU and host + 0.08 USD/kWh x 8760 P:
      B 300 + 100 + 770.88 = 1170.88   carbon 243.6 + 4380 x 1.10 = 5061.6
      C 200 + 200 + 735.84 = 1335.84   carbon 267.2 + 4380 x 1.05 = 4866.2
      D 700 + 200 + 665.76 = 1565.76   carbon 247.2 + 4380 x 0.95 = 4408.2
      A 1000 + 200 + 595.68 = 1795.68  carbon 227.2 + 4380 x 0.85 = 3950.2
    Every other GPU mix is dominated (e.g. 2a+2b: 1535.84 USD, 4886.2 kg).
    """
    return with_catalog(tmp_path_factory.mktemp("tradeoff"), gpus=cheap_gpu_b)


@pytest.fixture(scope="session")
def switch(tmp_path_factory: pytest.TempPathFactory) -> LoadedScenario:
    """host-x base embodied 1000 kg instead of 100: host-heavy A loses on clean grids.

    Host embodied (1000+50+128+40)/5 = 243.6 kg/y, so
      A: 100 + 2 x 243.6 = 587.2 + 7446 ci      B: 180 + 243.6 = 423.6 + 9636 ci
    B is optimal below ci* = 163.6 / 2190 = 74.7 gCO2e/kWh, A above.
    """
    return with_catalog(tmp_path_factory.mktemp("switch"), embodied=heavy_host)
