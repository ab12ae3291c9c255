"""Time-slot aggregation: error of 12/8/6/4/2/1 slots per day against the hourly (24) solve.

The model's representative day has ``time_slots`` slots (a divisor of 24); ``ModelData``
aggregates the hourly inputs into them (``ecoserve_opt/data.py``):

* grid intensity of a slot = **mean** of its hours;
* online demand of a slot = **peak** hour within it (the fleet must serve every hour, so
  aggregation never under-provisions; it over-states the energy of the off-peak hours);
* offline window = number of window hours that fall in the slot, served at a slot-average rate;
* every slot stands for ``365 x 24 / time_slots`` hours a year.

So fewer slots give a smaller model (variables scale with the slot count) and an objective
that is biased upward (peak demand held for the whole slot, and low-carbon hours averaged
away). This script solves the same scenario for each slot count and reports the objective,
its relative error against the 24-slot solve, the model size and the times.

Usage::

    python benchmarks/run_aggregation.py                         # XS, Recycle/Reduce off
    python benchmarks/run_aggregation.py --size S --gap 0.01 --full-pillars
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

try:  # imported as part of the benchmarks package (tests) or run as a script
    from benchmarks import _measure as ms
    from benchmarks import generate as gen
except ImportError:  # pragma: no cover
    import _measure as ms  # type: ignore[no-redef]
    import generate as gen  # type: ignore[no-redef]

HERE = Path(__file__).resolve().parent
SLOTS = (24, 12, 8, 6, 4, 2, 1)
COLUMNS = [
    "slots",
    "n_vars",
    "n_cons",
    "objective",
    "rel_error_pct",
    "operational_kg",
    "embodied_kg",
    "gpus",
    "gap",
    "build_s",
    "solve_s",
]


def run(
    size_name: str = "XS",
    slots: tuple[int, ...] = SLOTS,
    gap: float = 1e-3,
    full_pillars: bool = False,
    time_limit: float | None = 120.0,
    out: Path | None = None,
) -> list[dict[str, Any]]:
    """Solve ``size_name`` at each slot count; rows carry the error against the first."""
    import ecoserve_opt as eo

    overrides: dict[str, Any] = {"solver.mip_rel_gap": gap}
    if not full_pillars:
        overrides.update({"pillars.recycle": False, "pillars.reduce": False})
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="ecoserve-agg-") as tmp:
        path = gen.write_scenario(gen.SIZES[size_name], Path(tmp), overrides)
        for n in slots:
            t0 = time.perf_counter()
            built = eo.build(
                eo.load_scenario(path, overrides={"time_slots": n}), time_limit=time_limit
            )
            t1 = time.perf_counter()
            res = built.solve()
            t2 = time.perf_counter()
            mt = res.metrics
            rows.append(
                {
                    "slots": n,
                    "n_vars": built.model.nvariables(),
                    "n_cons": built.model.nconstraints(),
                    "status": res.status.value,
                    "objective": float(mt["objective"]),
                    "operational_kg": float(mt["operational_kg"]),
                    "embodied_kg": float(mt["embodied_kg"]),
                    "gpus": float(mt["gpus"]),
                    "gap": float(mt["gap"]),
                    "build_s": round(t1 - t0, 3),
                    "solve_s": round(t2 - t1, 3),
                }
            )
    ref = rows[0]["objective"]
    for r in rows:
        r["rel_error_pct"] = round(100.0 * (r["objective"] - ref) / abs(ref), 3)
    if out is not None:
        import pandas as pd

        out.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(rows).to_csv(out / "aggregation.csv", index=False)
        (out / "aggregation.md").write_text(ms.markdown_table(rows, COLUMNS))
    return rows


def main(argv: list[str] | None = None) -> int:
    """CLI entry point (see the module docstring)."""
    ap = argparse.ArgumentParser(description="ecoserve-opt time-slot aggregation benchmark")
    ap.add_argument("--size", default="XS", choices=list(gen.SIZES))
    ap.add_argument("--slots", default=",".join(str(s) for s in SLOTS))
    ap.add_argument("--gap", type=float, default=1e-3)
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--full-pillars", action="store_true", help="keep Recycle and Reduce on")
    ap.add_argument("--out", type=Path, default=HERE / "results")
    a = ap.parse_args(argv)
    slots = tuple(int(s) for s in a.slots.split(","))
    rows = run(a.size, slots, a.gap, a.full_pillars, a.time_limit, a.out)
    print(ms.markdown_table(rows, COLUMNS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
