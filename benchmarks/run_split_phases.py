"""Model size and solve time with Phase-level Rightsize (``pillars.split_phases``) on and off.

For each scenario (default: ``scenarios/ecoserve_paper.yaml`` and
``scenarios/disaggregated.yaml``), in this process: variables, integer variables and
constraints of the built model, data + build time, solve time (HiGHS with the scenario's
solver settings), status, gap, carbon and the GPUs of the prefill and decode pools.
Writes ``results/split_phases.csv`` and ``.md``.

    python benchmarks/run_split_phases.py [--scenarios a.yaml,b.yaml] [--out results]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pyomo.environ as pyo

import ecoserve_opt as eo

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ("scenarios/ecoserve_paper.yaml", "scenarios/disaggregated.yaml")


def measure(path: Path, split: bool) -> dict[str, Any]:
    """One build + solve of ``path`` with ``pillars.split_phases`` set to ``split``."""
    t0 = time.perf_counter()
    loaded = eo.load_scenario(path, overrides={"pillars.split_phases": split})
    built = eo.build(loaded)
    build_s = time.perf_counter() - t0
    m = built.model
    n_int = sum(
        1 for v in m.component_data_objects(pyo.Var, active=True) if v.is_integer() or v.is_binary()
    )
    t1 = time.perf_counter()
    res = built.solve()
    solve_s = time.perf_counter() - t1
    rep = res.tables.get("replicas", pd.DataFrame())
    first = rep[rep["year"] == rep["year"].min()] if len(rep) else rep

    def gpus(phase: str) -> float:
        return float(first.loc[first["phase"] == phase, "gpus"].sum()) if len(first) else 0.0

    return {
        "scenario": path.name,
        "split_phases": split,
        "n_vars": m.nvariables(),
        "n_int": n_int,
        "n_cons": m.nconstraints(),
        "data_build_s": round(build_s, 2),
        "solve_s": round(solve_s, 2),
        "status": res.status.value,
        "gap": res.metrics.get("gap"),
        "carbon_kg": res.metrics.get("carbon_kg"),
        "gpus_colocated": gpus("both"),
        "gpus_prefill": gpus("prefill"),
        "gpus_decode": gpus("decode"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", default=",".join(DEFAULT))
    ap.add_argument("--out", default=str(Path(__file__).parent / "results"))
    a = ap.parse_args()
    rows = []
    for s in a.scenarios.split(","):
        for split in (False, True):
            row = measure(ROOT / s, split)
            print(row, flush=True)
            rows.append(row)
    write(pd.DataFrame(rows), Path(a.out))


def write(df: pd.DataFrame, out: Path) -> None:
    """``split_phases.csv`` and ``split_phases.md`` (a markdown table) in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    df.to_csv(out / "split_phases.csv", index=False)
    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(f"{v:,.6g}" if isinstance(v, float) else str(v) for v in r) + " |"
              for r in df.itertuples(index=False)]  # fmt: skip
    (out / "split_phases.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
