"""Scenarios for the sweep and Pareto tests, built from the tiny fixture.

The tiny scenario (tests/fixtures/tiny, hand-worked in tests/formulation/test_tiny_optimum.py):
1000 output tokens/s, hosts carry GPUs of ONE type (4 slots each), 1 year, PUE 1, flat grid.
  gpu-a: 200 tok/s per GPU, 50 W idle, +0.5 W per tok/s, 20 kgCO2e/y embodied, 1000 USD
  gpu-b: 400 tok/s per GPU, 100 W idle, +0.75 W per tok/s, 60 kgCO2e/y embodied, 4000 USD
  host-x: 50 W idle, 63.6 kgCO2e/y embodied, 500 USD; electricity 0.08 USD/kWh; 8760 h.

Designs that matter below (power P, embodied E per year; carbon = E + 8760 P ci):
  A  5 gpu-a, 2 hosts:          P 0.85 kW, E 227.2
  B  3 gpu-b, 1 host:           P 1.10 kW, E 243.6
  C  1 gpu-a + 2 gpu-b, 2 hosts: P 1.05 kW, E 267.2  (a full: 200 + 800 tok/s)
  D  3 gpu-a + 1 gpu-b, 2 hosts: P 0.95 kW, E 247.2  (600 + 400 tok/s)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from ecoserve_opt.io.yaml_loader import LoadedScenario, validate_dict
from tests.conftest import TINY


def tiny() -> dict[str, Any]:
    """The tiny scenario as a dict with an absolute catalog path."""
    data = yaml.safe_load((TINY / "base.yaml").read_text())
    data["catalog"] = str(TINY / "catalog")
    return data


def with_catalog(folder: Path, **edits: Callable[[pd.DataFrame], pd.DataFrame]) -> LoadedScenario:
    """The tiny scenario on a copy of its catalog with edited tables."""
    import shutil

    cat = folder / "catalog"
    if not cat.exists():
        shutil.copytree(TINY / "catalog", cat)
    for table, edit in edits.items():
        df = pd.read_csv(cat / f"{table}.csv")
        edit(df).to_csv(cat / f"{table}.csv", index=False)
    data = tiny()
    data["catalog"] = str(cat)
    return validate_dict(data)


def _cheap_gpu_b(df: pd.DataFrame) -> pd.DataFrame:
    df.loc[df["gpu"] == "gpu-b", "capex_usd"] = 500
    return df


def _heavy_host(df: pd.DataFrame) -> pd.DataFrame:
    sel = (df["kind"] == "host_base") & (df["item"] == "host-x") & (df["embodied_source"] == "act")
    df.loc[sel, "kgco2e"] = 1000
    return df


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
    return with_catalog(tmp_path_factory.mktemp("tradeoff"), gpus=_cheap_gpu_b)


@pytest.fixture(scope="session")
def switch(tmp_path_factory: pytest.TempPathFactory) -> LoadedScenario:
    """host-x base embodied 1000 kg instead of 100: host-heavy A loses on clean grids.

    Host embodied (1000+50+128+40)/5 = 243.6 kg/y, so
      A: 100 + 2 x 243.6 = 587.2 + 7446 ci      B: 180 + 243.6 = 423.6 + 9636 ci
    B is optimal below ci* = 163.6 / 2190 = 74.7 gCO2e/kWh, A above.
    """
    return with_catalog(tmp_path_factory.mktemp("switch"), embodied=_heavy_host)


def carbon_a(ci_g: float) -> float:
    """Carbon of design A in the switch scenario at ``ci_g`` gCO2e/kWh."""
    return 587.2 + 7446.0 * ci_g / 1000.0


def carbon_b(ci_g: float) -> float:
    """Carbon of design B in the switch scenario."""
    return 423.6 + 9636.0 * ci_g / 1000.0
