"""Sweep benchmark: a grid-intensity sweep, persistent + warm start vs rebuild each point.

* ``persistent``: build once (``ecoserve_opt.build``), then for each point set
  ``m.ci_scale = value / base`` and call ``built.solve()`` -- the SAME persistent HiGHS
  model is updated (only the objective coefficients of ``P[y, s]`` change) and warm-started
  from the previous point's solution.
* ``rebuild``: for each point, load the scenario with ``grid.intensity = value``, build the
  model, hand it to a new HiGHS instance and solve it cold.

The scenario's hourly shape is ``evening-peak``, whose profile is the annual mean times a
fixed shape (``ecoserve_opt.grid``), so scaling ``ci`` by ``value / base`` and rebuilding
with ``intensity = value`` give the same model: the per-point objectives must agree within
the MIP gap (checked, ``max_rel_diff``). The default scenario is the ``XS`` size with the
Recycle and Reduce pillars off, which HiGHS solves in about a second per point (see
docs/performance.md for why the full-pillar models are slow in HiGHS).

Usage::

    python benchmarks/run_sweep.py                      # 50 points, XS (recycle/reduce off)
    python benchmarks/run_sweep.py --points 10 --size S --full-pillars
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

try:  # imported as part of the benchmarks package (tests) or run as a script
    from benchmarks import _measure as ms
    from benchmarks import generate as gen
except ImportError:  # pragma: no cover
    import _measure as ms  # type: ignore[no-redef]
    import generate as gen  # type: ignore[no-redef]

HERE = Path(__file__).resolve().parent
LIGHT_PILLARS = {"pillars.recycle": False, "pillars.reduce": False}


def sweep_values(points: int, lo: float, hi: float) -> list[float]:
    """Grid intensities (gCO2e/kWh), evenly spaced."""
    return [round(float(v), 6) for v in np.linspace(lo, hi, points)]


def _scenario(size_name: str, folder: Path, full_pillars: bool, gap: float) -> Path:
    overrides: dict[str, Any] = {"grid.hourly_shape": "evening-peak", "solver.mip_rel_gap": gap}
    if not full_pillars:
        overrides.update(LIGHT_PILLARS)
    return gen.write_scenario(gen.SIZES[size_name], folder, overrides)


def run_persistent(path: Path, values: list[float]) -> tuple[list[dict[str, Any]], float]:
    """One build, ``ci_scale`` changed per point, warm-started re-solves."""
    import ecoserve_opt as eo

    ms.install_timers()
    ms.reset_timers()
    t0 = time.perf_counter()
    loaded = eo.load_scenario(path)
    built = eo.build(loaded)
    base = loaded.scenario.grid.intensity  # kgCO2e/kWh, the mean that ci_scale multiplies
    if base is None or base <= 0:
        raise ValueError("the sweep scenario needs an explicit positive grid.intensity")
    rows = []
    for v in values:
        t = time.perf_counter()
        h0 = ms.stage("_solve")
        built.model.ci_scale.set_value(v / 1000.0 / base)
        res = built.solve(warm_start=True)
        rows.append(_row(v, res, time.perf_counter() - t, ms.stage("_solve") - h0))
    return rows, time.perf_counter() - t0


def run_rebuild(path: Path, values: list[float]) -> tuple[list[dict[str, Any]], float]:
    """Load, build, hand off and solve from scratch for every point."""
    import ecoserve_opt as eo

    ms.install_timers()
    ms.reset_timers()
    t0 = time.perf_counter()
    rows = []
    for v in values:
        t = time.perf_counter()
        h0 = ms.stage("_solve")
        loaded = eo.load_scenario(path, overrides={"grid.intensity": f"{v} gCO2e/kWh"})
        res = eo.build(loaded).solve()
        rows.append(_row(v, res, time.perf_counter() - t, ms.stage("_solve") - h0))
    return rows, time.perf_counter() - t0


def _row(v: float, res: Any, wall: float, highs: float) -> dict[str, Any]:
    return {
        "grid_g_per_kwh": v,
        "status": res.status.value,
        "objective": float(res.metrics["objective"]),
        "carbon_kg": float(res.metrics["carbon_kg"]),
        "gap": float(res.metrics["gap"]),
        "wall_s": round(wall, 4),
        "highs_s": round(highs, 4),
    }


def compare(pers: list[dict[str, Any]], reb: list[dict[str, Any]]) -> float:
    """Largest relative difference of the per-point objectives."""
    diffs = [
        abs(a["objective"] - b["objective"]) / max(abs(b["objective"]), 1e-9)
        for a, b in zip(pers, reb, strict=True)
    ]
    return max(diffs) if diffs else 0.0


def run(
    size_name: str = "XS",
    points: int = 50,
    lo: float = 25.0,
    hi: float = 800.0,
    gap: float = 0.01,
    full_pillars: bool = False,
    out: Path | None = None,
) -> dict[str, Any]:
    """Both modes on the same scenario; returns the summary (and writes it under ``out``)."""
    values = sweep_values(points, lo, hi)
    with tempfile.TemporaryDirectory(prefix="ecoserve-sweep-") as tmp:
        path = _scenario(size_name, Path(tmp), full_pillars, gap)
        pers, t_pers = run_persistent(path, values)
        reb, t_reb = run_rebuild(path, values)
    max_diff = compare(pers, reb)
    summary = {
        "size": size_name,
        "pillars": "all" if full_pillars else "recycle/reduce off",
        "points": points,
        "mip_rel_gap": gap,
        "persistent_s": round(t_pers, 3),
        "rebuild_s": round(t_reb, 3),
        "speedup": round(t_reb / t_pers, 3),
        "persistent_highs_s": round(sum(r["highs_s"] for r in pers), 3),
        "rebuild_highs_s": round(sum(r["highs_s"] for r in reb), 3),
        "max_rel_diff": max_diff,
        "tolerance": max(2 * gap, 1e-6),
        "same_results": max_diff <= max(2 * gap, 1e-6),
    }
    if out is not None:
        import pandas as pd

        out.mkdir(parents=True, exist_ok=True)
        pts = pd.DataFrame(pers).add_prefix("persistent_")
        pts = pts.join(pd.DataFrame(reb).add_prefix("rebuild_"))
        pts.to_csv(out / "sweep_points.csv", index=False)
        (out / "sweep.json").write_text(json.dumps(summary, indent=2))
        (out / "sweep.md").write_text(ms.markdown_table([summary], list(summary)))
    return summary


def main(argv: list[str] | None = None) -> int:
    """CLI entry point (see the module docstring)."""
    ap = argparse.ArgumentParser(description="ecoserve-opt sweep benchmark")
    ap.add_argument("--size", default="XS", choices=list(gen.SIZES))
    ap.add_argument("--points", type=int, default=50)
    ap.add_argument("--lo", type=float, default=25.0, help="lowest intensity, gCO2e/kWh")
    ap.add_argument("--hi", type=float, default=800.0, help="highest intensity, gCO2e/kWh")
    ap.add_argument("--gap", type=float, default=0.01)
    ap.add_argument("--full-pillars", action="store_true", help="keep Recycle and Reduce on")
    ap.add_argument("--out", type=Path, default=HERE / "results")
    a = ap.parse_args(argv)
    summary = run(a.size, a.points, a.lo, a.hi, a.gap, a.full_pillars, a.out)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
