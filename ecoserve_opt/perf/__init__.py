"""Performance models: a calibrated roofline estimator for GPU and host-CPU LLM serving.

See :mod:`ecoserve_opt.perf.roofline` for the equations and ``docs/profiles.md`` for the
calibration against the measured Splitwise table (fitted offline by ``catalog_build``, the
catalog build tool at the repository root).
"""

from __future__ import annotations

from ecoserve_opt.perf.roofline import (
    CALIBRATION,
    Calibration,
    CPUSpec,
    Estimate,
    GPUSpec,
    LLMSpec,
    estimate_cpu,
    estimate_gpu,
)

__all__ = [
    "CALIBRATION",
    "CPUSpec",
    "Calibration",
    "Estimate",
    "GPUSpec",
    "LLMSpec",
    "estimate_cpu",
    "estimate_gpu",
]
