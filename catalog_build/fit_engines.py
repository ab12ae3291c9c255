"""Fit an engine calibration of the GPU roofline on calibration points only.

Run from the repository root::

    python -m catalog_build fit-engine [--engine tensorrt-llm]

prints the fitted constants (to paste into :mod:`ecoserve_opt.perf.engines`); a test re-runs
the fit and checks the stored constants.

Points: ``models/profile_measurements`` rows with ``set == "calibration"`` and the engine's
name (validation rows are never read here). Fitted, for ``tensorrt-llm``: ``mfu_prefill``,
``mbu_decode``, ``mfu_decode``, ``prefill_layer_overhead_ms``, ``decode_layer_overhead_ms`` and
``allreduce_step_ms`` (bounds: efficiencies in (0, 1], the rest >= 0). Fixed from first
principles: ``comm_slowdown = 2`` (one-way datasheet link bandwidth in a ring all-reduce),
``decode_tp_layer_ms = 0``; the power fractions are the Splitwise fit's. Objective: sum of
squared log ratios model / measured (TTFT, TPOT and output tokens/s per GPU, one term per
point), solved by ``scipy.optimize.least_squares`` (trust-region reflective) from a fixed start,
so the result is deterministic; constants are rounded to 4 significant digits.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pandas as pd

from catalog_build import profile_validation as pv
from catalog_build.fit_roofline import sig
from ecoserve_opt.perf import roofline as rf
from ecoserve_opt.perf.engines import FIRST_PRINCIPLES_COMM_SLOWDOWN

FITTED = (
    "mfu_prefill",
    "mbu_decode",
    "mfu_decode",
    "prefill_layer_overhead_ms",
    "decode_layer_overhead_ms",
    "allreduce_step_ms",
)
X0 = (0.6, 0.85, 0.3, 0.1, 0.05, 0.01)
LOWER = (0.05, 0.05, 0.01, 0.0, 0.0, 0.0)
UPPER = (1.0, 1.0, 5.0, 5.0, 5.0, 5.0)
#: The engine column value of each engine's calibration points.
ENGINE_POINTS = {"tensorrt-llm": "tensorrt-llm"}


def calibration_points(points: pd.DataFrame, engine: str) -> pd.DataFrame:
    """Calibration-set latency/throughput points measured with ``engine``."""
    sel = (
        (points["set"] == "calibration")
        & (points["engine"] == ENGINE_POINTS[engine])
        & (points["metric"].isin(["ttft_ms", "tpot_ms", "throughput_tok_s_per_gpu"]))
    )
    return points[sel].reset_index(drop=True)


def _calibration(x: np.ndarray, base: rf.Calibration) -> rf.Calibration:
    return replace(
        base,
        comm_slowdown=FIRST_PRINCIPLES_COMM_SLOWDOWN,
        decode_tp_layer_ms=0.0,
        **{k: float(v) for k, v in zip(FITTED, x, strict=True)},
    )


def fit_engine(
    engine: str = "tensorrt-llm",
    points: pd.DataFrame | None = None,
    catalog: str | Path | None = None,
    base: rf.Calibration = rf.CALIBRATION,
    round_digits: int | None = 4,
) -> rf.Calibration:
    """Least-squares fit of the engine's calibration (see the module docstring)."""
    from scipy.optimize import least_squares

    pts = pv.load_points(catalog) if points is None else points
    cal_pts = calibration_points(pts, engine)
    if cal_pts.empty:
        raise ValueError(f"no calibration points for engine {engine!r}")
    llms, gpus = pv.specs(catalog)
    rows = list(rf.rows_of(cal_pts))
    measured = cal_pts["value"].to_numpy(float)

    def residual(x: np.ndarray) -> np.ndarray:
        cal = _calibration(x, base)
        model = np.array([pv.predict(r, llms, gpus, cal)[0] for r in rows])
        return np.log(model / measured)

    res = least_squares(residual, np.array(X0), bounds=(LOWER, UPPER), diff_step=1e-4)
    cal = _calibration(res.x, base)
    if round_digits:
        cal = rf.Calibration(**{k: sig(v, round_digits) for k, v in asdict(cal).items()})
    return cal


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: print the fitted constants."""
    ap = argparse.ArgumentParser(
        prog="python -m catalog_build fit-engine",
        description="Fit an engine calibration of the roofline",
    )
    ap.add_argument("--engine", default="tensorrt-llm", choices=sorted(ENGINE_POINTS))
    ap.add_argument("--out", type=Path, default=None, help="catalog folder (default: models)")
    args = ap.parse_args(argv)
    cal = fit_engine(args.engine, catalog=args.out)
    for k, v in asdict(cal).items():
        sys.stdout.write(f"{k} = {v}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
