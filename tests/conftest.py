"""Shared fixtures: the tiny scenario (hand-checkable optima) and a catalog writer."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from ecoserve_opt.io.yaml_loader import LoadedScenario
from tests.helpers import (  # noqa: F401  (re-exported for code that imports them from here)
    REPO,
    TINY,
    make_scenario,
    solve_dict,
)


@pytest.fixture(autouse=True)
def _close_figures() -> Any:
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture
def tiny_path() -> Path:
    """The tiny scenario file."""
    return TINY / "base.yaml"


@pytest.fixture
def tiny_dict() -> dict[str, Any]:
    """The tiny scenario as a mutable dict (catalog path made absolute)."""
    data = yaml.safe_load((TINY / "base.yaml").read_text())
    data["catalog"] = str(TINY / "catalog")
    return data


@pytest.fixture
def scenario_from() -> Callable[..., LoadedScenario]:
    """Factory: ``scenario_from(base_dict, **{"a.b": v})``."""
    return make_scenario


@pytest.fixture
def catalog_copy(tmp_path: Path) -> Callable[..., Path]:
    """Copy the tiny catalog to a temp folder, optionally replacing tables (DataFrames)."""

    def make(**tables: pd.DataFrame) -> Path:
        dst = tmp_path / "catalog"
        if dst.exists():
            shutil.rmtree(dst)
        shutil.copytree(TINY / "catalog", dst)
        for name, df in tables.items():
            df.to_csv(dst / f"{name}.csv", index=False)
        return dst

    return make
