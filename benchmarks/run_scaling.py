"""Scaling benchmark: build, hand-off and solve times and peak memory per model size.

Each size runs in its own Python process (so peak RSS is that size's alone) through the public
API, exactly as a user runs it::

    loaded = ecoserve_opt.load_scenario(path)   # \
    built = ecoserve_opt.build(loaded)          #  } data_s (load + ModelData + checks), build_s
    results = built.solve()                     # handoff_s + highs_s + other_s

Columns (seconds unless noted):

* ``n_vars``/``n_cons``/``n_int``/``nnz``: Pyomo variables and active constraints, integer
  columns and non-zeros as HiGHS received them;
* ``data_s``: YAML + catalog + :class:`ModelData` + pre-solve checks;
* ``build_s``: ``build_model`` (Pyomo components);
* ``handoff_s``: ``Highs.set_instance`` (Pyomo expressions -> HiGHS rows);
* ``highs_s``: HiGHS itself (``Highs.run`` with its option setting);
* ``other_s``: the rest of ``Built.solve``: the persistent ``update`` scan that Pyomo runs
  before every solve, loading the solution into Pyomo and extracting :class:`Results`;
* ``total_s`` = data + build + solve; ``overhead_pct`` = share of ``total_s`` that is not HiGHS;
* ``peak_build_mb``/``peak_mb``: peak RSS after the hand-off / at the end (MB);
* ``cpu_data_s``/``cpu_build_s``/``cpu_handoff_s``/``cpu_build_handoff_s``: the same stages
  in CPU seconds of the process (user + system), which other jobs on a shared machine
  stretch much less than wall time; ``load`` is the 1-minute load average when the size
  started (wall times at a load above the core count are upper ends).

Usage::

    python benchmarks/run_scaling.py                          # XS..XL; L 120 s, XL 60 s limit
    python benchmarks/run_scaling.py --sizes XS,S --out /tmp/r
    python benchmarks/run_scaling.py --sizes XL --time-limit 60
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
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
COLUMNS = [
    "size",
    "n_vars",
    "n_cons",
    "n_int",
    "nnz",
    "data_s",
    "build_s",
    "handoff_s",
    "build_handoff_s",
    "highs_s",
    "other_s",
    "total_s",
    "overhead_pct",
    "status",
    "gap",
    "objective",
    "peak_build_mb",
    "peak_mb",
    "cpu_data_s",
    "cpu_build_s",
    "cpu_handoff_s",
    "cpu_build_handoff_s",
    "load",
]
TABLE_COLUMNS = [
    "size",
    "n_vars",
    "n_cons",
    "data_s",
    "build_s",
    "handoff_s",
    "build_handoff_s",
    "highs_s",
    "other_s",
    "total_s",
    "overhead_pct",
    "status",
    "gap",
    "peak_mb",
    "cpu_build_handoff_s",
    "load",
]


def measure_one(
    size_name: str,
    time_limit: float | None,
    gap: float,
    solve: bool = True,
    workdir: Path | None = None,
    threads: int = 1,
) -> dict[str, Any]:
    """Generate, build, hand off and solve one size in this process; return one table row."""
    import ecoserve_opt as eo

    ms.install_timers()
    ms.reset_timers()
    size = gen.SIZES[size_name]
    path = gen.write_scenario(size, workdir)
    t: dict[str, float] = {}
    load = ms.load_average()
    cpu_model = _cpu_timed_build_model()
    t0, c0 = time.perf_counter(), time.process_time()
    loaded = eo.load_scenario(path)
    # build + hand-off only: the package's own solver path, HiGHS stopped at once
    limit = time_limit if solve else 1e-3
    built = eo.build(loaded, mip_rel_gap=gap, time_limit=limit, threads=threads)
    t["data_s"] = time.perf_counter() - t0 - built.timings["build_s"]
    t["cpu_build_s"] = cpu_model["build_model"]
    t["cpu_data_s"] = time.process_time() - c0 - t["cpu_build_s"]
    t["build_s"] = built.timings["build_s"]
    row: dict[str, Any] = {
        "size": size_name,
        "dims": size.label(),
        "n_vars": built.model.nvariables(),
        "n_cons": built.model.nconstraints(),
    }
    if solve:
        with ms.timer(t, "solve_s"):
            res = built.solve()
        status, gap_v, obj = res.status.value, res.metrics["gap"], res.metrics["objective"]
    else:
        with ms.timer(t, "solve_s"):
            built.solver.solve(built.model)
        status, gap_v, obj = "not solved", float("nan"), float("nan")
    h = _highs_model(built)
    row["n_int"] = h["n_int"] if h else None
    row["nnz"] = h["nnz"] if h else None
    t["handoff_s"] = ms.stage("set_instance")
    t["highs_s"] = ms.stage("_solve")
    t["other_s"] = t["solve_s"] - t["handoff_s"] - t["highs_s"]
    t["build_handoff_s"] = t["build_s"] + t["handoff_s"]
    t["cpu_handoff_s"] = ms.stage_cpu("set_instance")
    t["cpu_build_handoff_s"] = t["cpu_build_s"] + t["cpu_handoff_s"]
    t["total_s"] = t["data_s"] + t["build_s"] + t["solve_s"]
    row.update({k: round(v, 3) for k, v in t.items()})
    row["overhead_pct"] = round(100.0 * (t["total_s"] - t["highs_s"]) / t["total_s"], 1)
    row.update(
        status=status,
        gap=float(gap_v),
        objective=float(obj),
        peak_build_mb=round(_peak_before_solve, 1) if _peak_before_solve else None,
        peak_mb=round(ms.peak_rss_mb(), 1),
        update_s=round(ms.stage("update"), 3),
        load_vars_s=round(ms.stage("_load_vars"), 3),
        load=round(load, 1),
    )
    return row


def _cpu_timed_build_model() -> dict[str, float]:
    """Wrap ``ecoserve_opt.api.build_model`` with a CPU timer (this process only)."""
    import ecoserve_opt.api as api

    out = {"build_model": 0.0}
    orig = api.build_model

    def timed(*a: Any, **k: Any) -> Any:
        c0 = time.process_time()
        try:
            return orig(*a, **k)
        finally:
            out["build_model"] += time.process_time() - c0

    api.build_model = timed  # type: ignore[assignment]
    return out


_peak_before_solve: float | None = None


def _highs_model(built: Any) -> dict[str, int] | None:
    """Integer columns and non-zeros of the HiGHS model behind ``built`` (if any)."""
    h = getattr(getattr(built.solver, "_highs", None), "_solver_model", None)
    if h is None:
        return None
    lp = h.getLp()
    integrality = list(lp.integrality_)
    return {"n_int": sum(1 for v in integrality if int(v) != 0), "nnz": int(h.getNumNz())}


def _record_peak_after_handoff() -> None:
    """Hook: remember the peak RSS right after ``set_instance`` (before HiGHS runs)."""
    from pyomo.contrib.solver.solvers.highs import Highs

    orig = Highs.set_instance

    def wrapped(self: Any, model: Any) -> Any:
        global _peak_before_solve
        out = orig(self, model)
        _peak_before_solve = ms.peak_rss_mb()
        return out

    Highs.set_instance = wrapped  # type: ignore[method-assign]


def run_child(
    size_name: str, time_limit: float | None, gap: float, solve: bool, threads: int
) -> dict[str, Any]:
    """Run :func:`measure_one` in a fresh Python process (clean peak RSS)."""
    with tempfile.TemporaryDirectory(prefix="ecoserve-bench-") as tmp:
        out = Path(tmp) / "row.json"
        cmd = [
            sys.executable,
            str(HERE / "run_scaling.py"),
            "--one",
            size_name,
            "--json",
            str(out),
            "--gap",
            str(gap),
            "--threads",
            str(threads),
            "--workdir",
            str(Path(tmp) / "scenario"),
        ]
        if time_limit is not None:
            cmd += ["--time-limit", str(time_limit)]
        if not solve:
            cmd.append("--no-solve")
        # keep a PYTHONPATH given by the caller first (e.g. a patched ecoserve_opt checkout)
        paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([*paths, str(HERE.parent)])}
        subprocess.run(cmd, check=True, env=env)
        return dict(json.loads(out.read_text()))


def write_outputs(rows: list[dict[str, Any]], out_dir: Path) -> tuple[Path, Path]:
    """Write ``scaling.csv`` and ``scaling.md`` into ``out_dir``."""
    import pandas as pd

    out_dir.mkdir(parents=True, exist_ok=True)
    df = pd.DataFrame(rows)
    cols = [c for c in COLUMNS if c in df.columns] + [c for c in df.columns if c not in COLUMNS]
    csv = out_dir / "scaling.csv"
    df[cols].to_csv(csv, index=False)
    md = out_dir / "scaling.md"
    md.write_text(ms.markdown_table(rows, TABLE_COLUMNS))
    return csv, md


def main(argv: list[str] | None = None) -> int:
    """CLI entry point (see the module docstring)."""
    ap = argparse.ArgumentParser(description="ecoserve-opt scaling benchmark")
    ap.add_argument("--sizes", default="XS,S,M,L,XL")
    ap.add_argument("--gap", type=float, default=0.01, help="MIP relative gap (default 1%%)")
    ap.add_argument("--time-limit", type=float, default=120.0, help="HiGHS limit per size (s)")
    ap.add_argument("--xl-time-limit", type=float, default=60.0, help="limit for XL (s)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, default=HERE / "results")
    ap.add_argument("--no-solve", action="store_true", help="build + hand-off only")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.one:
        _record_peak_after_handoff()
        row = measure_one(a.one, a.time_limit, a.gap, not a.no_solve, a.workdir, a.threads)
        a.json.write_text(json.dumps(row))
        return 0
    rows = []
    for name in a.sizes.split(","):
        tl = a.xl_time_limit if name == "XL" else a.time_limit
        row = run_child(name, tl, a.gap, not a.no_solve, a.threads)
        rows.append(row)
        print(
            f"{name}: {row['n_vars']:,} vars, build+hand-off {row['build_handoff_s']:.2f} s, "
            f"HiGHS {row['highs_s']:.1f} s, overhead {row['overhead_pct']}%, "
            f"peak {row['peak_mb']:.0f} MB, {row['status']} gap {row['gap']:.4f}",
            flush=True,
        )
    csv, md = write_outputs(rows, a.out)
    print(md.read_text())
    print(f"wrote {csv} and {md}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
