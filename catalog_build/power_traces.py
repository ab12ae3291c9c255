"""Held-out GPU power at TP > 1 from a raw vLLM power trace (powertrace-sim).

Run from the repository root, on a local copy of one run folder of the public repository
grantwilkins/powertrace-sim (``data/runs/<campaign>/<run>/`` with ``manifest.json``,
``power.csv`` and ``engine.csv``; nothing is downloaded)::

    python -m catalog_build power-traces --run DIR [--out models]

writes ``models/profile_measurements/power_traces.csv``: one validation point per window.

The run serves ShareGPT requests at a fixed rate through vLLM's continuous batching while
``nvidia-smi`` logs each GPU's ``power.draw`` every 0.25 s (``power.csv``, local wall time)
and the engine's Prometheus gauges are scraped every 0.25 s (``engine.csv``, Unix time). The
method, fixed before any error was computed (``docs/profiles.md``):

* windows ``W_k = [t0 + 60 + 40 k, t0 + 65 + 40 k)`` s, ``k = 0 .. 9``, ``t0`` the start of
  the load level in the manifest (the first 60 s, while the batch fills, are skipped);
* measured power of a window: the mean ``power.draw`` over every sample of every GPU of the
  run inside it (per-GPU power, the profiles' ``power_w``);
* batch: the mean of ``num_requests_running`` over the engine samples inside the window,
  rounded to an integer (at least 1);
* a window is dropped if any engine sample in it has ``num_requests_waiting > 0`` (the
  batch is then capped by the scheduler, not set by the arrivals), or if it holds fewer
  than :data:`MIN_SAMPLES` power samples per GPU or engine samples;
* lengths: the run's mean input and output tokens per request (manifest summary totals over
  completed requests), the same for every window.

A static batch of ``b`` requests and continuous batching at ``b`` requests in flight spend the
same share of time in prefill per request served, so the profiles' request-average power at
``(b, mean input, mean output)`` is compared with the window's power.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from catalog_build import DEFAULT_OUT
from catalog_build.profile_validation import FOLDER, POINT_COLUMNS, specs

FILE = "power_traces.csv"
#: Window rule (seconds after the level start): first offset, spacing, length, count.
OFFSET_S, STEP_S, LENGTH_S, N_WINDOWS = 60.0, 40.0, 5.0, 10
MIN_SAMPLES = 16
REPO_URL = "https://github.com/grantwilkins/powertrace-sim"
EXTRA_COLUMNS = [
    "measured_w",
    "mean_running",
    "window_start_epoch",
    "window_s",
    "power_samples",
    "engine_samples",
    "repo",
    "commit",
    "file",
    "method",
]
#: manifest model name -> catalog LLM; manifest hardware -> catalog GPU
LLMS = {"meta-llama/Llama-3.1-70B-Instruct": "llama3-70b"}
GPUS = {"H100": "h100-80gb"}


@dataclass(frozen=True)
class Run:
    """One powertrace-sim run folder, read into frames."""

    manifest: dict[str, object]
    power: pd.DataFrame  # epoch, gpu, power_w
    engine: pd.DataFrame  # epoch, running, waiting


def _local_to_epoch(stamps: pd.Series, utc_offset_s: float) -> pd.Series:
    """``YYYY/MM/DD HH:MM:SS.fff`` local wall time -> Unix seconds."""
    t = pd.to_datetime(stamps, format="%Y/%m/%d %H:%M:%S.%f")
    epoch0 = pd.Timestamp(datetime(1970, 1, 1, tzinfo=timezone.utc)).tz_localize(None)
    return (t - epoch0).dt.total_seconds() - utc_offset_s


def load_run(run_dir: str | Path) -> Run:
    """Read ``manifest.json``, ``power.csv`` and ``engine.csv`` of a run folder."""
    d = Path(run_dir)
    manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    clock = manifest["clock"]
    if clock.get("power_timestamp_basis") != "local_wall_time":
        raise ValueError(
            f"{d / 'manifest.json'}: clock.power_timestamp_basis must be local_wall_time"
        )
    p = pd.read_csv(d / "power.csv", skipinitialspace=True)
    power = pd.DataFrame(
        {
            "epoch": _local_to_epoch(p["timestamp"], float(clock["local_utc_offset_s"])),
            "gpu": p["index"].astype(int),
            "power_w": p["power.draw [W]"].astype(float),
        }
    )
    e = pd.read_csv(d / "engine.csv")
    engine = pd.DataFrame(
        {
            "epoch": e["timestamp"].astype(float),
            "running": e["num_requests_running"].astype(float),
            "waiting": e["num_requests_waiting"].astype(float),
        }
    )
    return Run(manifest, power, engine)


def _level(manifest: dict[str, object]) -> dict[str, object]:
    levels = manifest["probe"]["levels"]  # type: ignore[index]
    if len(levels) != 1:
        raise ValueError(f"expected one load level in the manifest, got {len(levels)}")
    return dict(levels[0])


def windows(run: Run) -> pd.DataFrame:
    """Every window of the rule with its measures and ``drop`` (empty if kept)."""
    level = _level(run.manifest)
    t0 = float(level["t_start_epoch"])  # type: ignore[arg-type]
    n_gpu = int(run.manifest["tp"])  # type: ignore[call-overload]
    rows = []
    for k in range(N_WINDOWS):
        a = t0 + OFFSET_S + STEP_S * k
        b = a + LENGTH_S
        pw = run.power[(run.power["epoch"] >= a) & (run.power["epoch"] < b)]
        en = run.engine[(run.engine["epoch"] >= a) & (run.engine["epoch"] < b)]
        per_gpu = pw.groupby("gpu").size()
        drop = ""
        if len(per_gpu) < n_gpu or (per_gpu < MIN_SAMPLES).any():
            drop = f"fewer than {MIN_SAMPLES} power samples per GPU"
        elif len(en) < MIN_SAMPLES:
            drop = f"fewer than {MIN_SAMPLES} engine samples"
        elif (en["waiting"] > 0).any():
            drop = "requests waiting"
        rows.append(
            {
                "k": k,
                "window_start_epoch": a,
                "measured_w": float(pw["power_w"].mean()) if len(pw) else float("nan"),
                "mean_running": float(en["running"].mean()) if len(en) else float("nan"),
                "power_samples": int(per_gpu.min()) if len(per_gpu) else 0,
                "engine_samples": len(en),
                "drop": drop,
            }
        )
    return pd.DataFrame(rows)


def points(
    run: Run, source_file: str, commit: str, catalog: str | Path | None = None
) -> pd.DataFrame:
    """The kept windows as validation points (``POINT_COLUMNS`` + :data:`EXTRA_COLUMNS`)."""
    m = run.manifest
    level = _level(m)
    summ = level["summary"]
    params = level["params"]
    done = float(summ["completed"])  # type: ignore[index]
    mean_in = float(summ["total_input_tokens"]) / done  # type: ignore[index]
    mean_out = float(summ["total_output_tokens"]) / done  # type: ignore[index]
    llm, gpu_name = LLMS[str(m["model"])], GPUS[str(m["hardware"])]
    _, gpus = specs(catalog)
    tdp = gpus[gpu_name].tdp_w
    server = m["server"]
    vllm = m["versions"]["vllm"]  # type: ignore[index]
    method = (
        f"window [t0+{OFFSET_S:g}+{STEP_S:g}k, +{LENGTH_S:g} s) of the load level; mean power.draw "
        "of all GPUs (nvidia-smi, 0.25 s) in the window; batch = round(mean "
        "num_requests_running, vLLM gauge, 0.25 s); lengths = run means (manifest totals / "
        "completed); dropped if any num_requests_waiting > 0"
    )
    note = (
        f"continuous batching (vLLM {vllm}, chunked prefill, max_num_seqs "
        f"{server['max_num_seqs']}, prefix caching off), {params['dataset']} at "  # type: ignore[index]
        f"{params['request_rate']} requests/s (Poisson), {int(done)} requests, mean "  # type: ignore[index]
        f"{mean_in:.1f} in / {mean_out:.1f} out tokens; run {m['run_id']}; BF16 weights "
        "(kv_cache_dtype auto); per-GPU power of the 4 GPUs serving"
    )
    rows = []
    for w in windows(run).to_dict("records"):
        if w["drop"]:
            continue
        measured_w, running = float(w["measured_w"]), float(w["mean_running"])
        rows.append(
            {
                "set": "validation",
                "source_id": "powertrace-sim",
                "source_url": f"{REPO_URL}/tree/{commit}/{source_file}",
                "source_title": (
                    "PowerTrace-Sim (grantwilkins) raw vLLM run: nvidia-smi power per GPU, "
                    "vLLM running-batch gauge, per-request lengths (no licence file; derived "
                    "numbers only)"
                ),
                "engine": "vllm",
                "engine_version": str(vllm),
                "llm": llm,
                "gpu": gpu_name,
                "precision": "bf16",
                "tp": int(m["tp"]),  # type: ignore[call-overload]
                "batch": max(1, round(running)),
                "input_tokens": round(mean_in),
                "output_tokens": round(mean_out, 1),
                "metric": "power_frac_tdp",
                "value": round(measured_w / tdp, 6),
                "note": note,
                "measured_w": round(measured_w, 3),
                "mean_running": round(running, 3),
                "window_start_epoch": round(float(w["window_start_epoch"]), 3),
                "window_s": LENGTH_S,
                "power_samples": int(w["power_samples"]),
                "engine_samples": int(w["engine_samples"]),
                "repo": "grantwilkins/powertrace-sim",
                "commit": commit,
                "file": source_file,
                "method": method,
            }
        )
    return pd.DataFrame(rows, columns=[*POINT_COLUMNS, *EXTRA_COLUMNS])


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(
        prog="python -m catalog_build power-traces",
        description="TP > 1 power validation points from a powertrace-sim run folder",
    )
    ap.add_argument("--run", type=Path, required=True, help="local copy of data/runs/<c>/<run>/")
    ap.add_argument(
        "--file",
        default="data/runs/h100_tp4_state_control/h100_validate_tp4_r4p0_b1p0_s0_1784435159",
        help="the run folder's path in the repository (cited)",
    )
    ap.add_argument(
        "--commit", default="96361efbde8bb01c3c44a8d705853574cc915e1a", help="repository commit"
    )
    ap.add_argument("--out", type=Path, default=None, help="catalog folder (default: models)")
    args = ap.parse_args(argv)
    out = args.out if args.out is not None else DEFAULT_OUT
    run = load_run(args.run)
    sys.stdout.write(windows(run).to_string(index=False) + "\n")
    pts = points(run, args.file, args.commit, out)
    path = Path(out) / FOLDER / FILE
    pts.to_csv(path, index=False, lineterminator="\n")
    sys.stdout.write(f"wrote {path} ({len(pts)} points)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
