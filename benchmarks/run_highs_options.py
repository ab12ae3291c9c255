"""HiGHS options with the MIP start (issue 20): HiGHS alone on the model a solve hands it.

``run_fleet_scale.py`` rebuilds the case and its start for every run (about 50 s of data,
build, hand-off and start on fleet20 before HiGHS starts, several times that on a loaded
machine, where a 200-s time limit also leaves the start too little of its half of the
limit). This script builds them once, exactly as a solve does (``Solver.heuristic_start``:
the verified start and its cutoff bounds in HiGHS), writes HiGHS's model and the start to
``model.npz`` in ``--out``, then runs HiGHS on it once per option set, each in a fresh
process, with the options a solve passes (``random_seed``, ``mip_abs_gap``,
``mip_rel_gap``, ``threads``, ``time_limit``, the scenario's ``solver.highs_options``) plus
the set's own (``default``: none). HiGHS's search is
deterministic for a given thread count, so two option sets that follow the same path show
the same LP-iteration counts row by row; the wall times depend on the load.

Outputs in ``--out``: ``highs_options.csv`` (one row per HiGHS log row: label,
``t_s`` on HiGHS's clock, ``lp_iters``, ``bound_kg``, ``incumbent_kg``, ``gap``, ``source``)
and ``highs_options_runs.csv`` (one row per run: options, wall and CPU seconds of the
HiGHS run, first incumbent better than the start (time, LP iterations), gap at the end,
load average before and after).

Usage::

    python benchmarks/run_highs_options.py --set solver.cuts=true --time-limit 1200 \\
        --runs default mip_heuristic_effort=0.3 mip_allow_restart=false
    python benchmarks/run_highs_options.py --case paper --time-limit 60 --runs default
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(HERE.parent))

from benchmarks.run_fleet_scale import parse_mip_row, parse_settings, prepare_case  # noqa: E402

RUN_COLUMNS = [
    "label",
    "options",
    "wall_s",
    "cpu_s",
    "start_kg",
    "first_better_s",
    "first_better_iters",
    "first_better_kg",
    "objective_kg",
    "bound_kg",
    "final_gap",
    "lp_iters",
    "load_before",
    "load_after",
]


def dump(case: str, settings: dict[str, Any], gap: float, threads: int, out: Path) -> Path:
    """Build ``case`` with its heuristic start and cutoff bounds in HiGHS; write
    HiGHS's model, the start and the objective scale to ``out/model.npz``."""
    import ecoserve_opt as eo
    from ecoserve_opt.formulation import objectives as obj

    path, override = prepare_case(case)
    loaded = eo.load_scenario(path, scenario=override, overrides=settings or None)
    built = eo.build(loaded, mip_start="heuristic", threads=threads, mip_rel_gap=gap)
    obj.set_objective(built.model, built.objective)
    start = built.solver.heuristic_start(built.model)
    if start is None or start.values is None:
        raise SystemExit(f"{case}: no heuristic start ({getattr(start, 'reason', None)})")
    h = built.solver._highs._solver_model
    lp = h.getLp()
    a = lp.a_matrix_
    file = out / "model.npz"
    np.savez(
        file,
        cost=np.array(lp.col_cost_),
        offset=lp.offset_,
        col_lower=np.array(lp.col_lower_),
        col_upper=np.array(lp.col_upper_),
        row_lower=np.array(lp.row_lower_),
        row_upper=np.array(lp.row_upper_),
        colwise=int(a.format_.name == "kColwise"),
        start=np.array(a.start_),
        index=np.array(a.index_),
        value=np.array(a.value_),
        integrality=np.array([int(t) for t in lp.integrality_]),
        x0=np.array(start.values),
        scale=obj.objective_scale(built.model),
        gap=gap,
        threads=threads,
        scenario_options=json.dumps(dict(built.options.highs_options)),
    )
    return file


def run_one(model: Path, log: Path, time_limit: float, options: dict[str, Any]) -> dict[str, Any]:
    """HiGHS on ``model`` (from :func:`dump`) from its start, logging to ``log``."""
    import highspy

    d = np.load(model)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(d["cost"]), len(d["row_lower"])
    lp.col_cost_, lp.offset_ = d["cost"], float(d["offset"])
    lp.col_lower_, lp.col_upper_ = d["col_lower"], d["col_upper"]
    lp.row_lower_, lp.row_upper_ = d["row_lower"], d["row_upper"]
    m = lp.a_matrix_
    m.format_ = (
        highspy.MatrixFormat.kColwise if int(d["colwise"]) else highspy.MatrixFormat.kRowwise
    )
    m.num_col_, m.num_row_ = lp.num_col_, lp.num_row_
    m.start_, m.index_, m.value_ = d["start"], d["index"], d["value"]
    lp.integrality_ = [highspy.HighsVarType(int(t)) for t in d["integrality"]]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(lp)
    base = {"random_seed": 0, "mip_abs_gap": 1e-9, "mip_rel_gap": float(d["gap"])}
    base |= {"threads": int(d["threads"]), "time_limit": time_limit}
    base |= json.loads(str(d["scenario_options"]))  # the scenario's solver.highs_options
    for name, value in (base | options).items():
        if h.setOptionValue(name, value) == highspy.HighsStatus.kError:
            raise SystemExit(f"HiGHS rejects option {name}={value!r}")
    for name, value in (("log_file", str(log)), ("log_to_console", False), ("output_flag", True)):
        h.setOptionValue(name, value)
    sol = highspy.HighsSolution()
    sol.col_value, sol.value_valid = d["x0"].tolist(), True
    h.setSolution(sol)
    load_before = os.getloadavg()[0]
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    h.run()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    info = h.getInfo()
    return {
        "wall_s": round(h.getRunTime(), 2),
        "cpu_s": round(cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime, 2),
        "lp_iters": info.simplex_iteration_count,
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }


def curve(log: Path, scale: float) -> list[dict[str, Any]]:
    """The log rows of ``log`` with LP iterations, objectives in kg."""
    rows = []
    for line in log.read_text(errors="replace").splitlines():
        r = parse_mip_row(line)
        if r is None:
            continue
        inc = None if r["incumbent"] is None else r["incumbent"] / scale
        bnd = None if r["bound"] is None else r["bound"] / scale
        gap = None if inc is None or bnd is None else (inc - bnd) / abs(inc)
        iters = int(line.split()[-2])
        rows.append(
            {
                "t_s": r["t"],
                "lp_iters": iters,
                "bound_kg": bnd,
                "incumbent_kg": inc,
                "gap": gap,
                "source": r["source"],
            }
        )
    return rows


def summary(
    label: str,
    options: dict[str, Any],
    res: dict[str, Any],
    points: list[dict[str, Any]],
    start_kg: float,
) -> dict[str, Any]:
    """One runs-table row from a run's result and its curve."""
    better = next(
        (p for p in points if (p["incumbent_kg"] or start_kg) < start_kg * (1 - 1e-9)), None
    )
    last = points[-1] if points else {}
    return {
        "label": label,
        "options": json.dumps(options),
        **{k: res[k] for k in ("wall_s", "cpu_s", "lp_iters", "load_before", "load_after")},
        "start_kg": round(start_kg, 1),
        "first_better_s": better and better["t_s"],
        "first_better_iters": better and better["lp_iters"],
        "first_better_kg": better and round(better["incumbent_kg"], 1),
        "objective_kg": last.get("incumbent_kg") and round(last["incumbent_kg"], 1),
        "bound_kg": last.get("bound_kg") and round(last["bound_kg"], 1),
        "final_gap": last.get("gap") and round(last["gap"], 5),
    }


def _write(path: Path, rows: list[dict[str, Any]], columns: list[str]) -> None:
    new = not path.exists()
    with path.open("a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns)
        if new:
            w.writeheader()
        w.writerows(rows)


def main(argv: list[str] | None = None) -> None:
    """Command line: dump once, then one fresh process per option set."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--case", default="fleet20", help="a run_fleet_scale case or scenario.yaml")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="scenario override by dot-path, e.g. solver.cuts=true",
    )
    p.add_argument("--gap", type=float, default=0.01)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--time-limit", type=float, default=600.0, help="seconds per HiGHS run")
    p.add_argument(
        "--runs",
        nargs="+",
        default=["default"],
        help="option sets: 'default' or NAME=VALUE[,NAME=VALUE]",
    )
    p.add_argument("--model", type=Path, help="a model.npz written before (skips the build)")
    p.add_argument("--out", type=Path, default=None, help="output folder (default: a temp one)")
    p.add_argument(
        "--one", nargs=3, metavar=("MODEL", "LOG", "OPTIONS_JSON"), help=argparse.SUPPRESS
    )
    a = p.parse_args(argv)
    if a.one:
        res = run_one(Path(a.one[0]), Path(a.one[1]), a.time_limit, json.loads(a.one[2]))
        print(json.dumps(res))
        return
    out = a.out or Path(tempfile.mkdtemp(prefix="highs-options-"))
    out.mkdir(parents=True, exist_ok=True)
    settings = parse_settings(a.set)
    model = a.model or dump(a.case, settings, a.gap, a.threads, out)
    d = np.load(model)
    scale = float(d["scale"])
    start_kg = float(d["cost"] @ d["x0"] + d["offset"]) / scale
    for label in a.runs:
        opts = {} if label == "default" else parse_settings(label.split(","))
        log = out / f"{label.replace('=', '-').replace(',', '+')}.log"
        log.unlink(missing_ok=True)
        cmd = [
            sys.executable,
            __file__,
            "--one",
            str(model),
            str(log),
            json.dumps(opts),
            "--time-limit",
            str(a.time_limit),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        res = json.loads(done.stdout.strip().splitlines()[-1])
        points = curve(log, scale)
        _write(
            out / "highs_options.csv",
            [{"label": label, **pt} for pt in points],
            ["label", "t_s", "lp_iters", "bound_kg", "incumbent_kg", "gap", "source"],
        )
        row = summary(label, opts, res, points, start_kg)
        _write(out / "highs_options_runs.csv", [row], RUN_COLUMNS)
        print(" | ".join(f"{k} {row[k]}" for k in RUN_COLUMNS), flush=True)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
