"""How long ``ecoserve --help`` (and ``--version``) take: the CLI must start in under 1 s.

Runs each command N times in a fresh interpreter and prints the median and the range of
the wall time, plus what ``python -X importtime`` says the slowest imports are. The target
(< 1 s for ``--help``) is checked here, never as a timed test.

    python benchmarks/cli_startup.py [--runs 7]

Writes the table to ``results/cli_startup.md`` too, with the machine's load average (other
jobs on a small machine stretch wall time well beyond CPU time).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = (["--help"], ["--version"], ["solve", "--help"])
TARGET_S = 1.0


def _time(args: list[str], module: bool = True) -> tuple[float, float]:
    """(wall, CPU) seconds of one run; CPU (user + sys) does not grow with machine load."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "ecoserve_opt.cli", *args] if module else [sys.executable, *args]
    subprocess.run(cmd, capture_output=True, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _slowest_imports(n: int = 8) -> list[tuple[int, str]]:
    r = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import ecoserve_opt.cli"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in r.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    return sorted(rows, reverse=True)[:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args_ns = ap.parse_args()
    runs, out = args_ns.runs, args_ns.out
    _time(["--version"])  # warm the file cache
    load0 = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    bare = [_time(["-c", "pass"], module=False) for _ in range(runs)]
    lines = [
        f"{'python -c pass':<23} wall median {statistics.median(w for w, _ in bare):.2f} s, "
        f"CPU median {statistics.median(c for _, c in bare):.2f} s (the interpreter alone)"
    ]
    rows = []
    for args in COMMANDS:
        times = [_time(args) for _ in range(runs)]
        wall = [w for w, _ in times]
        cpu = statistics.median(c for _, c in times)
        med = statistics.median(wall)
        flag = "ok" if med < TARGET_S else f"wall over {TARGET_S:g} s"
        lines.append(
            f"ecoserve {' '.join(args):<14} wall median {med:.2f} s "
            f"(min {min(wall):.2f}, max {max(wall):.2f}), CPU median {cpu:.2f} s, "
            f"{runs} runs  {flag}"
        )
        rows.append((" ".join(args), med, min(wall), max(wall), cpu, flag))
    load1 = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines.append("slowest imports of ecoserve_opt.cli (cumulative, ms):")
    lines += [f"  {us / 1000:8.1f}  {name.strip()}" for us, name in _slowest_imports()]
    sys.stdout.write("\n".join(lines) + "\n")
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    md = [
        "# CLI start-up (benchmarks/cli_startup.py)",
        "",
        f"{machine}, Python {platform.python_version()}, load average {load0:.1f} at the "
        f"start and {load1:.1f} at the end; {runs} runs per command in a fresh interpreter. "
        f"Target: `ecoserve --help` wall median under {TARGET_S:g} s.",
        "",
        "| command | wall median (s) | wall min (s) | wall max (s) | CPU median (s) | |",
        "|---|---|---|---|---|---|",
        *(
            f"| `ecoserve {a}` | {m:.2f} | {lo:.2f} | {hi:.2f} | {c:.2f} | {f} |"
            for a, m, lo, hi, c, f in rows
        ),
        "",
    ]
    out.mkdir(parents=True, exist_ok=True)
    (out / "cli_startup.md").write_text("\n".join(md))


if __name__ == "__main__":
    main()
