"""Smoke tests of the benchmark scripts: smallest sizes only (the full runs stay out of pytest).

Each script runs in a subprocess, as a user runs it, so the stage timers it installs on
Pyomo's HiGHS interface never leak into other tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from benchmarks import generate as gen
from benchmarks.run_aggregation import COLUMNS as AGG_COLUMNS
from benchmarks.run_scaling import COLUMNS as SCALING_COLUMNS
from benchmarks.run_scaling import TABLE_COLUMNS

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _run(script: str, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return out.stdout


def test_generator_writes_a_valid_catalog_and_scenario(tmp_path: Path) -> None:
    import ecoserve_opt as eo
    from ecoserve_opt.catalog import load_catalog

    path = gen.write_scenario(gen.SIZES["XS"], tmp_path, {"pillars.recycle": False})
    cat = load_catalog(tmp_path / "catalog")
    assert len(cat.gpus) == gen.SIZES["XS"].gpus
    assert cat.cpu_profiles is not None
    loaded = eo.load_scenario(path)
    assert loaded.scenario.time_slots == gen.SIZES["XS"].slots
    assert not loaded.scenario.pillars.recycle
    # sizes grow along the ladder
    dims = [s.llms * s.regions * s.gpus * s.slots * s.years for s in gen.SIZES.values()]
    assert dims == sorted(dims)


def test_scaling_table_has_the_columns(tmp_path: Path) -> None:
    _run("run_scaling.py", "--sizes", "XS", "--no-solve", "--out", str(tmp_path))
    df = pd.read_csv(tmp_path / "scaling.csv")
    assert set(SCALING_COLUMNS) <= set(df.columns)
    row = df.iloc[0]
    assert row["size"] == "XS"
    assert row["n_vars"] > 0
    assert row["n_cons"] > 0
    assert row["build_s"] > 0
    assert row["handoff_s"] > 0
    assert row["peak_mb"] > 0
    header = (tmp_path / "scaling.md").read_text().splitlines()[0]
    assert [c.strip() for c in header.strip("|").split("|")] == TABLE_COLUMNS


@pytest.mark.milp
def test_sweep_persistent_equals_rebuild(tmp_path: Path) -> None:
    _run("run_sweep.py", "--points", "2", "--gap", "0", "--out", str(tmp_path))
    summary = json.loads((tmp_path / "sweep.json").read_text())
    assert summary["same_results"]
    assert summary["max_rel_diff"] < 1e-6
    pts = pd.read_csv(tmp_path / "sweep_points.csv")
    assert len(pts) == 2
    assert (pts["persistent_status"] == "optimal").all()
    assert pts["persistent_objective"].is_monotonic_increasing  # dirtier grid, more carbon
    assert pts["persistent_objective"].to_numpy() == pytest.approx(
        pts["rebuild_objective"].to_numpy(), rel=1e-6
    )


@pytest.mark.milp
def test_aggregation_reports_error_against_first_slot_count(tmp_path: Path) -> None:
    _run("run_aggregation.py", "--slots", "2,1", "--out", str(tmp_path))
    df = pd.read_csv(tmp_path / "aggregation.csv")
    assert set(AGG_COLUMNS) <= set(df.columns)
    assert list(df["slots"]) == [2, 1]
    assert df["rel_error_pct"].iloc[0] == 0
    assert df["n_vars"].is_monotonic_decreasing


def test_reference_highspy_builds_the_same_lp(tmp_path: Path) -> None:
    out = _run("reference_highspy.py", "--size", "XS", "--check")
    row = json.loads(out[out.index("{") :])
    assert row["lp_rel_diff"] < 1e-9
    assert row["n_vars"] > 0


def test_handoff_benchmark_compares_stock_and_bulk(tmp_path: Path) -> None:
    _run("run_handoff.py", "--cases", "default", "--repeat", "1", "--out", str(tmp_path))
    df = pd.read_csv(tmp_path / "handoff.csv")
    assert sorted(df["interface"]) == ["bulk", "stock"]
    assert (df["n_vars"] > 500).all()  # default.yaml: 950 columns (pruned)
    assert "| default | " in (tmp_path / "handoff.md").read_text()
