"""How long ``ecoserve --help`` (and ``--version``) take: the CLI must start in under 1 s.

Runs each command N times in a fresh interpreter and prints the median and the range of
the wall time, plus what ``python -X importtime`` says the slowest imports are. The target
(< 1 s for ``--help``) is checked here, never as a timed test.

    python benchmarks/cli_startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time

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
    runs = ap.parse_args().runs
    _time(["--version"])  # warm the file cache
    bare = [_time(["-c", "pass"], module=False) for _ in range(runs)]
    print(
        f"{'python -c pass':<23} wall median {statistics.median(w for w, _ in bare):.2f} s, "
        f"CPU median {statistics.median(c for _, c in bare):.2f} s (the interpreter alone)"
    )
    for args in COMMANDS:
        times = [_time(args) for _ in range(runs)]
        wall = [w for w, _ in times]
        cpu = statistics.median(c for _, c in times)
        med = statistics.median(wall)
        flag = "ok" if med < TARGET_S else f"wall over {TARGET_S:g} s"
        print(
            f"ecoserve {' '.join(args):<14} wall median {med:.2f} s "
            f"(min {min(wall):.2f}, max {max(wall):.2f}), CPU median {cpu:.2f} s, "
            f"{runs} runs  {flag}"
        )
    print("slowest imports of ecoserve_opt.cli (cumulative, ms):")
    for us, name in _slowest_imports():
        print(f"  {us / 1000:8.1f}  {name.strip()}")


if __name__ == "__main__":
    main()
