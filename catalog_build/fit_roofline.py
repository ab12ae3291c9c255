"""Fit of the GPU roofline's calibration on the measured Splitwise table (offline build).

The estimator itself (:mod:`ecoserve_opt.perf.roofline`) is part of the package and holds the
fitted constants; this module reads the measured table from the shared field data
(:func:`load_splitwise`), re-fits the constants (:func:`fit_calibration`; method in the
roofline module's docstring and ``docs/profiles.md``) and reports the per-row error
(:func:`calibration_report`, :func:`report_markdown`: the table in ``docs/profiles.md``)::

    python -m catalog_build profiles --report     # the error table, markdown
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pandas as pd

from catalog_build import default_shared_dir
from ecoserve_opt.perf.roofline import (
    CALIBRATION,
    KV_MEMORY_FRACTION,
    PROFILE_OUTPUT_TOKENS,
    Calibration,
    GPUSpec,
    LLMSpec,
    _decode_units,
    _prefill_units,
    estimate_gpu,
    gpu_decode_ms,
    gpu_mem_gb,
    gpu_prefill_ms,
    gpu_specs,
    llm_specs,
    rows_of,
)

SPLITWISE_FILE = Path("perf") / "splitwise_perf_model.csv"
SPLITWISE_SOURCE = "splitwise-sim data/perf_model.csv (MIT)"
#: Splitwise hardware ids of the calibration (the power-capped ``h100-80gb-pcap`` variant is
#: not fitted on: its rows become catalog rows of that variant, see ``catalog_build.profiles``
#: and ``catalog_build.fit_power_cap``).
SPLITWISE_GPUS = ("a100-80gb", "h100-80gb")
#: A recorded average power below this share of its (model, GPU, TP) group median is treated
#: as a failed reading (the llama2-70b prompt-8192 rows read ~0.18 x TDP at every TP).
POWER_FAILED_FRACTION = 0.5


# --- measured table --------------------------------------------------------------------------
#: Splitwise's key columns under this package's names (both fits rename them so).
SPLITWISE_KEYS = {
    "model": "llm",
    "tensor_parallel": "tp",
    "batch_size": "batch",
    "prompt_size": "prompt_tokens",
}


def read_splitwise_raw(shared: str | Path | None = None) -> pd.DataFrame:
    """The Splitwise perf table as shipped (all rows, all hardware ids)."""
    root = Path(shared) if shared is not None else default_shared_dir()
    return pd.read_csv(root / SPLITWISE_FILE)


def load_splitwise(
    shared: str | Path | None = None, gpus: tuple[str, ...] = SPLITWISE_GPUS
) -> pd.DataFrame:
    """Measured Splitwise rows averaged per catalog key ``(llm, gpu, tp, batch, prompt)``.

    Columns: ``llm, gpu, tp, batch, prompt_tokens, output_tokens`` (mean ``token_size``),
    ``ttft_ms`` (mean ``prompt_time``), ``tpot_ms`` (mean ``token_time``), ``n_repeats``,
    ``power_frac`` (mean ``average_power`` over the rows where it was recorded, i.e. > 0;
    fraction of TDP), ``power_output_tokens`` (mean ``token_size`` of those rows) and
    ``power_status``: ``measured``, ``not recorded`` (all zero) or ``failed reading`` (below
    ``POWER_FAILED_FRACTION`` x the median of its (llm, gpu, tp) group). ``gpus``: the
    hardware ids kept (the calibration's by default).
    """
    raw = read_splitwise_raw(shared)
    raw = raw[raw["hardware"].isin(gpus)].copy()
    raw = raw.rename(columns={**SPLITWISE_KEYS, "hardware": "gpu"})
    key = ["llm", "gpu", "tp", "batch", "prompt_tokens"]
    out = raw.groupby(key, sort=True).agg(
        output_tokens=("token_size", "mean"),
        ttft_ms=("prompt_time", "mean"),
        tpot_ms=("token_time", "mean"),
        n_repeats=("prompt_time", "size"),
    )
    rec = raw[raw["average_power"] > 0].groupby(key, sort=True)
    out["power_frac"] = rec["average_power"].mean()
    out["power_output_tokens"] = rec["token_size"].mean()
    out = out.reset_index()
    med = out.groupby(["llm", "gpu", "tp"])["power_frac"].transform("median")
    status = np.where(out["power_frac"].isna(), "not recorded", "measured")
    status = np.where(
        out["power_frac"].notna() & (out["power_frac"] < POWER_FAILED_FRACTION * med),
        "failed reading",
        status,
    )
    out["power_status"] = status
    out["tp"] = out["tp"].astype(int)
    out["batch"] = out["batch"].astype(int)
    out["prompt_tokens"] = out["prompt_tokens"].astype(int)
    out["n_repeats"] = out["n_repeats"].astype(int)
    return out


# --- fitting ---------------------------------------------------------------------------------
def _nnls(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Exact non-negative least squares by enumerating column subsets (few columns)."""
    n = a.shape[1]
    best_res, best = math.inf, np.zeros(n)
    for k in range(1, n + 1):
        for cols in itertools.combinations(range(n), k):
            sub = a[:, cols]
            x, *_ = np.linalg.lstsq(sub, y, rcond=None)
            if (x < 0).any():
                continue
            res = float(((sub @ x - y) ** 2).sum())
            if res < best_res - 1e-15:
                best_res = res
                best = np.zeros(n)
                best[list(cols)] = x
    return best


def sig(x: float, digits: int = 4) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    return float(f"{x:.{digits}g}")


def _inv(c: float) -> float:
    return math.inf if c <= 0 else 1.0 / c


def fit_rows(
    measured: pd.DataFrame, llms: dict[str, LLMSpec], gpus: dict[str, GPUSpec]
) -> pd.DataFrame:
    rows = measured[measured["llm"].isin(llms) & measured["gpu"].isin(gpus)].copy()
    fits = [
        gpu_mem_gb(llms[r.llm], r.tp, r.batch, r.prompt_tokens + r.output_tokens)
        <= KV_MEMORY_FRACTION * gpus[r.gpu].memory_gb
        for r in rows_of(rows)
    ]
    rows["fits_memory"] = fits
    return rows


def fit_calibration(
    measured: pd.DataFrame,
    llms: dict[str, LLMSpec],
    gpus: dict[str, GPUSpec],
    iterations: int = 20,
    round_digits: int | None = 4,
) -> Calibration:
    """Least-squares fit of :class:`Calibration` on measured rows that fit memory."""
    rows = fit_rows(measured, llms, gpus)
    rows = rows[rows["fits_memory"]].reset_index(drop=True)
    pre_u = np.array(
        [
            _prefill_units(llms[r.llm], gpus[r.gpu], r.tp, r.batch, r.prompt_tokens)
            for r in rows_of(rows)
        ]
    )
    dec_u = np.array(
        [
            _decode_units(
                llms[r.llm], gpus[r.gpu], r.tp, r.batch, r.prompt_tokens + r.output_tokens / 2.0
            )
            for r in rows_of(rows)
        ]
    )
    n_l = np.array([llms[r].n_layers for r in rows["llm"]], dtype=float)
    lg = np.log2(rows["tp"].to_numpy(float))
    ttft = rows["ttft_ms"].to_numpy(float)
    tpot = rows["tpot_ms"].to_numpy(float)

    kappa, c_mem = 0.0, 1.0
    mfu_p, tau_p = 0.5, 0.0
    c_comp = tau_d = tau_tp = 0.0
    grid = np.round(np.arange(0.2, 1.0 + 1e-9, 0.0025), 6)
    for _ in range(iterations):
        # decode: tpot - kappa AR = c_mem T_mem + c_comp T_flop + tau_d L + tau_tp L log2(tp)
        a = np.column_stack([dec_u[:, 0], dec_u[:, 1], n_l, n_l * lg]) / tpot[:, None]
        y = (tpot - kappa * dec_u[:, 2]) / tpot
        c_mem, c_comp, tau_d, tau_tp = (float(v) for v in _nnls(a, y))
        # prefill: grid over mfu, NNLS for (kappa, tau_p)
        best = (math.inf, mfu_p, kappa, tau_p)
        b = np.column_stack([pre_u[:, 2], n_l]) / ttft[:, None]
        for m in grid:
            core = np.maximum(pre_u[:, 0] / m, pre_u[:, 1] * c_mem)
            yy = (ttft - core) / ttft
            x = _nnls(b, yy)
            res = float(((b @ x - yy) ** 2).sum())
            if res < best[0] - 1e-15:
                best = (res, float(m), float(x[0]), float(x[1]))
        _, mfu_p, kappa_new, tau_p = best
        done = abs(kappa_new - kappa) <= 1e-10 * max(1.0, kappa)
        kappa = kappa_new
        if done:
            break

    cal = Calibration(
        mfu_prefill=mfu_p,
        mbu_decode=_inv(c_mem),
        mfu_decode=_inv(c_comp),
        prefill_layer_overhead_ms=float(tau_p),
        decode_layer_overhead_ms=float(tau_d),
        decode_tp_layer_ms=float(tau_tp),
        comm_slowdown=float(kappa),
        power_prefill=0.0,
        power_decode=0.0,
    )
    if round_digits:
        cal = Calibration(**{k: sig(v, round_digits) for k, v in asdict(cal).items()})

    # power: dynamic fraction = pi_p busy_p / T + pi_d o busy_d / T (A100 rows with power)
    pw = rows[rows["power_status"] == "measured"].reset_index(drop=True)
    feats, target = [], []
    for r in rows_of(pw):
        llm, gpu = llms[r.llm], gpus[r.gpu]
        o = float(r.power_output_tokens)
        t_p, busy_p = gpu_prefill_ms(llm, gpu, r.tp, r.batch, r.prompt_tokens, cal)
        t_d, busy_d = gpu_decode_ms(llm, gpu, r.tp, r.batch, r.prompt_tokens + o / 2.0, cal)
        total = t_p + o * t_d
        feats.append([busy_p / total, o * busy_d / total])
        target.append((r.power_frac * gpu.tdp_w - gpu.idle_w) / (gpu.tdp_w - gpu.idle_w))
    fa, ty = np.array(feats), np.array(target)
    pi_p, pi_d = _nnls(fa / ty[:, None], np.ones(len(ty)))
    cal = replace(cal, power_prefill=float(pi_p), power_decode=float(pi_d))
    if round_digits:
        cal = replace(
            cal,
            power_prefill=sig(cal.power_prefill, round_digits),
            power_decode=sig(cal.power_decode, round_digits),
        )
    return cal


def _catalog_tables(catalog: str | Path | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    from ecoserve_opt.paths import catalog_dir

    folder = Path(catalog) if catalog is not None else catalog_dir()
    return pd.read_csv(folder / "llms.csv"), pd.read_csv(folder / "gpus.csv")


def calibration_report(
    measured: pd.DataFrame | None = None,
    llms: pd.DataFrame | dict[str, LLMSpec] | None = None,
    gpus: pd.DataFrame | dict[str, GPUSpec] | None = None,
    cal: Calibration = CALIBRATION,
    shared: str | Path | None = None,
    catalog: str | Path | None = None,
) -> pd.DataFrame:
    """Per-row error of the roofline against the measured Splitwise keys.

    Defaults: measured rows from ``shared`` (``../shared/data``), specs from the catalog
    folder ``catalog`` (the bundled ``models/``). Errors are signed relative errors
    (model / measured - 1). ``fits_memory`` marks the keys that pass the catalog memory rule
    (the others are left out of ``profiles.csv`` and of the fit).
    """
    if measured is None:
        measured = load_splitwise(shared)
    if llms is None or gpus is None:
        l_df, g_df = _catalog_tables(catalog)
        llms = l_df if llms is None else llms
        gpus = g_df if gpus is None else gpus
    lspec = llms if isinstance(llms, dict) else llm_specs(llms)
    gspec = gpus if isinstance(gpus, dict) else gpu_specs(gpus)
    rows = fit_rows(measured, lspec, gspec).reset_index(drop=True)
    recs = []
    for r in rows_of(rows):
        llm, gpu = lspec[r.llm], gspec[r.gpu]
        est = estimate_gpu(llm, gpu, r.tp, r.batch, r.prompt_tokens, r.output_tokens, cal)
        measured_power = r.power_status == "measured"
        # power is compared at the output length of the runs whose power was recorded
        o = r.power_output_tokens if measured_power else PROFILE_OUTPUT_TOKENS
        p_est = estimate_gpu(llm, gpu, r.tp, r.batch, r.prompt_tokens, o, cal)
        recs.append(
            {
                "ttft_model_ms": est.ttft_ms,
                "tpot_model_ms": est.tpot_ms,
                "power_w": r.power_frac * gpu.tdp_w if measured_power else math.nan,
                "power_model_w": p_est.power_w,
            }
        )
    rep = pd.concat([rows, pd.DataFrame(recs)], axis=1)
    rep["ttft_err"] = rep["ttft_model_ms"] / rep["ttft_ms"] - 1.0
    rep["tpot_err"] = rep["tpot_model_ms"] / rep["tpot_ms"] - 1.0
    rep["power_err"] = rep["power_model_w"] / rep["power_w"] - 1.0
    cols = [
        "llm",
        "gpu",
        "tp",
        "batch",
        "prompt_tokens",
        "output_tokens",
        "n_repeats",
        "fits_memory",
        "ttft_ms",
        "ttft_model_ms",
        "ttft_err",
        "tpot_ms",
        "tpot_model_ms",
        "tpot_err",
        "power_status",
        "power_w",
        "power_model_w",
        "power_err",
    ]
    return rep[cols]


def error_summary(report: pd.DataFrame, only_fitting: bool = True) -> pd.DataFrame:
    """Median / p90 / max absolute relative error per quantity of a calibration report."""
    rep = report[report["fits_memory"]] if only_fitting else report
    out = {}
    for q in ("ttft", "tpot", "power"):
        e = rep[f"{q}_err"].abs().dropna()
        out[q] = {
            "n": len(e),
            "median_ape": float(e.median()),
            "p90_ape": float(e.quantile(0.9)),
            "max_ape": float(e.max()),
        }
    return pd.DataFrame(out).T


def report_markdown(report: pd.DataFrame) -> str:
    """Markdown of a calibration report: error summary, then one line per measured key."""
    lines = ["| quantity | keys | median abs. error | p90 abs. error | max abs. error |"]
    lines.append("|---|---|---|---|---|")
    for q, r in error_summary(report).iterrows():
        lines.append(
            f"| {q} | {int(r['n'])} | {r['median_ape']:.1%} | {r['p90_ape']:.1%} "
            f"| {r['max_ape']:.1%} |"
        )
    lines += [
        "",
        "| llm | gpu | tp | batch | prompt | ttft ms | model | err | tpot ms | model | err "
        "| power W | model | err |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def pct(x: float) -> str:
        return "" if pd.isna(x) else f"{x:+.0%}"

    def num(x: float, nd: int) -> str:
        return "" if pd.isna(x) else f"{x:.{nd}f}"

    for r in rows_of(report):
        note = "" if r.fits_memory else " (over memory limit, not in catalog)"
        power = num(r.power_w, 0) if r.power_status == "measured" else r.power_status
        lines.append(
            f"| {r.llm} | {r.gpu} | {r.tp} | {r.batch}{note} | {r.prompt_tokens} "
            f"| {num(r.ttft_ms, 1)} | {num(r.ttft_model_ms, 1)} | {pct(r.ttft_err)} "
            f"| {num(r.tpot_ms, 1)} | {num(r.tpot_model_ms, 1)} | {pct(r.tpot_err)} "
            f"| {power} | {num(r.power_model_w, 0)} | {pct(r.power_err)} |"
        )
    return "\n".join(lines) + "\n"
