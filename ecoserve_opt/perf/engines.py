"""Serving-engine generations of the GPU roofline: one calibration per engine.

The roofline (:mod:`ecoserve_opt.perf.roofline`) has the same physics for every engine; what
differs between engine generations is how close they get to it (MFU, MBU), their fixed
per-layer costs and how their tensor-parallel all-reduces behave. Each :class:`Engine` below
is a calibration fitted on the calibration points of ``models/profile_measurements/`` that
were measured with that engine (``catalog_build.fit_engines``, the offline build tool), and
the catalog (``profiles.csv``) has a full grid of rows per engine (column ``engine``).
Scenarios pick one with ``profiles.engine`` (default :data:`DEFAULT_ENGINE`, the current one).

``tensorrt-llm`` -- the current engine generation (TensorRT-LLM, LMDeploy TurboMind) with
tensor-parallel communication from first principles (:mod:`ecoserve_opt.perf.tp_comm`): per
layer two all-reduces of the activations (Megatron-style TP), each moving ``2 (tp - 1) / tp``
of its ``tokens x d_model x 2`` bytes through every GPU's link in each direction at
``ALLREDUCE_BUS_EFFICIENCY`` x the datasheet's one-way bandwidth (half the bidirectional
NVLink / PCIe figure of :data:`~ecoserve_opt.perf.tp_comm.INTERCONNECT_GBS`, hence
``comm_slowdown = 2 / efficiency``), plus a fixed latency per all-reduce
(``ALLREDUCE_FIXED_MS``). Both communication constants are fitted on measured NCCL
all-reduce times (DGX A100 / DGX H100, TP 2-8, 2 KB-64 MB; microsoft/vidur's profiling data),
not on end-to-end serving points; PCIe GPUs (L40S, L4) get the same two constants with their
own datasheet bandwidth (no PCIe all-reduce measurement). The five efficiency / overhead
constants are fitted on the calibration points of TensorRT-LLM 0.5 / 0.6.1 (throughput, TTFT)
and LMDeploy TurboMind 0.1.0a1 (TPOT, throughput, TTFT of two of its four models); the power
fractions are refitted for this latency model on the same Splitwise A100 power readings
(no other power measurement with stated batch, TP and lengths was found).

``splitwise`` -- the original fit on the 100 Splitwise keys (``roofline.CALIBRATION``), with
Splitwise's measured rows; its engine is not named in the source table.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ecoserve_opt.perf.roofline import CALIBRATION, Calibration


@dataclass(frozen=True)
class Engine:
    """One engine generation: its calibration and where it comes from."""

    name: str
    version: str
    calibration: Calibration
    source: str
    #: ``profiles.power`` a scenario gets with this engine unless it sets one (POWER_MODES)
    power: str = "static-batch"


# Fit result of catalog_build.fit_engines.fit_engine() on the calibration points of the
# current-generation engines (TensorRT-LLM 0.5 / 0.6.1 tables, LMDeploy TurboMind 0.1.0a1
# llama2-7b / internlm-20b; docs/profiles.md); a test re-runs the fit and checks these.
TRTLLM_MFU_PREFILL = 0.6215
TRTLLM_MBU_DECODE = 0.9343
TRTLLM_MFU_DECODE = 0.536
TRTLLM_PREFILL_LAYER_OVERHEAD_MS = 0.2148
TRTLLM_DECODE_LAYER_OVERHEAD_MS = 0.053
# power fractions for this latency model, fitted on Splitwise's 41 A100 power readings
TRTLLM_POWER_PREFILL = 0.4302
TRTLLM_POWER_DECODE = 0.7513
#: One-way link bandwidth = bidirectional datasheet figure / 2 (ring all-reduce, no fit).
FIRST_PRINCIPLES_COMM_SLOWDOWN = 2.0
# Fit result of catalog_build.fit_engines.fit_allreduce() on the measured NCCL all-reduce
# times of models/profile_measurements/allreduce.csv (microsoft/vidur, DGX A100 / DGX H100,
# TP 2-8, 2 KB-64 MB): a fixed latency per all-reduce and the achieved share of the one-way
# datasheet link bandwidth; a test re-runs the fit.
ALLREDUCE_FIXED_MS = 0.02996
ALLREDUCE_BUS_EFFICIENCY = 0.5933

TRTLLM_CALIBRATION = Calibration(
    mfu_prefill=TRTLLM_MFU_PREFILL,
    mbu_decode=TRTLLM_MBU_DECODE,
    mfu_decode=TRTLLM_MFU_DECODE,
    prefill_layer_overhead_ms=TRTLLM_PREFILL_LAYER_OVERHEAD_MS,
    decode_layer_overhead_ms=TRTLLM_DECODE_LAYER_OVERHEAD_MS,
    decode_tp_layer_ms=0.0,
    comm_slowdown=FIRST_PRINCIPLES_COMM_SLOWDOWN / ALLREDUCE_BUS_EFFICIENCY,
    power_prefill=TRTLLM_POWER_PREFILL,
    power_decode=TRTLLM_POWER_DECODE,
    allreduce_step_ms=0.0,
    allreduce_fixed_ms=ALLREDUCE_FIXED_MS,
)

ENGINES: dict[str, Engine] = {
    "tensorrt-llm": Engine(
        "tensorrt-llm",
        "trtllm-0.5-0.6.1+lmdeploy-0.1.0a1",
        TRTLLM_CALIBRATION,
        "ecoserve_opt.perf.roofline with ecoserve_opt.perf.engines.TRTLLM_CALIBRATION, fitted "
        "on NVIDIA TensorRT-LLM performance tables v0.5/v0.6.1 and LMDeploy TurboMind "
        "v0.1.0a1 static-batch tables (models/profile_measurements); TP all-reduce from "
        "datasheet link bandwidth with latency and efficiency fitted on measured NCCL "
        "all-reduces (microsoft/vidur)",
        # current engines batch continuously (vLLM, SGLang, TensorRT-LLM in-flight batching)
        "continuous-batching",
    ),
    "splitwise": Engine(
        "splitwise",
        "splitwise-profiling",
        CALIBRATION,
        "ecoserve_opt.perf.roofline, calibrated on splitwise-sim perf_model.csv",
        # Splitwise's profiling rows are static batches
        "static-batch",
    ),
}
#: The engine scenarios get unless they set ``profiles.engine``.
DEFAULT_ENGINE = "tensorrt-llm"

#: Power modes of ``profiles.power``: the engines' own (static-batch) power constants, or the
#: continuous-batching ones below. A scenario that sets none gets its engine's ``power``
#: (:func:`ecoserve_opt.data.power_mode.power_mode`).
POWER_MODES = ("static-batch", "continuous-batching")
#: The power mode of the default engine (``ENGINES[DEFAULT_ENGINE].power``).
DEFAULT_POWER_MODE = "continuous-batching"
# (power_prefill, power_decode) per engine for current continuous-batching engines: fit result
# of catalog_build.power_fit_cb.fit() on the ML.ENERGY Benchmark v3 H100 readings (vLLM 0.11,
# TP 1 and 4) at an assumed mean input of 500 tokens (not published); same functional form
# and method as the static-batch fit; held out: powertrace-sim TP 4 (docs/profiles.md). A
# test re-runs the fit and checks these values.
CONTINUOUS_BATCHING_POWER: dict[str, tuple[float, float]] = {
    "tensorrt-llm": (1.427, 0.9267),
    "splitwise": (1.807, 1.062),
}


def power_calibration(engine: str, power: str = "static-batch") -> Calibration:
    """The calibration of ``engine`` with the power constants of the power mode ``power``."""
    cal = ENGINES[engine].calibration
    if power == "static-batch":
        return cal
    if power != "continuous-batching":
        raise ValueError(f"unknown power mode {power!r}; choose one of {', '.join(POWER_MODES)}")
    pi_p, pi_d = CONTINUOUS_BATCHING_POWER[engine]
    return replace(cal, power_prefill=pi_p, power_decode=pi_d)
