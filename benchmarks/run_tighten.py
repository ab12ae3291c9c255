"""Solve time with and without the exact integer bounds (``solver.tighten``, issue 20).

Builds and solves a scenario (default ``scenarios/ecoserve_paper.yaml``, its own solver
settings: 1 % gap, 120 s, 2 threads) ``--runs`` times with ``solver.tighten`` on and off,
alternating, each in this process. Records the HiGHS wall time, the process CPU time of the
solve (all threads), the load average at the end of the run, status, gap and carbon. Writes
``results/tighten.csv`` and ``.md``.

    python benchmarks/run_tighten.py [--scenario s.yaml] [--runs 3] [--out results]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

import pandas as pd

import ecoserve_opt as eo

ROOT = Path(__file__).resolve().parents[1]


def measure(path: Path, tighten: bool, run: int) -> dict[str, Any]:
    """One build + solve of ``path`` with ``solver.tighten`` set to ``tighten``."""
    built = eo.build(eo.load_scenario(path, overrides={"solver.tighten": tighten}))
    c0, t0 = time.process_time(), time.perf_counter()
    res = built.solve()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "scenario": path.name,
        "tighten": tighten,
        "run": run,
        "status": res.status.value,
        "gap": res.metrics.get("gap"),
        "carbon_kg": res.metrics.get("carbon_kg"),
        "solve_wall_s": round(wall, 1),
        "solve_cpu_s": round(cpu, 1),
        "load_avg_1min": round(os.getloadavg()[0], 1),
    }


def main(argv: list[str] | None = None) -> None:
    """Run the comparison and write the tables."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scenario", default="scenarios/ecoserve_paper.yaml")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results"))
    a = ap.parse_args(argv)
    path = Path(a.scenario)
    path = path if path.is_absolute() else ROOT / path
    rows = []
    for run in range(1, a.runs + 1):
        for tighten in (True, False):
            rows.append(measure(path, tighten, run))
            print(rows[-1], flush=True)  # noqa: T201
    df = pd.DataFrame(rows)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    df.to_csv(out / "tighten.csv", index=False)
    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in df.itertuples(index=False)]
    (out / "tighten.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
