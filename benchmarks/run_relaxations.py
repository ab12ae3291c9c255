"""Where the optimum of a case lies (issue 20): its LP bound, the bound of the model with
only the replica counts integral, and the fleet that relaxation leads to once the hosts
are integral again.

The case is built as a solve builds it (scenario overrides by ``--set``) and handed to
HiGHS; this script then works on copies of the model HiGHS holds, in three stages:

``lp``
    every column continuous: the root LP bound.
``replicas``
    only the replica counts integral (``n_rep``, ``n_phase``, ``gpu_pick``: the columns
    the MIP start dives on, ``ecoserve_opt.heuristics.DRIVING``); host counts, purchases
    and host components continuous. Its bound is a valid lower bound of the full model
    too; its fleet is not a fleet of the full model (fractional hosts).
``hosts``
    the full model (every integer integral) with the replica counts fixed to those of the
    ``replicas`` fleet: a feasible fleet of the full model, so an upper bound of its
    optimum, and what rounding the hosts, purchases and components costs on top of the
    replicas the relaxation chose.

So the optimum lies between the ``replicas`` bound and the best fleet known (this stage's
or a solve's). Each stage runs with ``--time-limit`` and ``--gap`` (a stage stopped by its
limit reports its fleet and bound). Outputs in ``--out`` (default
``benchmarks/results``): ``relaxations.csv`` (one row per stage and run, appended) and
``relaxations.md`` (the same rows as a table).

Usage::

    python benchmarks/run_relaxations.py --set solver.cuts=true --time-limit 300
    python benchmarks/run_relaxations.py --case scenarios/ecoserve_paper.yaml --time-limit 60
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(HERE.parent))

from benchmarks.run_fleet_scale import (  # noqa: E402
    _cpu_s,
    machine,
    parse_settings,
    prepare_case,
)

COLUMNS = [
    "label",
    "case",
    "stage",
    "integral",
    "status",
    "objective_kg",
    "bound_kg",
    "gap",
    "wall_s",
    "cpu_s",
    "time_limit_s",
    "load_before",
    "load_after",
]


def build(case: str, settings: dict[str, Any], threads: int) -> tuple[Any, list[int], float]:
    """HiGHS's copy of ``case`` (``highspy.Highs`` as a solve hands it over), the columns
    of its replica counts and the objective scale."""
    import ecoserve_opt as eo
    from ecoserve_opt.formulation import objectives as obj
    from ecoserve_opt.heuristics import driving_columns

    path, override = prepare_case(case)
    loaded = eo.load_scenario(path, scenario=override, overrides=settings or None)
    built = eo.build(loaded, threads=threads)
    obj.set_objective(built.model, built.objective)
    solver = built.solver
    solver._hand_off(built.model)
    h = solver._highs._solver_model
    cols = driving_columns(built.model, solver._highs._pyomo_var_to_solver_var_map)
    return h, cols, obj.objective_scale(built.model)


def solve_stage(
    h: Any,
    integral: list[int] | None,
    fixed: tuple[list[int], np.ndarray] | None,
    time_limit: float,
    gap: float,
    threads: int,
) -> tuple[dict[str, Any], np.ndarray | None]:
    """HiGHS on a copy of ``h``'s model: only the columns ``integral`` integral (``None``:
    the model's own integrality), ``fixed`` columns fixed to values. Returns the stage's
    result (objective and bound in solver units) and its column values."""
    import highspy

    lp = h.getLp()
    if integral is not None:
        kinds = [highspy.HighsVarType.kContinuous] * lp.num_col_
        for c in integral:
            kinds[c] = highspy.HighsVarType.kInteger
        lp.integrality_ = kinds if integral else []
    g = highspy.Highs()
    g.setOptionValue("output_flag", False)
    g.passModel(lp)
    if fixed is not None:
        idx, v = fixed
        g.changeColsBounds(len(idx), np.asarray(idx, dtype=np.int32), v, v)
    opts = {"threads": threads, "time_limit": time_limit, "mip_rel_gap": gap}
    opts |= {"random_seed": 0, "mip_abs_gap": 1e-9}
    for k, val in opts.items():
        g.setOptionValue(k, val)
    load_before, t0, c0 = os.getloadavg()[0], time.perf_counter(), _cpu_s()
    g.run()
    info = g.getInfo()
    status = g.modelStatusToString(g.getModelStatus())
    has_x = info.primal_solution_status >= 2
    bound: float | None
    if integral is None or integral:  # a MIP: HiGHS's dual bound, also without a fleet
        bound = info.mip_dual_bound
    else:  # an LP bounds only at its optimum (not when stopped by the time limit)
        optimal = g.getModelStatus() == highspy.HighsModelStatus.kOptimal
        bound = info.objective_function_value if optimal else None
    res = {
        "status": status,
        "objective": info.objective_function_value if has_x else None,
        "bound": bound,
        "wall_s": round(time.perf_counter() - t0, 2),
        "cpu_s": round(_cpu_s() - c0, 2),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }
    return res, (np.asarray(g.getSolution().col_value) if has_x else None)


def run(
    case: str, settings: dict[str, Any], time_limit: float, gap: float, threads: int, label: str
) -> list[dict[str, Any]]:
    """The three stages of the module docstring on ``case``; one row each (kg)."""
    h, cols, scale = build(case, settings, threads)
    rows: list[dict[str, Any]] = []

    def row(stage: str, integral: str, res: dict[str, Any]) -> None:
        obj = None if res["objective"] is None else res["objective"] / scale
        bnd = None if res["bound"] is None else res["bound"] / scale
        g = None if obj is None or bnd is None else (obj - bnd) / max(abs(obj), 1e-10)
        rows.append(
            {
                "label": label,
                "case": case,
                "stage": stage,
                "integral": integral,
                "status": res["status"],
                "objective_kg": None if obj is None else round(obj, 1),
                "bound_kg": None if bnd is None else round(bnd, 1),
                "gap": None if g is None else round(g, 5) + 0.0,  # no -0.0
                "wall_s": res["wall_s"],
                "cpu_s": res["cpu_s"],
                "time_limit_s": time_limit,
                "load_before": res["load_before"],
                "load_after": res["load_after"],
            }
        )
        print(" | ".join(f"{k} {rows[-1][k]}" for k in COLUMNS[2:]), flush=True)

    res, _ = solve_stage(h, [], None, time_limit, gap, threads)
    row("lp", "none", res)
    res, x = solve_stage(h, cols, None, time_limit, gap, threads)
    row("replicas", "replica counts", res)
    if x is None:
        return rows
    res, _ = solve_stage(h, None, (cols, np.round(x[cols])), time_limit, gap, threads)
    row("hosts", "all (replica counts fixed)", res)
    return rows


def write(out: Path, rows: list[dict[str, Any]]) -> None:
    """Append ``rows`` to ``relaxations.csv`` and rewrite ``relaxations.md`` from it."""
    import pandas as pd

    from benchmarks._measure import markdown_table

    out.mkdir(parents=True, exist_ok=True)
    csv = out / "relaxations.csv"
    new = pd.DataFrame(rows, columns=COLUMNS)
    df = pd.concat([pd.read_csv(csv), new], ignore_index=True) if csv.exists() else new
    df.to_csv(csv, index=False)
    head = (
        "# Where the optimum lies: LP, replica-only relaxation, hosts on its replicas\n\n"
        "Written by `python benchmarks/run_relaxations.py` (docs/performance.md, "
        '"Where issue 20 stands"). Objectives and bounds in kgCO2e; a stage stopped by '
        "its time limit reports its best fleet and bound.\n\n"
        f"Machine: {machine()}.\n\n"
    )
    (out / "relaxations.md").write_text(head + markdown_table(df.to_dict("records"), COLUMNS))


def main(argv: list[str] | None = None) -> None:
    """Command line (module docstring)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--case", default="fleet20", help="a run_fleet_scale case or scenario.yaml")
    p.add_argument("--label", default="run", help="name of this run's rows")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="scenario override by dot-path, e.g. solver.cuts=true",
    )
    p.add_argument("--gap", type=float, default=0.001, help="mip_rel_gap of each stage")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--time-limit", type=float, default=300.0, help="seconds per stage")
    p.add_argument("--out", type=Path, default=HERE / "results")
    a = p.parse_args(argv)
    settings = parse_settings(a.set)
    rows = run(a.case, settings, a.time_limit, a.gap, a.threads, a.label)
    write(a.out, rows)
    print(f"wrote {a.out / 'relaxations.csv'}")


if __name__ == "__main__":
    main()
