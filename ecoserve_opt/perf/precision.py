"""Numeric precision of a served LLM and its effect on the roofline (pure Python).

A precision changes three inputs of :mod:`ecoserve_opt.perf.roofline`: the bytes per weight
(weight memory and the decode weight stream), the bytes per KV-cache element (KV memory and the
decode KV read) and the tensor-core peak used for the FLOP terms. Activations and the
tensor-parallel all-reduces stay 16-bit in every case.

=========  ======  =======  ===========  ======================================================
name       weight  KV       peak FLOP/s  meaning
=========  ======  =======  ===========  ======================================================
``bf16``   2 B     2 B      FP16/BF16    the catalog default (``fp16_tflops`` of ``gpus.csv``)
``fp8``    1 B     1 B      FP8          FP8 weights, activations and KV cache (W8A8, as
                                         TensorRT-LLM ``quant_algo FP8`` + ``kv_cache_quant_algo
                                         FP8``); only on GPUs with FP8 tensor cores
                                         (:data:`FP8_TFLOPS`: Ada Lovelace and Hopper)
=========  ======  =======  ===========  ======================================================

FP8 peaks are the datasheets' dense figures (half the "with sparsity" figure).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ecoserve_opt.perf.roofline import GPUSpec, LLMSpec

#: Dense FP8 tensor-core TFLOP/s per GPU (datasheet "with sparsity" figure / 2) and source.
FP8_TFLOPS: dict[str, tuple[float, str]] = {
    "h100-80gb": (
        1979.0,
        "NVIDIA H100 Tensor Core GPU datasheet, SXM5: FP8 Tensor Core 3,958 TFLOPS with sparsity",
    ),
    "l40s": (733.0, "NVIDIA L40S datasheet: FP8 Tensor Core 1,466 TFLOPS with sparsity"),
    "l4": (242.5, "NVIDIA L4 Tensor Core GPU datasheet: FP8 Tensor Core 485 TFLOPS with sparsity"),
}


@dataclass(frozen=True)
class Precision:
    """Bytes per weight and per KV element, and which tensor-core peak applies."""

    name: str
    weight_bytes: float
    kv_bytes: float
    peak: str  # "fp16" or "fp8"
    note: str


PRECISIONS: dict[str, Precision] = {
    "bf16": Precision("bf16", 2.0, 2.0, "fp16", "16-bit weights, activations and KV cache"),
    "fp8": Precision(
        "fp8", 1.0, 1.0, "fp8", "FP8 weights, activations and KV cache (Ada / Hopper only)"
    ),
}

#: Bytes per parameter of the catalog's ``llms.csv`` (FP16/BF16).
BASE_BYTES = 2.0


class PrecisionError(ValueError):
    """A precision that is unknown or not supported by a GPU."""


def supports(gpu: str, precision: str) -> bool:
    """Whether ``gpu`` can run ``precision`` (FP8 needs FP8 tensor cores)."""
    p = PRECISIONS.get(precision)
    if p is None:
        return False
    return p.peak != "fp8" or gpu in FP8_TFLOPS


def apply_precision(llm: LLMSpec, gpu: GPUSpec, precision: str) -> tuple[LLMSpec, GPUSpec]:
    """Specs of ``llm`` (stored at 2 bytes per parameter) and ``gpu`` at ``precision``."""
    p = PRECISIONS.get(precision)
    if p is None:
        raise PrecisionError(f"unknown precision {precision!r}; known: {sorted(PRECISIONS)}")
    if not supports(gpu.gpu, precision):
        raise PrecisionError(f"GPU {gpu.gpu!r} has no {precision} tensor cores")
    llm2 = replace(
        llm,
        weights_gb=llm.weights_gb * p.weight_bytes / BASE_BYTES,
        kv_bytes_per_token=llm.kv_bytes_per_token * p.kv_bytes / BASE_BYTES,
    )
    gpu2 = gpu if p.peak == "fp16" else replace(gpu, fp16_tflops=FP8_TFLOPS[gpu.gpu][0])
    return llm2, gpu2
