"""The fleet-scale benchmark (issue 20): its catalog, its scenario and the runner.

The full scenario is only loaded here (its build takes tens of seconds: marked slow);
the runner is exercised on the tiny scenario, in a subprocess as a user runs it.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from benchmarks import fleet_catalog as fc
from benchmarks import run_fleet_scale as rfs
from ecoserve_opt.paths import catalog_dir

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
TINY = Path(__file__).resolve().parents[1] / "fixtures" / "tiny" / "base.yaml"


def _rows(path: Path, llm: str) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return [r for r in csv.DictReader(f) if r["llm"] == llm]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fleet scenario copied to a temp folder, with its catalog written next to it."""
    d = tmp_path_factory.mktemp("fleet")
    scen = d / "fleet20.yaml"
    scen.write_text(fc.SCENARIO.read_text())
    fc.write_catalog(scen)
    return scen


def test_services_are_copies_of_catalog_models(fleet: Path) -> None:
    svc = fc.services(fleet)
    assert len(svc) == 20
    # 1B/3B, 8B, MoE and 70B-class models
    assert {"llama3.2-1b", "llama3.2-3b", "llama3-8b", "mixtral-8x7b", "llama3-70b"} <= set(
        svc.values()
    )
    cat = fleet.parent / "fleet20-catalog"
    for table in ("profiles.csv", "cpu_profiles.csv", "llms.csv"):
        base = _rows(catalog_dir() / table, "mixtral-8x7b")
        copy = _rows(cat / table, "mixtral-8x7b@chat")
        assert len(copy) == len(base) > 0
        for b, c in zip(base, copy, strict=True):
            assert {k: v for k, v in c.items() if k not in ("llm", "source")} == {
                k: v for k, v in b.items() if k not in ("llm", "source")
            }
            assert c["source"].startswith("copy of the mixtral-8x7b row")
        # the bundled rows are kept unchanged
        assert _rows(cat / table, "mixtral-8x7b") == base
    # every other table is the bundled one, byte for byte
    assert (cat / "gpus.csv").read_bytes() == (catalog_dir() / "gpus.csv").read_bytes()


def test_a_service_of_an_unknown_model_is_refused(tmp_path: Path) -> None:
    scen = tmp_path / "s.yaml"
    scen.write_text("catalog: cat\nllms:\n  gpt-9@chat: {online: {requests_per_s: 1}}\n")
    with pytest.raises(ValueError, match=r"services of LLMs not in the catalog: \['gpt-9'\]"):
        fc.write_catalog(scen)


def test_fleet_scenario_loads_with_the_whole_catalog(fleet: Path) -> None:
    import ecoserve_opt as eo
    from ecoserve_opt.catalog import load_catalog

    s = eo.load_scenario(fleet).scenario
    cat = load_catalog(catalog_dir())
    from ecoserve_opt.perf.power_cap import POWER_CAPS

    # every GPU but the power-capped variants (an option, not a different GPU)
    assert set(s.hardware.gpus) == set(cat.gpus.index) - set(POWER_CAPS)
    assert set(s.hardware.hosts) == set(cat.hosts.index)
    assert (s.years, s.time_slots, s.demand_growth_per_year) == (3, 24, 0.2)
    assert s.solver.mip_rel_gap == 0.01
    assert all(vars(s.pillars)[p] for p in ("reduce", "reuse", "rightsize", "recycle"))
    windows = {llm.offline.window for llm in s.llms.values() if llm.offline is not None}
    assert {(0, 24), (9, 17), (20, 8)} <= windows  # all day, daytime, overnight
    assert {g.gpu for g in s.inventory.gpus} == {"a100-80gb", "v100-32gb", "t4"}
    assert {h.host for h in s.inventory.hosts} == {"rome-8sxm", "icelake-4pcie", "skylake-4pcie"}
    assert min(s.inventory.dram_gb, s.inventory.ssd_tb) > 0


@pytest.mark.slow
def test_fleet_scenario_builds_at_fleet_scale(fleet: Path) -> None:
    import ecoserve_opt as eo

    built = eo.build(fleet)
    assert len(built.data.llms) == 20
    assert built.model.nvariables() > 100_000


def test_parse_mip_row_reads_highs_rows() -> None:
    head = "Src  Proc. InQueue |  Leaves   Expl. | BestBound       BestSol              Gap |"
    assert rfs.parse_mip_row(head) is None
    row = rfs.parse_mip_row(
        "         0       0         0   0.00%   7220.661825     inf                  inf"
        "        0      0      0     25496    40.0s"
    )
    assert row == {"t": 40.0, "bound": 7220.661825, "incumbent": None, "source": ""}
    row = rfs.parse_mip_row(
        " H     512     101        40  12.50%   7301.2          7350.9             0.68%"
        "     1200    300     40    120000   351.3s"
    )
    assert row == {"t": 351.3, "bound": 7301.2, "incumbent": 7350.9, "source": "H"}


def test_time_to_gap_is_the_first_point_at_or_below() -> None:
    pts = [
        {"t_highs_s": 1.0, "gap": None},
        {"t_highs_s": 2.0, "gap": 0.08},
        {"t_highs_s": 3.0, "gap": 0.02},
        {"t_highs_s": 4.0, "gap": 0.005},
    ]
    assert rfs.time_to_gap(pts, 0.05) == 3.0
    assert rfs.time_to_gap(pts, 0.02) == 3.0
    assert rfs.time_to_gap(pts, 0.01) == 4.0
    assert rfs.time_to_gap(pts, 0.001) is None


def test_runner_records_curve_and_runs_per_label(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(BENCH / "run_fleet_scale.py"), "--cases", str(TINY),
         "--label", "b", "--time-limit", "30", "--out", str(tmp_path), "--highs", "presolve=off"],
        check=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    runs = pd.read_csv(tmp_path / "fleet_scale_runs.csv")
    assert list(runs.columns) == rfs.RUN_COLUMNS
    row = runs.iloc[0]
    assert (row["label"], row["status"], row["highs_options"]) == (
        "b",
        "optimal",
        '{"presolve": "off"}',
    )
    # the tiny scenario's hand-worked optimum (tests/formulation/test_tiny_optimum.py)
    assert row["objective_kg"] == pytest.approx(3950.2)
    curve = pd.read_csv(tmp_path / "fleet_scale.csv")
    assert list(curve.columns) == rfs.CURVE_COLUMNS
    assert curve.iloc[-1]["incumbent_kg"] == pytest.approx(3950.2)
    assert curve.iloc[-1]["gap"] == pytest.approx(0.0, abs=1e-9)
    # another label is added next to it; a re-run of a label replaces its rows
    rec = {k: row[k] for k in rfs.RUN_COLUMNS if k != "label"} | {"repeat": 0}
    pt = {"t_highs_s": 1.0, "t_wall_s": 2.0, "incumbent_kg": 5.0, "bound_kg": 4.0, "gap": 0.2,
          "source": "H"}  # fmt: skip
    rfs.write_outputs(tmp_path, [rec | {"points": [pt]}], "a")
    rfs.write_outputs(tmp_path, [rec | {"points": [pt, pt]}], "a")
    runs = pd.read_csv(tmp_path / "fleet_scale_runs.csv")
    assert sorted(runs["label"]) == ["a", "b"]
    curve = pd.read_csv(tmp_path / "fleet_scale.csv")
    assert (curve["label"] == "a").sum() == 2
    md = (tmp_path / "fleet_scale.md").read_text()
    assert all(part in md for part in ("| a | ", "| b | ", "Machine:"))
