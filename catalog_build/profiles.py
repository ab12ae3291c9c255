"""Build the LLM and serving-profile tables of the bundled catalog (``models/``).

Run from the repository root::

    python -m catalog_build profiles [--shared DIR] [--out models] [--report]

``--shared`` defaults to ``$ECOSERVE_SHARED_DATA`` if set, else ``../shared/data`` relative to
the repository root; ``--out`` to ``models`` in the repository root. It needs ``gpus.csv`` and
``hosts.csv`` in ``--out`` (written by :mod:`catalog_build.hardware`). Deterministic:
re-running on the same inputs reproduces the CSVs byte for byte.

Outputs (format: ``docs/catalog-format.md``; method: ``docs/profiles.md``):

* ``llms.csv`` -- architecture numbers of six LLMs from their model cards / papers
  (``catalog_build/specs/llms.csv``, a source per row), ``bytes_per_param`` 2 (FP16/BF16),
  ``weights_gb = params_b x 2``,
  ``kv_bytes_per_token = 2 x n_layers x n_kv_heads x head_dim x 2``. Two extra columns,
  ``n_experts`` and ``experts_per_token``, let the roofline count the expert weights a
  mixture-of-experts decode step actually reads.
* ``profiles.csv`` -- (1) the measured Splitwise rows (splitwise-sim ``data/perf_model.csv``,
  MIT), averaged per key over repeats (and, for prompt 512 / batch 1, over the 128..8192
  ``token_size`` runs), for ``a100-80gb``, ``h100-80gb`` and the power-capped
  ``h100-80gb-pcap`` (:mod:`ecoserve_opt.perf.power_cap`): ``ttft_ms = prompt_time``,
  ``tpot_ms = token_time``, ``power_w = average_power x tdp_w`` where the power was
  recorded, else the roofline's power (said so in ``source``), ``method = measured``; keys
  that break the catalog memory rule (llama2-70b TP 2 at batch 32 / 64) are left out. (2)
  roofline rows (:mod:`ecoserve_opt.perf.roofline`, ``method = roofline``) for every
  llm x gpu x tp {1,2,4,8} x batch {1,...,64} x prompt {128,...,4096} that fits memory
  and has no measured row; (1) and (2) are ``engine = splitwise``. (3) the same grid for
  every other engine of :data:`ecoserve_opt.perf.engines.ENGINES` (``tensorrt-llm``) from
  its own calibration. Column ``engine`` says which engine generation a row represents.
* ``profile_measurements/power_cap.csv`` -- the capped and uncapped H100 rows of the same
  Splitwise file side by side, per key (:func:`catalog_build.fit_power_cap.pairs`).
* ``cpu_profiles.csv`` -- CPU-socket roofline rows for every llm x host CPU x batch
  {1,4,16,32} x prompt {128,512,1024,2048} that fits the socket's DRAM budget; extra column
  ``mem_gb`` (weights + KV cache the row needs in the socket's DRAM).
* ``licenses/splitwise-sim-LICENSE-MIT.txt`` and ``traces/`` (the two Azure LLM traces and
  their CC-BY-4.0 licence, see :mod:`ecoserve_opt.workload`; :func:`copy_traces`).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import pandas as pd

from catalog_build import DEFAULT_OUT, SPECS_DIR, default_shared_dir
from catalog_build.fit_power_cap import pairs as cap_pairs
from catalog_build.fit_roofline import SPLITWISE_SOURCE, calibration_report, load_splitwise
from catalog_build.fit_roofline import report_markdown as calibration_markdown
from catalog_build.specs import read_table
from ecoserve_opt.perf import roofline as rf
from ecoserve_opt.perf.engines import ENGINES
from ecoserve_opt.perf.power_cap import POWER_CAPS
from ecoserve_opt.workload import TRACE_FILES, TRACE_LICENSE

TPS = (1, 2, 4, 8)
BATCHES = (1, 2, 4, 8, 16, 32, 64)
PROMPTS = (128, 512, 1024, 2048, 4096)
CPU_BATCHES = (1, 4, 16, 32)
CPU_PROMPTS = (128, 512, 1024, 2048)
BYTES_PER_PARAM = 2

DERIVED_NOTE = "weights_gb = params_b x 2 B; kv = 2 x layers x kv_heads x head_dim x 2 B"
#: Architecture numbers of the catalog's LLMs, one row each with its source (model cards,
#: papers). Parameter counts are the checkpoints' totals (embeddings included).
LLMS_SPEC = "llms.csv"
LLM_INTS = ("n_layers", "d_model", "n_kv_heads", "head_dim", "n_experts", "experts_per_token")


ROOFLINE_SOURCE = ENGINES["splitwise"].source
#: Engine of the measured Splitwise rows (and of the roofline rows fitted on them).
SPLITWISE_ENGINE = "splitwise"
CPU_SOURCE = (
    "ecoserve_opt.perf.roofline CPU roofline calibrated on models/profile_measurements/cpu.csv "
    "(CPU_MBU {mbu}, CPU_MFU[{cls}] {mfu}, CPU_DECODE_LAYER_MS {lay}; power: {pw} x TDP at "
    "full load, 100% point of the GreenSKU CPU.yaml load-power curve), docs/profiles.md; "
    "specs from llms.csv, hosts.csv and {sku}: {isa}"
)


def llms_table(folder: Path = SPECS_DIR) -> pd.DataFrame:
    """``llms.csv`` as a DataFrame, from the spec table ``catalog_build/specs/llms.csv``."""
    rows = []
    for r in read_table(LLMS_SPEC, folder):
        p, n_l, kvh, hd = (
            r.num("params_b"),
            r.int("n_layers"),
            r.int("n_kv_heads"),
            r.int("head_dim"),
        )
        rows.append(
            {
                "llm": r.text("llm"),
                "family": r.text("family"),
                "params_b": p,
                "active_params_b": r.num("active_params_b"),
                "n_layers": n_l,
                "d_model": r.int("d_model"),
                "n_kv_heads": kvh,
                "head_dim": hd,
                "bytes_per_param": BYTES_PER_PARAM,
                "weights_gb": round(p * BYTES_PER_PARAM, 3),
                "kv_bytes_per_token": 2 * n_l * kvh * hd * BYTES_PER_PARAM,
                "n_experts": r.int("n_experts"),
                "experts_per_token": r.int("experts_per_token"),
                "source": f"{r.text('source')}; {DERIVED_NOTE}",
            }
        )
    return pd.DataFrame(rows)


def copy_traces(shared: str | Path, out: str | Path) -> list[Path]:
    """Copy the two trace CSVs and their licence from ``shared/traces`` to ``out/traces``."""
    src = Path(shared) / "traces"
    dst = Path(out) / "traces"
    dst.mkdir(parents=True, exist_ok=True)
    written = []
    for fname in [*TRACE_FILES.values(), TRACE_LICENSE]:
        target = dst / fname
        shutil.copyfile(src / fname, target)
        written.append(target)
    return written


def measured_profiles(
    measured: pd.DataFrame,
    llms: dict[str, rf.LLMSpec],
    gpus: dict[str, rf.GPUSpec],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(catalog rows, excluded keys) from :func:`catalog_build.fit_roofline.load_splitwise`."""
    rows, dropped = [], []
    for r in rf.rows_of(measured):
        llm, gpu = llms[r.llm], gpus[r.gpu]
        mem = rf.gpu_mem_gb(llm, r.tp, r.batch, r.prompt_tokens + r.output_tokens)
        key = {"llm": r.llm, "gpu": r.gpu, "tp": r.tp, "batch": r.batch}
        key["prompt_tokens"] = r.prompt_tokens
        if mem > rf.KV_MEMORY_FRACTION * gpu.memory_gb:
            dropped.append({**key, "mem_gb": round(mem, 3)})
            continue
        src = (
            f"{SPLITWISE_SOURCE}: mean of {r.n_repeats} runs (token_size "
            f"{r.output_tokens:.0f} on average); ttft_ms = prompt_time, tpot_ms = token_time"
        )
        if r.power_status == "measured":
            power = r.power_frac * gpu.tdp_w
            src += "; power_w = average_power x tdp_w (gpus.csv)"
        else:
            est = rf.estimate_gpu(llm, gpu, r.tp, r.batch, r.prompt_tokens)
            power = est.power_w
            src += f"; power {r.power_status} in the source, power_w from the roofline model"
        if r.gpu in POWER_CAPS:
            cap = POWER_CAPS[r.gpu]
            src += (
                f" of the capped variant (ecoserve_opt.perf.power_cap: each phase's power "
                f"bounded by the {cap.cap_w:.0f} W cap, not measured); in the source "
                f"prompt_time is {cap.prefill_slowdown:g} x and token_time "
                f"{cap.decode_slowdown:g} x the uncapped {cap.base} row (Splitwise's "
                "per-phase model of the cap, catalog_build.fit_power_cap)"
            )
        rows.append(
            {
                **key,
                "ttft_ms": round(float(r.ttft_ms), 4),
                "tpot_ms": round(float(r.tpot_ms), 4),
                "power_w": round(float(power), 2),
                "method": "measured",
                "engine": SPLITWISE_ENGINE,
                "source": src,
            }
        )
    return pd.DataFrame(rows), pd.DataFrame(dropped)


def roofline_profiles(
    llms: dict[str, rf.LLMSpec],
    gpus: dict[str, rf.GPUSpec],
    skip: set[tuple[str, str, int, int, int]],
    engine: str = SPLITWISE_ENGINE,
) -> pd.DataFrame:
    """Roofline rows of ``engine`` for the full grid that fit memory, except keys in ``skip``."""
    eng = ENGINES[engine]
    rows = []
    for name, llm in llms.items():
        for gid, gpu in gpus.items():
            for tp in TPS:
                for b in BATCHES:
                    for s in PROMPTS:
                        if (name, gid, tp, b, s) in skip:
                            continue
                        est = rf.estimate_gpu(llm, gpu, tp, b, s, cal=eng.calibration)
                        if not est.fits:
                            continue
                        rows.append(
                            {
                                "llm": name,
                                "gpu": gid,
                                "tp": tp,
                                "batch": b,
                                "prompt_tokens": s,
                                "ttft_ms": round(est.ttft_ms, 4),
                                "tpot_ms": round(est.tpot_ms, 4),
                                "power_w": round(est.power_w, 2),
                                "method": "roofline",
                                "engine": engine,
                                "source": eng.source,
                            }
                        )
    return pd.DataFrame(rows)


def cpu_profiles(llms: dict[str, rf.LLMSpec], cpus: dict[str, rf.CPUSpec]) -> pd.DataFrame:
    """CPU-socket roofline rows that fit the socket's DRAM budget."""
    rows = []
    for name, llm in llms.items():
        for cid, cpu in cpus.items():
            arch = rf.CPU_ARCH[cid]
            src = CPU_SOURCE.format(
                mbu=rf.CPU_MBU,
                cls=arch.isa_class,
                mfu=rf.CPU_MFU[arch.isa_class],
                lay=rf.CPU_DECODE_LAYER_MS,
                pw=rf.CPU_LOAD_POWER_FRACTION,
                sku=arch.sku,
                isa=arch.isa,
            )
            for b in CPU_BATCHES:
                for s in CPU_PROMPTS:
                    est = rf.estimate_cpu(llm, cpu, b, s)
                    if not est.fits:
                        continue
                    rows.append(
                        {
                            "llm": name,
                            "cpu": cid,
                            "batch": b,
                            "prompt_tokens": s,
                            "ttft_ms": round(est.ttft_ms, 4),
                            "tpot_ms": round(est.tpot_ms, 4),
                            "power_w": round(est.power_w, 2),
                            "mem_gb": round(est.mem_gb, 3),
                            "method": "roofline",
                            "source": src,
                        }
                    )
    return pd.DataFrame(rows)


def build(shared: Path, out: Path) -> dict[str, Path | int]:
    """Write ``llms.csv``, ``profiles.csv``, ``cpu_profiles.csv``, licence and traces."""
    out.mkdir(parents=True, exist_ok=True)
    llms_df = llms_table()
    _write(llms_df, out / "llms.csv")
    llms = rf.llm_specs(pd.read_csv(out / "llms.csv"))
    gpus = rf.gpu_specs(pd.read_csv(out / "gpus.csv"))
    cpus = rf.cpu_specs(pd.read_csv(out / "hosts.csv"))

    measured = pd.concat(
        [load_splitwise(shared), load_splitwise(shared, tuple(POWER_CAPS))], ignore_index=True
    )
    meas, dropped = measured_profiles(measured, llms, gpus)
    all_keys = {
        (r.llm, r.gpu, int(r.tp), int(r.batch), int(r.prompt_tokens)) for r in rf.rows_of(measured)
    }
    roof = roofline_profiles(llms, gpus, all_keys)
    parts = [meas, roof]
    for engine in ENGINES:
        if engine != SPLITWISE_ENGINE:
            parts.append(roofline_profiles(llms, gpus, set(), engine))
    prof = pd.concat(parts, ignore_index=True)
    prof = prof.sort_values(["engine", "llm", "gpu", "tp", "batch", "prompt_tokens"], kind="stable")
    _write(prof, out / "profiles.csv")
    cpu = cpu_profiles(llms, cpus)
    _write(cpu, out / "cpu_profiles.csv")
    (out / "profile_measurements").mkdir(parents=True, exist_ok=True)
    _write(cap_pairs(shared), out / "profile_measurements" / "power_cap.csv")

    lic = out / "licenses"
    lic.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(
        Path(shared) / "perf" / "LICENSE-splitwise-sim-MIT.txt",
        lic / "splitwise-sim-LICENSE-MIT.txt",
    )
    copy_traces(shared, out)
    return {
        "profiles_rows": len(prof),
        "measured_rows": len(meas),
        "measured_dropped": len(dropped),
        "cpu_rows": len(cpu),
        "out": out,
    }


def _write(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, lineterminator="\n")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(
        prog="python -m catalog_build profiles",
        description="Build llms.csv, profiles.csv, cpu_profiles.csv",
    )
    ap.add_argument("--shared", type=Path, default=None, help="shared data folder")
    ap.add_argument("--out", type=Path, default=None, help="catalog folder (default: models)")
    ap.add_argument(
        "--report",
        action="store_true",
        help="only print the calibration error table (markdown) for docs/profiles.md",
    )
    args = ap.parse_args(argv)
    shared = args.shared if args.shared is not None else default_shared_dir()
    out = args.out if args.out is not None else DEFAULT_OUT
    if args.report:
        rep = calibration_report(shared=shared, catalog=out)
        sys.stdout.write(calibration_markdown(rep))
        return 0
    info = build(shared, out)
    for k, v in info.items():
        sys.stdout.write(f"{k}: {v}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
