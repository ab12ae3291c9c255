"""HiGHS alone on the model a solve hands it (benchmarks/run_highs_options.py, issue 20)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from benchmarks import run_highs_options as rho

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
TINY = Path(__file__).resolve().parents[1] / "fixtures" / "tiny" / "base.yaml"

LOG = """\
        Nodes      |    B&B Tree     |            Objective Bounds              |  Dynamic Constraints |       Work
Src  Proc. InQueue |  Leaves   Expl. | BestBound       BestSol              Gap |   Cuts   InLp Confl. | LpIters     Time

         0       0         0   0.00%   0               8301.696855      100.00%        0      0      0         0    20.1s
         0       0         0   0.00%   8086.995425     8301.696855        2.59%        0      0      1     12666    63.7s
 L       0       0         0   0.00%   8094.294752     8203.939362        1.34%     1260    114    391     13836   867.5s
"""  # noqa: E501


def test_curve_and_summary_read_a_highs_log(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    log.write_text(LOG)
    points = rho.curve(log, 0.01)
    assert [p["lp_iters"] for p in points] == [0, 12666, 13836]
    assert points[1]["bound_kg"] == 808699.5425
    assert points[2]["source"] == "L"
    assert abs(points[2]["gap"] - (820393.9362 - 809429.4752) / 820393.9362) < 1e-12
    res = {"wall_s": 900.0, "cpu_s": 400.0, "lp_iters": 21261, "load_before": 8.0}
    row = rho.summary("x", {"presolve": "off"}, res | {"load_after": 9.0}, points, 830169.6855)
    # the first row better than the start, not the start itself
    assert (row["first_better_s"], row["first_better_iters"]) == (867.5, 13836)
    assert row["first_better_kg"] == 820393.9
    assert row["final_gap"] == round(points[2]["gap"], 5)
    assert json.loads(row["options"]) == {"presolve": "off"}


def test_runs_option_sets_on_one_dumped_model(tmp_path: Path) -> None:
    """As a user runs it: one build and start, then one HiGHS process per option set."""
    out = tmp_path / "out"
    cmd = [sys.executable, str(BENCH / "run_highs_options.py"), "--case", str(TINY)]
    cmd += ["--time-limit", "20", "--runs", "default", "presolve=off", "--out", str(out)]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    runs = pd.read_csv(out / "highs_options_runs.csv")
    assert list(runs["label"]) == ["default", "presolve=off"]
    assert json.loads(runs["options"][1]) == {"presolve": "off"}
    # the tiny case's start is its optimum: both runs end there, at gap 0
    assert (runs["objective_kg"] == runs["start_kg"]).all()
    assert (runs["final_gap"] == 0).all()
    curve = pd.read_csv(out / "highs_options.csv")
    assert set(curve["label"]) == {"default", "presolve=off"}
    assert (out / "model.npz").is_file()
