"""Calibration and validation points for the serving profiles, and the roofline's error on them.

Run from the repository root::

    python -m catalog_build measurements [--shared DIR] [--out models]  # splitwise.csv
    python -m catalog_build measurements --report [--engine E]          # docs tables

Points live in ``models/profile_measurements/`` in one long format (one row per measured
number; columns :data:`POINT_COLUMNS`):

* ``splitwise.csv`` -- the Splitwise rows (splitwise-sim ``data/perf_model.csv``, MIT) that the
  catalog uses, averaged per key exactly as :func:`catalog_build.fit_roofline.load_splitwise`
  does (``ttft_ms``, ``tpot_ms``, and ``power_w`` where power was recorded); written by this
  module from the shared data folder, set ``calibration``.
* ``public_tables.csv`` -- hand-transcribed rows of published engine tables, each with its
  URL, title, engine, version, precision, GPU, TP, batch and lengths (see ``docs/profiles.md``).
* ``power.csv`` -- hand-transcribed GPU power readings at a stated batch, TP and lengths (same
  columns plus ``measured_w``, ``run_s`` and ``pad_s``: the published reading, the run time and
  the idle tail inside the measurement window, from which ``value`` is derived; see
  :func:`power_run_fraction`).
* ``llms.csv`` -- architecture numbers of the benchmark models that are not in the catalog
  (same columns as the catalog's ``llms.csv``).

Each row carries ``set``: ``calibration`` rows may be used to fit constants, ``validation``
rows never are; :func:`evaluate` predicts every row with the roofline and
:func:`summary` reports the median absolute relative error per set, metric and TP class
(``tp = 1`` / ``tp > 1``), and per GPU, TP and engine.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pandas as pd

from catalog_build import DEFAULT_OUT
from catalog_build.fit_roofline import fit_rows, load_splitwise
from ecoserve_opt.perf import roofline as rf
from ecoserve_opt.perf.engines import DEFAULT_ENGINE, ENGINES
from ecoserve_opt.perf.precision import apply_precision

FOLDER = Path("profile_measurements")
POINT_COLUMNS = [
    "set",
    "source_id",
    "source_url",
    "source_title",
    "engine",
    "engine_version",
    "llm",
    "gpu",
    "precision",
    "tp",
    "batch",
    "input_tokens",
    "output_tokens",
    "metric",
    "value",
    "note",
]
METRICS = ("ttft_ms", "tpot_ms", "throughput_tok_s_per_gpu", "power_frac_tdp")
SPLITWISE_URL = "https://github.com/Mutinifni/splitwise-sim/blob/main/data/perf_model.csv"
SPLITWISE_TITLE = (
    "splitwise-sim data/perf_model.csv (MIT), measurements of the Splitwise paper "
    "(Patel et al., ISCA 2024)"
)


def doc_markers(engine: str) -> tuple[str, str]:
    """Markers around an engine calibration's generated tables in ``docs/profiles.md``."""
    return (
        f"<!-- validation-summary:{engine}:begin -->",
        f"<!-- validation-summary:{engine}:end -->",
    )


def splitwise_points(
    shared: str | Path | None = None, catalog: str | Path | None = None
) -> pd.DataFrame:
    """The catalog's Splitwise keys (those that fit memory) as long-format points."""
    folder = _catalog(catalog)
    llms = rf.llm_specs(pd.read_csv(folder / "llms.csv"))
    gpus = rf.gpu_specs(pd.read_csv(folder / "gpus.csv"))
    meas = fit_rows(load_splitwise(shared), llms, gpus)
    rows = []
    for r in rf.rows_of(meas[meas["fits_memory"]]):
        base = {
            "set": "calibration",
            "source_id": "splitwise",
            "source_url": SPLITWISE_URL,
            "source_title": SPLITWISE_TITLE,
            "engine": "splitwise-profiling",
            "engine_version": "",
            "llm": r.llm,
            "gpu": r.gpu,
            "precision": "bf16",
            "tp": r.tp,
            "batch": r.batch,
            "input_tokens": r.prompt_tokens,
        }
        note = f"mean of {r.n_repeats} runs; engine not named in perf_model.csv; FP16"
        rows.append(
            {
                **base,
                "output_tokens": round(float(r.output_tokens), 3),
                "metric": "ttft_ms",
                "value": round(float(r.ttft_ms), 4),
                "note": note + "; prompt_time",
            }
        )
        rows.append(
            {
                **base,
                "output_tokens": round(float(r.output_tokens), 3),
                "metric": "tpot_ms",
                "value": round(float(r.tpot_ms), 4),
                "note": note + "; token_time",
            }
        )
        if r.power_status == "measured":
            rows.append(
                {
                    **base,
                    "output_tokens": round(float(r.power_output_tokens), 3),
                    "metric": "power_frac_tdp",
                    "value": round(float(r.power_frac), 6),
                    "note": note + "; average_power (fraction of TDP, runs with power recorded)",
                }
            )
    return pd.DataFrame(rows, columns=POINT_COLUMNS)


#: Files of ``profile_measurements/`` whose rows are points (in this order).
POINT_FILES = ("splitwise.csv", "public_tables.csv", "power.csv", "power_traces.csv")


def load_points(catalog: str | Path | None = None) -> pd.DataFrame:
    """All points of ``<catalog>/profile_measurements/`` (Splitwise, public tables, power)."""
    folder = _catalog(catalog) / FOLDER
    parts = [pd.read_csv(folder / f, keep_default_na=False)[POINT_COLUMNS] for f in POINT_FILES]
    pts = pd.concat(parts, ignore_index=True)
    for c in ("tp", "batch", "input_tokens"):
        pts[c] = pts[c].astype(int)
    pts["output_tokens"] = pts["output_tokens"].astype(float)
    pts["value"] = pts["value"].astype(float)
    return pts


def power_run_fraction(
    measured_w: float, run_s: float, pad_s: float, idle_w: float, tdp_w: float
) -> float:
    """Run-average power / TDP from a reading averaged over the run plus an idle tail.

    A probe that averages ``measured_w`` over ``run_s`` of serving followed by ``pad_s`` of
    sleep (the GPU at its idle power ``idle_w``) saw ``run_w run_s + idle_w pad_s`` joules, so
    ``run_w = (measured_w (run_s + pad_s) - idle_w pad_s) / run_s``.
    """
    if run_s <= 0 or pad_s < 0:
        raise ValueError(f"run_s must be > 0 and pad_s >= 0, got {run_s} and {pad_s}")
    return (measured_w * (run_s + pad_s) - idle_w * pad_s) / run_s / tdp_w


def _catalog(catalog: str | Path | None) -> Path:
    from ecoserve_opt.paths import catalog_dir

    return Path(catalog) if catalog is not None else catalog_dir()


def specs(catalog: str | Path | None = None) -> tuple[dict[str, rf.LLMSpec], dict[str, rf.GPUSpec]]:
    """LLM specs (catalog + benchmark-only models) and GPU specs of the catalog."""
    folder = _catalog(catalog)
    llms = rf.llm_specs(pd.read_csv(folder / "llms.csv"))
    llms.update(rf.llm_specs(pd.read_csv(folder / FOLDER / "llms.csv")))
    gpus = rf.gpu_specs(pd.read_csv(folder / "gpus.csv"))
    return llms, gpus


def predict(
    row: object,
    llms: dict[str, rf.LLMSpec],
    gpus: dict[str, rf.GPUSpec],
    cal: rf.Calibration = rf.CALIBRATION,
) -> tuple[float, bool]:
    """(model value of the row's metric, fits memory) for one point."""
    r = row
    llm, gpu = apply_precision(llms[r.llm], gpus[r.gpu], r.precision)  # type: ignore[attr-defined]
    est = rf.estimate_gpu(
        llm,
        gpu,
        int(r.tp),  # type: ignore[attr-defined]
        int(r.batch),  # type: ignore[attr-defined]
        int(r.input_tokens),  # type: ignore[attr-defined]
        float(r.output_tokens),  # type: ignore[attr-defined]
        cal,
    )
    metric = r.metric  # type: ignore[attr-defined]
    if metric == "ttft_ms":
        value = est.ttft_ms
    elif metric == "tpot_ms":
        value = est.tpot_ms
    elif metric == "throughput_tok_s_per_gpu":
        value = est.tokens_per_s / int(r.tp)  # type: ignore[attr-defined]
    elif metric == "power_frac_tdp":
        value = est.power_w / gpu.tdp_w
    else:
        raise ValueError(f"unknown metric {metric!r}")
    return value, est.fits


def evaluate(
    points: pd.DataFrame | None = None,
    cal: rf.Calibration | None = None,
    catalog: str | Path | None = None,
) -> pd.DataFrame:
    """Points with ``model``, ``err`` (model / measured - 1), ``fits`` and ``tp_class``.

    ``cal`` defaults to the calibration of :data:`~ecoserve_opt.perf.engines.DEFAULT_ENGINE`.
    """
    cal = ENGINES[DEFAULT_ENGINE].calibration if cal is None else cal
    pts = load_points(catalog) if points is None else points.copy()
    llms, gpus = specs(catalog)
    preds = [predict(r, llms, gpus, cal) for r in rf.rows_of(pts)]
    pts["model"] = [p[0] for p in preds]
    pts["fits"] = [p[1] for p in preds]
    pts["err"] = pts["model"] / pts["value"] - 1.0
    pts["tp_class"] = ["tp=1" if t == 1 else "tp>1" for t in pts["tp"]]
    pts["metric"] = pts["metric"].replace({"power_frac_tdp": "power"})
    return pts


def summary(ev: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Points, median and p90 absolute error and the share of pessimistic (slow) predictions."""
    g = ev.assign(abs_err=ev["err"].abs()).groupby(by, sort=True)
    out = g.agg(
        n=("abs_err", "size"),
        median_ape=("abs_err", "median"),
        p90_ape=("abs_err", lambda s: s.quantile(0.9)),
        median_err=("err", "median"),
    )
    return out.reset_index()


def summary_markdown(ev: pd.DataFrame) -> str:
    """The headline table: per set, metric and TP class."""
    s = summary(ev, ["set", "metric", "tp_class"])
    lines = [
        "| set | metric | TP | points | median abs. error | p90 abs. error | median signed error |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rf.rows_of(s):
        lines.append(
            f"| {r.set} | {r.metric} | {r.tp_class} | {r.n} | {r.median_ape:.1%} "
            f"| {r.p90_ape:.1%} | {r.median_err:+.1%} |"
        )
    return "\n".join(lines) + "\n"


def detail_markdown(ev: pd.DataFrame) -> str:
    """Per set, metric, GPU, precision, TP and engine."""
    s = summary(ev, ["set", "metric", "gpu", "precision", "tp", "engine"])
    lines = [
        "| set | metric | gpu | precision | TP | engine | points | median abs. error "
        "| median signed error |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rf.rows_of(s):
        lines.append(
            f"| {r.set} | {r.metric} | {r.gpu} | {r.precision} | {r.tp} | {r.engine} | {r.n} "
            f"| {r.median_ape:.1%} | {r.median_err:+.1%} |"
        )
    return "\n".join(lines) + "\n"


def report_markdown(ev: pd.DataFrame) -> str:
    """Both tables, as pasted between the markers in ``docs/profiles.md``."""
    return summary_markdown(ev) + "\n" + detail_markdown(ev)


def documented_summary(doc: str | Path, engine: str) -> pd.DataFrame:
    """The headline table between the engine's :func:`doc_markers` of a markdown file."""
    text = Path(doc).read_text(encoding="utf-8")
    begin, end = doc_markers(engine)
    i, j = text.index(begin), text.index(end)
    rows = []
    pat = re.compile(
        r"^\| (calibration|validation) \| (\S+) \| (tp=1|tp>1) \| (\d+) \| ([\d.]+)% \|", re.M
    )
    for m in pat.finditer(text[i:j]):
        rows.append(
            {
                "set": m.group(1),
                "metric": m.group(2),
                "tp_class": m.group(3),
                "n": int(m.group(4)),
                "median_ape": float(m.group(5)) / 100.0,
            }
        )
    return pd.DataFrame(rows)


def write_splitwise(shared: str | Path | None, out: str | Path) -> Path:
    """Write ``<out>/profile_measurements/splitwise.csv`` from the shared data folder."""
    folder = Path(out) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "splitwise.csv"
    splitwise_points(shared, out).to_csv(path, index=False, lineterminator="\n")
    return path


def add_engine_option(ap: argparse.ArgumentParser) -> None:
    """The ``--engine`` option of the catalog_build commands that evaluate a calibration."""
    ap.add_argument(
        "--engine",
        default=DEFAULT_ENGINE,
        choices=sorted(ENGINES),
        help="engine calibration to evaluate (default: %(default)s)",
    )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(
        prog="python -m catalog_build measurements",
        description="Profile calibration / validation points",
    )
    ap.add_argument("--shared", type=Path, default=None, help="shared data folder")
    ap.add_argument("--out", type=Path, default=None, help="catalog folder (default: models)")
    ap.add_argument("--report", action="store_true", help="print the error tables (markdown)")
    add_engine_option(ap)
    args = ap.parse_args(argv)
    out = args.out if args.out is not None else DEFAULT_OUT
    if args.report:
        cal = ENGINES[args.engine].calibration
        sys.stdout.write(report_markdown(evaluate(cal=cal, catalog=out)))
        return 0
    path = write_splitwise(args.shared, out)
    sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
