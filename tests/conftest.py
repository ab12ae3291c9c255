"""Shared fixtures: the tiny scenario (hand-checkable optima) and a catalog writer."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import ecoserve_opt as eo
from ecoserve_opt.io.yaml_loader import LoadedScenario, deep_merge, validate_dict

TINY = Path(__file__).parent / "fixtures" / "tiny"
REPO = Path(__file__).resolve().parents[1]


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


def make_scenario(base: dict[str, Any], **changes: Any) -> LoadedScenario:
    """Validate ``base`` deep-merged with ``changes`` (keys may be dot-paths)."""
    from ecoserve_opt.io.yaml_loader import set_dot_path

    data = deep_merge(base, {})
    for k, v in changes.items():
        set_dot_path(data, k.replace("__", "."), v)
    return validate_dict(data)


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


def solve_dict(data: dict[str, Any], **kw: Any) -> eo.Results:
    """Solve a scenario given as a dict."""
    return eo.solve(validate_dict(data), **kw)
