"""Cold sweeps (issue 20, design drift): ``warm_start=False`` / ``ecoserve sweep --cold``
solves each point of the persistent model from scratch, so every point is what an
independent solve of it gives (design and objective), not a warm start's kept fleet."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import ecoserve_opt as eo
from ecoserve_opt.cli import app
from ecoserve_opt.io.yaml_loader import LoadedScenario
from ecoserve_opt.studies import sweep
from ecoserve_opt.studies.store import design_signature

pytestmark = pytest.mark.milp

#: across the switch scenario's break-even (74.7 g: B below, A above), descending, so a
#: warm start carries A's fleet towards the points where B is optimal
VALUES = [120, 90, 80, 75, 70, 60, 40]
GAP = 0.05


def test_cold_sweep_points_equal_independent_solves(switch: LoadedScenario) -> None:
    res = sweep(switch, {"grid_intensity": VALUES}, warm_start=False, mip_rel_gap=GAP)
    t = res.table.set_index("grid_intensity")
    assert t["mode"].tolist().count("rebuild") == 1  # still one persistent model
    assert t["mode"].tolist().count("param update (cold)") == len(VALUES) - 1
    for v in VALUES:
        built = eo.build(switch, mip_rel_gap=GAP)
        built.set_parameters({"grid_intensity": v})
        alone = built.solve()
        assert t.loc[v, "design"] == design_signature(alone), v
        assert t.loc[v, "carbon_kg"] == pytest.approx(alone.carbon, rel=1e-9), v
        assert t.loc[v, "status"] == alone.status.value


def test_cold_and_warm_sweeps_agree_within_the_gap(switch: LoadedScenario) -> None:
    """Both are within the gap of each point's optimum (hand-worked: min of A and B)."""
    from tests.helpers import carbon_a, carbon_b

    for warm in (True, False):
        df = sweep(switch, {"grid_intensity": VALUES}, warm_start=warm, mip_rel_gap=GAP).sweep()
        best = pd.Series([min(carbon_a(v), carbon_b(v)) for v in df["grid_intensity"]])
        assert (df["carbon_kg"] >= best * (1 - 1e-9)).all()
        assert (df["carbon_kg"] <= best * (1 + GAP)).all()


def test_cli_cold_flag(tiny_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "cold"
    args = ["sweep", str(tiny_path), "-p", "grid_intensity", "-v", "40,120", "--cold"]
    r = CliRunner().invoke(app, [*args, "--out", str(out), "--no-progress"])
    assert r.exit_code == 0, r.output
    assert json.loads((out / "sweep.json").read_text())["runs"][-1]["warm_start"] is False
    modes = sorted(json.loads(f.read_text())["mode"] for f in (out / "points").glob("*.json"))
    assert modes == ["param update (cold)", "rebuild"]
