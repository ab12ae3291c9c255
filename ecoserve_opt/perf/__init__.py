"""Performance models: a calibrated roofline estimator for GPU and host-CPU LLM serving.

See :mod:`ecoserve_opt.perf.roofline` for the equations and ``docs/profiles.md`` for the
calibration against the measured Splitwise table.
"""

from __future__ import annotations

from ecoserve_opt.perf.roofline import (
    CALIBRATION,
    Calibration,
    CPUSpec,
    Estimate,
    GPUSpec,
    LLMSpec,
    calibration_report,
    estimate_cpu,
    estimate_gpu,
    fit_calibration,
    load_splitwise,
)

__all__ = [
    "CALIBRATION",
    "CPUSpec",
    "Calibration",
    "Estimate",
    "GPUSpec",
    "LLMSpec",
    "calibration_report",
    "estimate_cpu",
    "estimate_gpu",
    "fit_calibration",
    "load_splitwise",
]
