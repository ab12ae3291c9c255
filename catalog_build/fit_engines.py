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
from catalog_build.fit_roofline import _nnls, sig
from ecoserve_opt.perf import roofline as rf
from ecoserve_opt.perf.engines import (
    ALLREDUCE_BUS_EFFICIENCY,
    ALLREDUCE_FIXED_MS,
    FIRST_PRINCIPLES_COMM_SLOWDOWN,
)
from ecoserve_opt.perf.tp_comm import INTERCONNECT_GBS

FITTED = (
    "mfu_prefill",
    "mbu_decode",
    "mfu_decode",
    "prefill_layer_overhead_ms",
    "decode_layer_overhead_ms",
)
X0 = (0.6, 0.85, 0.3, 0.1, 0.05)
LOWER = (0.05, 0.05, 0.01, 0.0, 0.0)
UPPER = (1.0, 1.0, 5.0, 5.0, 5.0)
#: The engine column values of each engine's calibration points (current-generation engines:
#: TensorRT-LLM's tables, LMDeploy TurboMind's static-batch tables).
ENGINE_POINTS = {"tensorrt-llm": ("tensorrt-llm", "lmdeploy-turbomind")}
ALLREDUCE_FILE = Path("profile_measurements") / "allreduce.csv"


def calibration_points(points: pd.DataFrame, engine: str) -> pd.DataFrame:
    """Calibration-set latency/throughput points measured with ``engine``."""
    sel = (
        (points["set"] == "calibration")
        & (points["engine"].isin(ENGINE_POINTS[engine]))
        & (points["metric"].isin(["ttft_ms", "tpot_ms", "throughput_tok_s_per_gpu"]))
    )
    return points[sel].reset_index(drop=True)


def load_allreduce(catalog: str | Path | None = None) -> pd.DataFrame:
    """The measured all-reduce times of ``<catalog>/profile_measurements/allreduce.csv``."""
    return pd.read_csv(pv._catalog(catalog) / ALLREDUCE_FILE, keep_default_na=False)


def fit_allreduce(
    catalog: str | Path | None = None, round_digits: int | None = 4
) -> tuple[float, float]:
    """(fixed latency per all-reduce in ms, bus-bandwidth efficiency) of the NCCL all-reduce.

    Least squares on the log ratio model / measured over every row of ``allreduce.csv``:
    ``t = fixed + 2 (tp - 1) / tp x bytes / (efficiency x N / 2)`` with ``N`` the GPU's
    bidirectional datasheet link bandwidth (:data:`~ecoserve_opt.perf.tp_comm.INTERCONNECT_GBS`).
    """
    from scipy.optimize import least_squares

    meas = load_allreduce(catalog)
    one_way = np.array([INTERCONNECT_GBS[g][0] * 1e9 / 2.0 for g in meas["gpu"]])
    tp = meas["tp"].to_numpy(float)
    ring = 2.0 * (tp - 1.0) / tp * meas["message_bytes"].to_numpy(float) / one_way * 1e3
    t = meas["time_ms"].to_numpy(float)

    def residual(x: np.ndarray) -> np.ndarray:
        return np.log((x[0] + ring / x[1]) / t)

    res = least_squares(residual, np.array([0.03, 0.7]), bounds=([0.0, 0.05], [1.0, 1.0]))
    fixed, eff = float(res.x[0]), float(res.x[1])
    if round_digits:
        fixed, eff = sig(fixed, round_digits), sig(eff, round_digits)
    return fixed, eff


def _calibration(x: np.ndarray, base: rf.Calibration) -> rf.Calibration:
    return replace(
        base,
        comm_slowdown=FIRST_PRINCIPLES_COMM_SLOWDOWN / ALLREDUCE_BUS_EFFICIENCY,
        decode_tp_layer_ms=0.0,
        allreduce_step_ms=0.0,
        allreduce_fixed_ms=ALLREDUCE_FIXED_MS,
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
    pi_p, pi_d = fit_power(pts, cal, llms, gpus)
    cal = replace(cal, power_prefill=pi_p, power_decode=pi_d)
    if round_digits:
        cal = replace(
            cal, power_prefill=sig(pi_p, round_digits), power_decode=sig(pi_d, round_digits)
        )
    return cal


def fit_power(
    points: pd.DataFrame,
    cal: rf.Calibration,
    llms: dict[str, rf.LLMSpec],
    gpus: dict[str, rf.GPUSpec],
) -> tuple[float, float]:
    """(power_prefill, power_decode) for ``cal``'s latency model on the measured power points.

    The calibration points with ``metric == "power_frac_tdp"`` (Splitwise's A100 readings,
    the only public power measurements with stated batch, TP and lengths) are fitted as in
    :func:`catalog_build.fit_roofline.fit_calibration`: the dynamic share
    ``(P - idle) / (TDP - idle)`` is ``(pi_p busy_p + pi_d o busy_d) / (ttft + o tpot)``,
    non-negative least squares on the relative error.
    """
    pw = points[(points["set"] == "calibration") & (points["metric"] == "power_frac_tdp")]
    feats, target = [], []
    for r in rf.rows_of(pw):
        llm, gpu = llms[r.llm], gpus[r.gpu]
        o = float(r.output_tokens)
        t_p, busy_p = rf.gpu_prefill_ms(llm, gpu, r.tp, r.batch, r.input_tokens, cal)
        t_d, busy_d = rf.gpu_decode_ms(llm, gpu, r.tp, r.batch, r.input_tokens + o / 2.0, cal)
        total = t_p + o * t_d
        feats.append([busy_p / total, o * busy_d / total])
        target.append((r.value * gpu.tdp_w - gpu.idle_w) / (gpu.tdp_w - gpu.idle_w))
    fa, ty = np.array(feats), np.array(target)
    pi_p, pi_d = _nnls(fa / ty[:, None], np.ones(len(ty)))
    return float(pi_p), float(pi_d)


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
