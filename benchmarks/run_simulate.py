"""Replay speed: requests simulated per second by ``ecoserve_opt.simulate`` (issue 17).

Solves the default scenario once (or uses ``--results DIR``), then replays it for each
duration and routing policy and reports, per run, the online requests simulated, the engine
events, the wall time of the replay (arrival generation + engine, not the folder loading)
and requests per second. Writes ``results/simulate.csv`` and ``results/simulate.md``.

    python benchmarks/run_simulate.py                     # 10 min and 1 h, jsq and p2c
    python benchmarks/run_simulate.py --durations 3600 --routing jsq
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

import ecoserve_opt as eo
from ecoserve_opt.paths import scenarios_dir
from ecoserve_opt.simulate import simulate

COLUMNS = [
    "duration_s",
    "routing",
    "rate_scale",
    "replicas",
    "requests",
    "events",
    "wall_s",
    "requests_per_s",
    "min_attainment",
]


def measure(
    results: Path, duration_s: float, routing: str, rate_scale: float
) -> dict[str, float | int | str]:
    """One replay; its row of the table."""
    t0 = time.perf_counter()
    rep = simulate(results, duration_s=duration_s, routing=routing, rate_scale=rate_scale)
    total = time.perf_counter() - t0
    wall = float(rep.settings["wall_s"])
    return {
        "duration_s": duration_s,
        "routing": routing,
        "rate_scale": rate_scale,
        "replicas": sum(r.replicas for r in rep.llms.values()),
        "requests": rep.requests,
        "events": int(rep.settings["events"]),
        "wall_s": round(wall, 2),
        "requests_per_s": round(rep.requests / wall),
        "min_attainment": round(float(rep.slo["attainment"].min()), 4),
        "total_s": round(total, 2),
    }


def _markdown(df: pd.DataFrame) -> str:
    head = "| " + " | ".join(df.columns) + " |\n|" + "---|" * len(df.columns) + "\n"
    body = "".join("| " + " | ".join(str(v) for v in row) + " |\n" for row in df.values)
    return head + body


def main(argv: list[str] | None = None) -> int:
    """Run the replay benchmark and write the tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=Path, default=None, help="results folder to replay")
    ap.add_argument("--durations", default="600,3600", help="seconds, comma-separated")
    ap.add_argument("--routing", default="jsq,p2c")
    ap.add_argument("--rate-scale", type=float, default=1.0)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = ap.parse_args(argv)
    results = args.results
    if results is None:
        res = eo.solve(eo.load_scenario(scenarios_dir() / "default.yaml"))
        results = res.to_dir(Path(tempfile.mkdtemp(prefix="ecoserve-bench-sim-")))
    rows = [
        measure(results, float(d), r, args.rate_scale)
        for d in args.durations.split(",")
        for r in args.routing.split(",")
    ]
    df = pd.DataFrame(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    df.to_csv(args.out / "simulate.csv", index=False)
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    if hasattr(os, "getloadavg"):  # other jobs on the machine slow a pure-Python loop
        machine += f", load average {os.getloadavg()[0]:.1f} at the end"
    md = (
        "# Replay speed (benchmarks/run_simulate.py)\n\n"
        f"Default scenario design, {machine}, Python {platform.python_version()}. "
        "`wall_s`: arrival generation + engine; `total_s` adds reading the folder.\n\n"
        + _markdown(df)
    )
    (args.out / "simulate.md").write_text(md)
    sys.stdout.write(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
