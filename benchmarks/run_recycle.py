"""Recycle lifetime accounting on the paper scenario: lifetimes and solve times (issue 14).

Solves ``scenarios/ecoserve_paper.yaml`` at a clean and a dirty grid
(``grid.region=null``, ``grid.intensity=20`` and ``800 gCO2e/kWh``) with the old
``horizon`` accounting (the model before the Recycle work, embodied only), the
``steady_state`` accounting with the old flat spares overhead (``recycle.ageing: flat``)
and with the sourced failure rates (``ageing: sourced``, the default), ``--repeats`` times
each (alternating, so machine load hits all alike), and writes
``benchmarks/results/recycle.csv`` and ``.md``: the count-weighted mean lifetime of the new
GPUs and hosts, carbon, gap and the HiGHS solve time of each run. About 12 solves of
20-120 s each on 2 cores.

Usage::

    python benchmarks/run_recycle.py
    python benchmarks/run_recycle.py --repeats 3 --intensities 20,200,800
    python benchmarks/run_recycle.py --embodied greensku,boavizta
    python benchmarks/run_recycle.py --configs steady_state:flat,steady_state:sourced \
        --time-limit 900 --repeats 1

``cpu_s`` is the process CPU time of the whole solve call (build, HiGHS's threads and
extraction): on a shared, loaded machine it varies far less than wall time. A larger
``--time-limit`` lets every run reach the gap, so the times compare.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import pandas as pd

import ecoserve_opt as eo

#: (lifetime accounting, ageing): the model before the Recycle work, the steady-state
#: accounting with the old flat spares overhead, and with the sourced failure rates
CONFIGS = (("horizon", "sourced"), ("steady_state", "flat"), ("steady_state", "sourced"))

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def mean_life(res: eo.Results, kind: str) -> float:
    """Count-weighted mean lifetime of the new cohorts of ``kind`` (NaN if none)."""
    f = res.tables["fleet"]
    new = f[(f["kind"] == kind) & (f["source"] == "new")]
    if new.empty:
        return float("nan")
    return float((new["count"] * new["lifetime_years"]).sum() / new["count"].sum())


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scenario", type=Path, default=REPO / "scenarios" / "ecoserve_paper.yaml")
    p.add_argument("--intensities", default="20,800", help="gCO2e/kWh, comma-separated")
    p.add_argument("--embodied", default="greensku", help="embodied sources, comma-separated")
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument(
        "--configs",
        default=",".join(f"{a}:{g}" for a, g in CONFIGS),
        help="accounting:ageing pairs, comma-separated",
    )
    p.add_argument("--time-limit", type=float, default=None, help="s (default: scenario's)")
    p.add_argument("--out", type=Path, default=HERE / "results")
    args = p.parse_args(argv)
    configs = [tuple(c.split(":")) for c in args.configs.split(",")]
    rows = []
    t0 = time.perf_counter()
    for rep in range(args.repeats):
        for src in args.embodied.split(","):
            for g in [float(v) for v in args.intensities.split(",")]:
                for acc, ageing in configs:
                    more = {} if args.time_limit is None else {"solver.time_limit": args.time_limit}
                    loaded = eo.load_scenario(
                        args.scenario,
                        overrides={
                            "grid.region": None,
                            "grid.intensity": f"{g} gCO2e/kWh",
                            "embodied_source": src,
                            "recycle.lifetime_accounting": acc,
                            "recycle.ageing": ageing,
                            **more,
                        },
                    )
                    c0 = time.process_time()
                    res = eo.solve(loaded)
                    cpu = time.process_time() - c0
                    t = res.meta.get("timings", {})
                    rows.append(
                        {
                            "repeat": rep,
                            "embodied_source": src,
                            "grid_g_per_kwh": g,
                            "accounting": acc,
                            "ageing": ageing,
                            "status": res.status.value,
                            "gap": res.metrics.get("gap"),
                            "gpu_life": mean_life(res, "gpu"),
                            "host_life": mean_life(res, "host"),
                            "carbon_t": res.carbon / 1e3,
                            "obsolescence_t": res.metrics.get("obsolescence_kg", 0.0) / 1e3,
                            "solve_s": t.get("solve_s"),
                            "cpu_s": cpu,
                            "build_s": t.get("build_s"),
                            "n_variables": res.meta.get("n_variables"),
                        }
                    )
                    r = rows[-1]
                    print(
                        f"{src:9s} {g:6.0f} g {acc:12s} {ageing:7s} gpu {r['gpu_life']:.2f} y "
                        f"host {r['host_life']:.2f} y  {r['carbon_t']:.1f} t  "
                        f"solve {r['solve_s']:.1f} s cpu {cpu:.1f} s ({r['status']})",
                        flush=True,
                    )
    df = pd.DataFrame(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    df.to_csv(args.out / "recycle.csv", index=False)
    keys = ["embodied_source", "grid_g_per_kwh", "accounting", "ageing"]
    lines = [
        "# Recycle lifetime accounting on the paper scenario",
        "",
        f"`python benchmarks/run_recycle.py` on {platform.node() and 'a'} "
        f"{os.cpu_count()}-core machine ({platform.machine()}), {args.repeats} repeats, "
        f"time limit {args.time_limit or 'of the scenario'} s, "
        f"{time.perf_counter() - t0:.0f} s in all. Lifetimes: count-weighted mean of the new "
        "cohorts (years); solve: HiGHS wall time, median (min-max) over the repeats; cpu: "
        "process CPU time of the solve call (build + HiGHS), median.",
        "",
        "| embodied | grid (g/kWh) | accounting | ageing | GPU life | host life | carbon (t) "
        "| status | solve s median (min-max) | cpu s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, grp in df.groupby(keys, sort=False):
        s = grp["solve_s"].astype(float)
        first = grp.iloc[0]
        lines.append(
            f"| {key[0]} | {key[1]:g} | {key[2]} | {key[3]} | {first['gpu_life']:.2f} | "
            f"{first['host_life']:.2f} | {first['carbon_t']:.1f} | "
            f"{'/'.join(sorted(set(grp['status'])))} | "
            f"{statistics.median(s):.1f} ({s.min():.1f}-{s.max():.1f}) | "
            f"{statistics.median(grp['cpu_s'].astype(float)):.1f} |"
        )
    (args.out / "recycle.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
