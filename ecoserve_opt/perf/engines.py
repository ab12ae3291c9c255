"""Serving-engine generations of the GPU roofline: one calibration per engine.

The roofline (:mod:`ecoserve_opt.perf.roofline`) has the same physics for every engine; what
differs between engine generations is how close they get to it (MFU, MBU), their fixed
per-layer costs and how their tensor-parallel all-reduces behave. Each :class:`Engine` below
is a calibration fitted on the calibration points of ``models/profile_measurements/`` that
were measured with that engine (``catalog_build.fit_engines``, the offline build tool), and
the catalog (``profiles.csv``) has a full grid of rows per engine (column ``engine``).
Scenarios pick one with ``profiles.engine`` (default :data:`DEFAULT_ENGINE`, the current one).

``tensorrt-llm`` -- tensor-parallel communication from first principles: per layer two
ring all-reduces of the activations (Megatron-style TP), each moving ``2 (tp - 1) / tp`` of
its ``tokens x d_model x 2`` bytes through every GPU's link in each direction at the
datasheet's one-way bandwidth (half the bidirectional NVLink / PCIe figure of
:data:`~ecoserve_opt.perf.roofline.INTERCONNECT_GBS`, hence ``comm_slowdown = 2`` on the
roofline's bidirectional all-reduce time), plus ``2 (tp - 1)`` step latencies per all-reduce
(``allreduce_step_ms``, fitted). No per-interconnect factor is fitted: PCIe GPUs (L40S) get
the same physics with their own datasheet bandwidth. Fitted on the TensorRT-LLM 0.5 / 0.6.1
tables; the power fractions are the Splitwise ones (no other power measurement).

``splitwise`` -- the original fit on the 100 Splitwise keys (``roofline.CALIBRATION``), with
Splitwise's measured rows; its engine is not named in the source table.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecoserve_opt.perf.roofline import CALIBRATION, Calibration


@dataclass(frozen=True)
class Engine:
    """One engine generation: its calibration and where it comes from."""

    name: str
    version: str
    calibration: Calibration
    source: str


# Fit result of catalog_build.fit_engines.fit_engine() on the TensorRT-LLM calibration
# points (docs/profiles.md); a test re-runs the fit and checks it reproduces these.
TRTLLM_MFU_PREFILL = 0.6241
TRTLLM_MBU_DECODE = 1.0
TRTLLM_MFU_DECODE = 0.5444
TRTLLM_PREFILL_LAYER_OVERHEAD_MS = 0.1699
TRTLLM_DECODE_LAYER_OVERHEAD_MS = 0.1975
TRTLLM_ALLREDUCE_STEP_MS = 0.00809
#: One-way link bandwidth = bidirectional datasheet figure / 2 (ring all-reduce, no fit).
FIRST_PRINCIPLES_COMM_SLOWDOWN = 2.0

TRTLLM_CALIBRATION = Calibration(
    mfu_prefill=TRTLLM_MFU_PREFILL,
    mbu_decode=TRTLLM_MBU_DECODE,
    mfu_decode=TRTLLM_MFU_DECODE,
    prefill_layer_overhead_ms=TRTLLM_PREFILL_LAYER_OVERHEAD_MS,
    decode_layer_overhead_ms=TRTLLM_DECODE_LAYER_OVERHEAD_MS,
    decode_tp_layer_ms=0.0,
    comm_slowdown=FIRST_PRINCIPLES_COMM_SLOWDOWN,
    power_prefill=CALIBRATION.power_prefill,
    power_decode=CALIBRATION.power_decode,
    allreduce_step_ms=TRTLLM_ALLREDUCE_STEP_MS,
)

ENGINES: dict[str, Engine] = {
    "tensorrt-llm": Engine(
        "tensorrt-llm",
        "0.5-0.6.1",
        TRTLLM_CALIBRATION,
        "ecoserve_opt.perf.roofline with ecoserve_opt.perf.engines.TRTLLM_CALIBRATION, fitted "
        "on NVIDIA TensorRT-LLM performance tables v0.5/v0.6.1 (models/profile_measurements); "
        "TP all-reduce from datasheet link bandwidth",
    ),
    "splitwise": Engine(
        "splitwise",
        "splitwise-profiling",
        CALIBRATION,
        "ecoserve_opt.perf.roofline, calibrated on splitwise-sim perf_model.csv",
    ),
}
#: The engine scenarios get unless they set ``profiles.engine``.
DEFAULT_ENGINE = "tensorrt-llm"
