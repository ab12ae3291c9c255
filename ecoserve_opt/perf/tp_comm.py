"""Tensor-parallel communication of the GPU roofline (Megatron-style TP, two all-reduces per layer).

A replica of ``tp`` GPUs all-reduces the activations twice per layer (after attention and
after the MLP), each message ``tokens x d_model x ACT_BYTES`` bytes (``tokens = batch x
prompt`` in prefill, ``batch`` in decode). A ring all-reduce moves ``2 (tp - 1) / tp`` of the
message through every GPU's link in each direction. Per layer and pass::

    AR(t)   = 2 L * t d ACT_BYTES * 2 (tp - 1)/tp / N        (both all-reduces of all layers)
    comm    = comm_slowdown * AR(t)
              + 2 L [ 2 (tp - 1) allreduce_step_ms + allreduce_fixed_ms ]    (tp > 1)

``N`` is the datasheet's bidirectional NVLink / PCIe bandwidth (:data:`INTERCONNECT_GBS`,
from ``interconnect.csv``, a source per row); ``comm_slowdown`` converts it to the achieved
one-way bus bandwidth (2 for the datasheet's one-way rate, ``2 / efficiency`` for a measured
bus-bandwidth efficiency). ``allreduce_step_ms`` is a per-ring-step latency (grows with tp),
``allreduce_fixed_ms`` a per-collective latency that does not (NCCL's low-latency protocols
for small messages). Both default to 0; each engine calibration
(:mod:`ecoserve_opt.perf.engines`) sets what it uses.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Protocol

GB = 1e9
#: Bytes per activation element (FP16/BF16) in the all-reduce volume.
ACT_BYTES = 2
SPEC_DIR = Path(__file__).resolve().parent


def read_spec(name: str) -> list[dict[str, str]]:
    """Rows of a sourced spec table next to this module (every row needs a ``source``)."""
    with (SPEC_DIR / name).open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for i, r in enumerate(rows, start=2):
        if not (r.get("source") or "").strip():
            raise ValueError(f"{name}: row {i}.source: every row needs a source")
    return rows


#: gpu -> (bidirectional NVLink / PCIe GB/s, source), from ``interconnect.csv``.
INTERCONNECT_GBS: dict[str, tuple[float, str]] = {
    r["gpu"]: (float(r["link_gbs"]), r["source"]) for r in read_spec("interconnect.csv")
}
#: Fallback by ``form_factor`` for GPUs missing from :data:`INTERCONNECT_GBS`.
INTERCONNECT_BY_FORM = {"sxm": 600.0, "pcie": 64.0, "oam": 896.0}


class CommCalibration(Protocol):
    """The communication constants of a roofline calibration."""

    @property
    def comm_slowdown(self) -> float: ...
    @property
    def allreduce_step_ms(self) -> float: ...
    @property
    def allreduce_fixed_ms(self) -> float: ...


def allreduce_bandwidth_ms(
    n_layers: int, d_model: int, tp: int, tokens: float, link_gbs: float
) -> float:
    """Ring all-reduce time of 2 activation all-reduces per layer at datasheet bandwidth."""
    if tp <= 1:
        return 0.0
    vol = 2.0 * n_layers * tokens * d_model * ACT_BYTES * 2.0 * (tp - 1) / tp
    return vol / (link_gbs * GB) * 1e3


def allreduce_latency_ms(n_layers: int, tp: int, cal: CommCalibration) -> float:
    """Latency of the 2 all-reduces per layer: ``2 L (2 (tp - 1) step + fixed)``."""
    if tp <= 1:
        return 0.0
    return 2.0 * n_layers * (2.0 * (tp - 1) * cal.allreduce_step_ms + cal.allreduce_fixed_ms)
