"""Calibration and validation of the CPU-socket roofline on published CPU LLM measurements.

Points live in ``models/profile_measurements/cpu.csv``, one row per published number, each
with its source (URL and title), engine and version, precision, the CPU (model, sockets,
cores used, base GHz, FLOPs/cycle/core of its ISA path, memory bandwidth), the LLM, batch,
input and output lengths, the metric and ``set``:

* ``prefill_tok_s``  -- prompt tokens/s of one prefill (llama-bench ``pp``);
* ``ttft_ms``        -- time to first token of the batch;
* ``decode_tok_s``   -- generated tokens/s of one sequence (llama-bench ``tg``);
* ``throughput_tok_s`` -- generated tokens/s of a static batch, prefill included.

Only ``set == calibration`` rows are fitted (:func:`fit`); ``validation`` rows never are.
The fit is deterministic and closed form:

* prefill: for each ISA class (``amx``, ``avx512_bf16``, ``fp32_simd``), ``CPU_MFU`` is the
  geometric mean of the achieved / peak FLOP/s of the class's prefill points (the error
  measure is the log ratio, so a point that is 2x off weighs as one 0.5x off);
* decode: ``1 / CPU_MBU`` and ``CPU_DECODE_LAYER_MS`` are the non-negative least-squares
  solution of ``t_step = (bytes / B) u + L x`` on relative errors over the decode points.

Run ``python -m catalog_build fit-cpu`` to print the fitted constants (stored in
:mod:`ecoserve_opt.perf.roofline`), ``python -m catalog_build fit-cpu --report`` for the error
table of ``docs/profiles.md``.
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from catalog_build import DEFAULT_OUT
from ecoserve_opt.perf import roofline as rf

POINTS_FILE = Path("profile_measurements") / "cpu.csv"
BENCH_LLMS_FILE = Path("profile_measurements") / "llms.csv"
ISA_CLASSES = ("amx", "avx512_bf16", "fp32_simd")
METRICS = ("prefill_tok_s", "ttft_ms", "decode_tok_s", "throughput_tok_s")
DOC_MARKERS = ("<!-- cpu-calibration:begin -->", "<!-- cpu-calibration:end -->")


def _catalog(catalog: str | Path | None) -> Path:
    return Path(catalog) if catalog is not None else DEFAULT_OUT


def load_points(catalog: str | Path | None = None) -> pd.DataFrame:
    """The CPU measurement points of ``<catalog>/profile_measurements/cpu.csv``."""
    pts = pd.read_csv(_catalog(catalog) / POINTS_FILE, keep_default_na=False)
    for c in ("sockets", "cores", "batch", "input_tokens", "output_tokens"):
        pts[c] = pts[c].astype(int)
    for c in ("ghz", "flops_per_cycle", "mem_bw_gbs", "value"):
        pts[c] = pts[c].astype(float)
    return pts


def llm_specs(catalog: str | Path | None = None) -> dict[str, rf.LLMSpec]:
    """Catalog LLMs plus the benchmark-only models of ``profile_measurements/llms.csv``."""
    folder = _catalog(catalog)
    out = rf.llm_specs(pd.read_csv(folder / "llms.csv"))
    out.update(rf.llm_specs(pd.read_csv(folder / BENCH_LLMS_FILE)))
    return out


def cpu_of(row: Any) -> rf.CPUSpec:
    """The measured machine of a point as one (possibly multi-socket) :class:`CPUSpec`."""
    return rf.CPUSpec(
        cpu=str(row.cpu_model),
        cores=int(row.cores),
        ghz=float(row.ghz),
        flops_per_cycle=float(row.flops_per_cycle),
        mem_bw_gbs=float(row.mem_bw_gbs),
        tdp_w=1.0,
        idle_w=0.0,
        dram_budget_gb=math.inf,
        isa_class=str(row.isa_class),
    )


def _prefill_flops(llm: rf.LLMSpec, batch: int, prompt: int) -> float:
    return (
        2.0 * llm.active_params * batch * prompt
        + 2.0 * llm.n_layers * prompt**2 * llm.d_model * batch
    )


def predict(row: Any, llm: rf.LLMSpec) -> float:
    """The roofline's value of ``row.metric`` for one point (current constants)."""
    cpu = cpu_of(row)
    b, s, o = int(row.batch), int(row.input_tokens), int(row.output_tokens)
    if row.metric == "prefill_tok_s":
        return b * s / (rf.cpu_prefill_ms(llm, cpu, b, s) / 1e3)
    if row.metric == "ttft_ms":
        return rf.cpu_prefill_ms(llm, cpu, b, s)
    if row.metric == "decode_tok_s":
        return b / (rf.cpu_decode_ms(llm, cpu, b, s + o / 2.0) / 1e3)
    if row.metric == "throughput_tok_s":
        t = rf.cpu_prefill_ms(llm, cpu, b, s) + o * rf.cpu_decode_ms(llm, cpu, b, s + o / 2.0)
        return b * o / (t / 1e3)
    raise ValueError(f"unknown metric {row.metric!r}")


def fit(points: pd.DataFrame, llms: dict[str, rf.LLMSpec]) -> dict[str, Any]:
    """Fit the CPU constants on the ``calibration`` rows (see the module docstring)."""
    cal = points[points["set"] == "calibration"]
    mfu: dict[str, float] = {}
    for cls in ISA_CLASSES:
        logs = []
        for r in rf.rows_of(cal[(cal["isa_class"] == cls)]):
            if r.metric not in ("prefill_tok_s", "ttft_ms"):
                continue
            llm, cpu = llms[r.llm], cpu_of(r)
            t_s = (
                r.batch * r.input_tokens / r.value if r.metric == "prefill_tok_s" else r.value / 1e3
            )
            achieved = _prefill_flops(llm, r.batch, r.input_tokens) / t_s
            logs.append(math.log(achieved / cpu.peak_flops))
        if logs:
            mfu[cls] = float(math.exp(sum(logs) / len(logs)))
    rows, rhs = [], []
    for r in rf.rows_of(cal[cal["metric"] == "decode_tok_s"]):
        llm, cpu = llms[r.llm], cpu_of(r)
        ctx = r.input_tokens + r.output_tokens / 2.0
        nbytes = llm.weight_bytes_touched(r.batch) + r.batch * ctx * llm.kv_bytes_per_token
        t = r.batch / r.value
        rows.append([nbytes / (cpu.mem_bw_gbs * rf.GB) / t, llm.n_layers * 1e-3 / t])
        rhs.append(1.0)
    u, x = _nnls(np.array(rows), np.array(rhs))
    return {"mfu": mfu, "mbu": 1.0 / u if u > 0 else math.inf, "decode_layer_ms": x}


def _nnls(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Exact two-variable non-negative least squares (enumerates the active sets)."""
    best: tuple[float, tuple[float, float]] | None = None
    for cols in itertools.chain.from_iterable(itertools.combinations(range(2), k) for k in (2, 1)):
        sol, *_ = np.linalg.lstsq(a[:, cols], b, rcond=None)
        if (sol < 0).any():
            continue
        full = np.zeros(2)
        full[list(cols)] = sol
        res = float(((a @ full - b) ** 2).sum())
        if best is None or res < best[0]:
            best = (res, (float(full[0]), float(full[1])))
    assert best is not None
    return best[1]


def rounded(fitted: dict[str, Any]) -> dict[str, Any]:
    """Constants rounded to 4 significant digits, as stored in :mod:`roofline`."""

    def r4(v: float) -> float:
        return float(f"{v:.4g}")

    return {
        "mfu": {k: r4(v) for k, v in fitted["mfu"].items()},
        "mbu": r4(fitted["mbu"]),
        "decode_layer_ms": r4(fitted["decode_layer_ms"]),
    }


def evaluate(points: pd.DataFrame, llms: dict[str, rf.LLMSpec]) -> pd.DataFrame:
    """Every point with the model's value and the relative error ``model / measured - 1``."""
    out = points.copy()
    out["model"] = [predict(r, llms[r.llm]) for r in rf.rows_of(points)]
    out["error"] = out["model"] / out["value"] - 1.0
    return out


def summary(ev: pd.DataFrame) -> pd.DataFrame:
    """Median / max absolute error per set and metric."""
    g = ev.assign(abs_err=ev["error"].abs()).groupby(["set", "metric"], sort=True)["abs_err"]
    return pd.DataFrame(
        {"points": g.size(), "median_abs_error": g.median(), "max_abs_error": g.max()}
    ).reset_index()


def report_markdown(ev: pd.DataFrame) -> str:
    """The summary and per-point tables of ``docs/profiles.md``."""
    lines = [
        "| set | metric | points | median abs. error | max abs. error |",
        "|---|---|---|---|---|",
    ]
    for r in rf.rows_of(summary(ev)):
        lines.append(
            f"| {r.set} | {r.metric} | {r.points} | {100 * r.median_abs_error:.0f}% "
            f"| {100 * r.max_abs_error:.0f}% |"
        )
    lines += [
        "",
        "| set | source | engine | CPU | ISA class | LLM | precision | batch | in / out "
        "| metric | measured | model | error |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rf.rows_of(ev.sort_values(["set", "source_id", "metric", "batch"], kind="stable")):
        lines.append(
            f"| {r.set} | [{r.source_id}]({r.source_url}) | {r.engine} | {r.cpu_model} "
            f"| {r.isa_class} | {r.llm} | {r.precision} | {r.batch} "
            f"| {r.input_tokens} / {r.output_tokens} | {r.metric} | {r.value:g} "
            f"| {r.model:.3g} | {100 * r.error:+.0f}% |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """CLI: print the fitted constants, or the docs error table with ``--report``."""
    ap = argparse.ArgumentParser(
        prog="python -m catalog_build fit-cpu",
        description="Fit / report the CPU roofline calibration",
    )
    ap.add_argument("--report", action="store_true", help="print the docs error table")
    ap.add_argument("--out", default=None, help="catalog folder (default: models)")
    args = ap.parse_args(argv)
    pts = load_points(args.out)
    llms = llm_specs(args.out)
    if args.report:
        sys.stdout.write(report_markdown(evaluate(pts, llms)) + "\n")
    else:
        sys.stdout.write(f"{rounded(fit(pts, llms))}\n")
    return 0


__all__ = ["evaluate", "fit", "load_points", "predict", "report_markdown", "summary"]

if __name__ == "__main__":
    raise SystemExit(main())
