"""Reduce's saving across the public range of host component data (issue 22).

Solves ``scenarios/ecoserve_paper.yaml`` (or another scenario) for every case of
``ecoserve_opt.host_sensitivity.CASES`` with Rightsize only and with Rightsize + Reduce,
and writes ``benchmarks/results/host_sensitivity.csv`` and ``.md`` (the table shown in
docs/data.md). About 12 solves of the paper scenario: 3-5 minutes on 2 cores (longer under load).

Usage::

    python benchmarks/run_host_sensitivity.py
    python benchmarks/run_host_sensitivity.py --scenario scenarios/ecoserve_paper.yaml -s one_year
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import ecoserve_opt as eo
from ecoserve_opt.host_sensitivity import reduce_sensitivity, to_markdown

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scenario", type=Path, default=REPO / "scenarios" / "ecoserve_paper.yaml")
    p.add_argument("-s", "--groups", default=None, help="override groups, comma-separated")
    p.add_argument("--out", type=Path, default=HERE / "results")
    p.add_argument(
        "--time-limit", type=float, default=900.0, help="seconds per solve (default 900)"
    )
    args = p.parse_args(argv)
    loaded = eo.load_scenario(args.scenario, scenario=args.groups)
    t0 = time.perf_counter()
    table = reduce_sensitivity(
        loaded,
        progress=lambda i, n, name: print(f"[{i + 1}/{n}] {name}", flush=True),  # noqa: T201
    )
    wall = time.perf_counter() - t0
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "host_sensitivity.csv", index=False, lineterminator="\n")
    name = args.scenario.name + (f" -s {args.groups}" if args.groups else "")
    md = (
        f"# Reduce's saving across host component data ({name})\n\n"
        f"Rightsize only vs Rightsize + Reduce, carbon objective, other pillars off; the "
        f"scenario's MIP gap, {args.time_limit:g} s per solve. {platform.machine()}, "
        f"{os.cpu_count()} cores, {wall:.0f} s for all cases.\n\n" + to_markdown(table)
    )
    (args.out / "host_sensitivity.md").write_text(md, encoding="utf-8")
    print(md)  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
