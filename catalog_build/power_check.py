"""Indicative power check on readings whose mean input length is not published.

Run from the repository root::

    python -m catalog_build power-check          # the table of docs/profiles.md

``models/profile_measurements/power_unstated_input.csv`` holds GPU power readings of the
ML.ENERGY Benchmark v3 (H100, vLLM, continuous batching at steady state) with their average
batch, average output length, TP degree and power per GPU, but **no input length** (the
leaderboard data do not publish the mean prompt length of the ``lm-arena-chat`` workload).
They therefore cannot be validation points (issue 21 asks for stated lengths); this module
reports the roofline's power error on them for a bracket of assumed mean input lengths, so
that the reader sees whether the conclusion depends on the missing number.

A static batch of ``b`` requests (prefill of all ``b`` prompts, then the decode steps) and
continuous batching at a steady ``b`` requests in flight spend the same share of time in
prefill per request served, so the request-average power of the profiles is compared with
the steady-state power at the average batch.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from catalog_build import DEFAULT_OUT
from catalog_build.profile_validation import FOLDER, add_engine_option, specs
from ecoserve_opt.perf import roofline as rf
from ecoserve_opt.perf.engines import ENGINES

FILE = "power_unstated_input.csv"
#: Assumed mean input lengths (tokens) bracketing a chat workload's prompts.
ASSUMED_INPUTS = (100, 500, 1000, 2000)
MARKERS = ("<!-- power-check:begin -->", "<!-- power-check:end -->")


def load(catalog: str | Path | None = None) -> pd.DataFrame:
    """The transcribed readings."""
    folder = Path(catalog) if catalog is not None else DEFAULT_OUT
    return pd.read_csv(folder / FOLDER / FILE, keep_default_na=False)


def check(
    rows: pd.DataFrame,
    cal: rf.Calibration,
    catalog: str | Path | None = None,
    inputs: tuple[int, ...] = ASSUMED_INPUTS,
) -> pd.DataFrame:
    """One row per reading and assumed input length: model power, error, memory fit."""
    llms, gpus = specs(catalog if catalog is not None else DEFAULT_OUT)
    out = []
    for r in rf.rows_of(rows):
        llm, gpu = llms[r.llm], gpus[r.gpu]
        batch = max(1, round(float(r.avg_batch)))
        for s in inputs:
            est = rf.estimate_gpu(llm, gpu, int(r.tp), batch, s, float(r.output_tokens), cal)
            out.append(
                {
                    "llm": r.llm,
                    "model_id": r.model_id,
                    "tp": int(r.tp),
                    "batch": batch,
                    "input_tokens": s,
                    "measured_w": float(r.measured_w_per_gpu),
                    "model_w": est.power_w,
                    "err": est.power_w / float(r.measured_w_per_gpu) - 1.0,
                    "fits": est.fits,
                }
            )
    return pd.DataFrame(out)


def report_markdown(ck: pd.DataFrame) -> str:
    """Median absolute (and signed) error per model, TP and assumed input length."""
    ok = ck[ck["fits"]]
    lines = [
        "| model | TP | assumed mean input | readings (fit memory) | batch range "
        "| median abs. error | median signed error |",
        "|---|---|---|---|---|---|---|",
    ]
    for (mid, tp, s), g in ok.groupby(["model_id", "tp", "input_tokens"], sort=True):
        lines.append(
            f"| {mid} | {tp} | {s} | {len(g)} | {g['batch'].min()}-{g['batch'].max()} "
            f"| {g['err'].abs().median():.1%} | {g['err'].median():+.1%} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(
        prog="python -m catalog_build power-check",
        description="Power error on readings without a published input length",
    )
    ap.add_argument("--out", type=Path, default=None, help="catalog folder (default: models)")
    add_engine_option(ap)
    args = ap.parse_args(argv)
    rows = load(args.out)
    ck = check(rows, ENGINES[args.engine].calibration, args.out)
    sys.stdout.write(report_markdown(ck))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
