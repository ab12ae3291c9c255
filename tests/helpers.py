"""Helpers shared by the tests (import them from here, not from a conftest).

The sweep and Pareto scenarios below are built from the tiny fixture (tests/fixtures/tiny,
hand-worked in tests/formulation/test_tiny_optimum.py):

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

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

import ecoserve_opt as eo
from ecoserve_opt.io.yaml_loader import LoadedScenario, deep_merge, set_dot_path, validate_dict

TINY = Path(__file__).parent / "fixtures" / "tiny"
REPO = Path(__file__).resolve().parents[1]


def make_scenario(base: dict[str, Any], **changes: Any) -> LoadedScenario:
    """Validate ``base`` deep-merged with ``changes`` (keys may be dot-paths)."""
    data = deep_merge(base, {})
    for k, v in changes.items():
        set_dot_path(data, k.replace("__", "."), v)
    return validate_dict(data)


def solve_dict(data: dict[str, Any], **kw: Any) -> eo.Results:
    """Solve a scenario given as a dict."""
    return eo.solve(validate_dict(data), **kw)


def tiny() -> dict[str, Any]:
    """The tiny scenario as a dict with an absolute catalog path."""
    data = yaml.safe_load((TINY / "base.yaml").read_text())
    data["catalog"] = str(TINY / "catalog")
    return data


def with_catalog(folder: Path, **edits: Callable[[pd.DataFrame], pd.DataFrame]) -> LoadedScenario:
    """The tiny scenario on a copy of its catalog with edited tables."""
    cat = folder / "catalog"
    if not cat.exists():
        shutil.copytree(TINY / "catalog", cat)
    for table, edit in edits.items():
        df = pd.read_csv(cat / f"{table}.csv")
        edit(df).to_csv(cat / f"{table}.csv", index=False)
    data = tiny()
    data["catalog"] = str(cat)
    return validate_dict(data)


def cheap_gpu_b(df: pd.DataFrame) -> pd.DataFrame:
    """gpus.csv edit: gpu-b costs 500 USD (the ``tradeoff`` scenario)."""
    df.loc[df["gpu"] == "gpu-b", "capex_usd"] = 500
    return df


def heavy_host(df: pd.DataFrame) -> pd.DataFrame:
    """embodied.csv edit: host-x base embodied 1000 kg (the ``switch`` scenario)."""
    sel = (df["kind"] == "host_base") & (df["item"] == "host-x") & (df["embodied_source"] == "act")
    df.loc[sel, "kgco2e"] = 1000
    return df


def carbon_a(ci_g: float) -> float:
    """Carbon of design A in the switch scenario at ``ci_g`` gCO2e/kWh."""
    return 587.2 + 7446.0 * ci_g / 1000.0


def carbon_b(ci_g: float) -> float:
    """Carbon of design B in the switch scenario."""
    return 423.6 + 9636.0 * ci_g / 1000.0


#: Columns issue 12 requires of compare.csv, written out here (not read from the code's
#: list) so the tests fail if the code drops one.
COMPARE_REQUIRED_COLUMNS = [
    "design",
    "family",
    "carbon_kg",
    "operational_kg",
    "embodied_kg",
    "obsolescence_kg",
    "energy_kwh",
    "cost_usd",
    "latency_s_per_token",
    "gpus",
    "hosts",
    "offline_share_host_cpu",
    "status",
    "gap",
]
