"""Hand-off to HiGHS: Pyomo's stock persistent ``highs`` interface against the bulk hand-off
``ecoserve_opt.solve_handoff.PersistentHighs`` (issue 20), on the same built model.

Each case is built once; the hand-off (``set_instance``, under ``PauseGC`` as
``Solver._hand_off`` runs it) is then timed alternately with the stock class and the bulk
one (A/B/A/B, ``--repeat`` times each), in the same process, recording CPU seconds of the
process (user + system; what to compare on a loaded machine) and wall seconds, with the
load average. Each bulk hand-off is checked against the stock one: the model HiGHS holds
(costs, bounds, integrality, matrix, row bounds) must be identical, or the script stops.

Outputs (``--out``, default ``benchmarks/results``): ``handoff.csv`` (one row per hand-off;
rows of the cases measured replace earlier ones) and ``handoff.md`` (per case and class:
the range over the repeats, and the ratio of the medians).

Usage::

    python benchmarks/run_handoff.py                          # fleet20, paper, default
    python benchmarks/run_handoff.py --cases fleet20 --repeat 3
    python benchmarks/run_handoff.py --cases M,L              # synthetic sizes (generate.py)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(ROOT))

COLUMNS = [
    "case",
    "n_vars",
    "n_cons",
    "nnz",
    "interface",
    "repeat",
    "cpu_s",
    "wall_s",
    "load_before",
    "load_after",
]


def _load(case: str, tmp: Path) -> Any:
    """The built model of a case: fleet20 (benchmarks/scenarios), a bundled scenario name,
    a synthetic size of generate.py, or a scenario file."""
    import ecoserve_opt as eo
    from benchmarks import generate as gen
    from benchmarks.run_fleet_scale import CASES, prepare_case
    from ecoserve_opt.paths import bundled_scenarios

    if case in gen.SIZES:
        return eo.build(eo.load_scenario(gen.write_scenario(gen.SIZES[case], tmp))).model
    if case in CASES or case.endswith(".yaml") or ".yaml:" in case:
        path, override = prepare_case(case)
        return eo.build(eo.load_scenario(path, scenario=override)).model
    return eo.build(eo.load_scenario(bundled_scenarios()[case])).model


def _hand_off(cls: Any, model: Any) -> tuple[Any, float, float]:
    from pyomo.common.gc_manager import PauseGC

    solver = cls()
    c0, t0 = time.process_time(), time.perf_counter()
    with PauseGC():
        solver.set_instance(model)
    return solver, time.process_time() - c0, time.perf_counter() - t0


def _lp(solver: Any) -> dict[str, Any]:
    import numpy as np

    lp = solver._solver_model.getLp()
    a = lp.a_matrix_
    return {
        "cost": np.array(lp.col_cost_),
        "col_lower": np.array(lp.col_lower_),
        "col_upper": np.array(lp.col_upper_),
        "row_lower": np.array(lp.row_lower_),
        "row_upper": np.array(lp.row_upper_),
        "integrality": np.array([int(v) for v in lp.integrality_]),
        "start": np.array(a.start_),
        "index": np.array(a.index_),
        "value": np.array(a.value_),
    }


def measure(case: str, repeat: int) -> list[dict[str, Any]]:
    """Alternating stock/bulk hand-offs of one case; checks the models are identical."""
    import numpy as np
    from pyomo.contrib.solver.solvers.highs import Highs

    from ecoserve_opt.solve_handoff import PersistentHighs

    with tempfile.TemporaryDirectory(prefix="ecoserve-handoff-") as tmp:
        model = _load(case, Path(tmp))
    rows: list[dict[str, Any]] = []
    reference: dict[str, Any] | None = None
    for r in range(repeat):
        for name, cls in (("stock", Highs), ("bulk", PersistentHighs)):
            load = os.getloadavg()[0]
            solver, cpu, wall = _hand_off(cls, model)
            h = solver._solver_model
            lp = _lp(solver)
            if reference is None:
                reference = lp
            for key, want in reference.items():
                if not np.array_equal(lp[key], want):
                    raise SystemExit(f"{case}: {name} hand-off differs in {key}")
            rows.append(
                {
                    "case": case,
                    "n_vars": h.getNumCol(),
                    "n_cons": h.getNumRow(),
                    "nnz": h.getNumNz(),
                    "interface": name,
                    "repeat": r,
                    "cpu_s": round(cpu, 2),
                    "wall_s": round(wall, 2),
                    "load_before": round(load, 2),
                    "load_after": round(os.getloadavg()[0], 2),
                }
            )
            print(rows[-1], flush=True)
            del solver, h
    return rows


def write_outputs(out: Path, rows: list[dict[str, Any]]) -> None:
    """Merge ``rows`` into handoff.csv (replacing the cases measured) and rewrite handoff.md."""
    import pandas as pd

    from benchmarks.run_fleet_scale import machine

    out.mkdir(parents=True, exist_ok=True)
    path = out / "handoff.csv"
    cases = {r["case"] for r in rows}
    old = pd.read_csv(path) if path.exists() else pd.DataFrame(columns=COLUMNS)
    df = pd.concat([old[~old["case"].isin(cases)], pd.DataFrame(rows, columns=COLUMNS)])
    df.to_csv(path, index=False)
    lines = [
        "# Hand-off to HiGHS: stock persistent interface vs bulk hand-off (issue 20)",
        "",
        "Written by `python benchmarks/run_handoff.py` (docs/performance.md, "
        '"Bulk hand-off"). Same built model, hand-offs alternating stock/bulk in one process; '
        "ranges over the repeats; CPU = process user + system seconds. Every bulk hand-off "
        "gave HiGHS the identical model (checked by the script).",
        "",
        f"Machine: {machine()}.",
        "",
        "| case | columns | rows | non-zeros | stock CPU-s | bulk CPU-s | CPU ratio (medians) "
        "| stock wall-s | bulk wall-s | load | repeats |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def rng(s: Any) -> str:
        return f"{s.min():.2f}" if s.min() == s.max() else f"{s.min():.2f}-{s.max():.2f}"

    for case, g in df.groupby("case", sort=False):
        a, b = g[g["interface"] == "stock"], g[g["interface"] == "bulk"]
        ratio = statistics.median(a["cpu_s"]) / max(statistics.median(b["cpu_s"]), 1e-9)
        load = pd.concat([g["load_before"], g["load_after"]])
        lines.append(
            f"| {case} | {int(g['n_vars'].iloc[0]):,} | {int(g['n_cons'].iloc[0]):,} "
            f"| {int(g['nnz'].iloc[0]):,} | {rng(a['cpu_s'])} | {rng(b['cpu_s'])} "
            f"| {ratio:.1f}x | {rng(a['wall_s'])} | {rng(b['wall_s'])} | {rng(load)} "
            f"| {len(a)} |"
        )
    (out / "handoff.md").write_text("\n".join([*lines, ""]))


def main(argv: list[str] | None = None) -> None:
    """Command line (see the module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", default="fleet20,ecoserve_paper,default")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--out", type=Path, default=HERE / "results")
    a = ap.parse_args(argv)
    rows: list[dict[str, Any]] = []
    for case in a.cases.split(","):
        rows += measure(case.strip(), a.repeat)
        write_outputs(a.out, rows)


if __name__ == "__main__":
    main()
