"""Numeric precision of a served LLM and its effect on the roofline (pure Python).

A precision changes three inputs of :mod:`ecoserve_opt.perf.roofline`: the bytes per weight
(weight memory and the decode weight stream), the bytes per KV-cache element (KV memory and the
decode KV read) and the tensor-core peak used for the FLOP terms. Activations and the
tensor-parallel all-reduces stay 16-bit in every case.

=========  ========  =======  ===========  ====================================================
name       weight    KV       peak FLOP/s  meaning
=========  ========  =======  ===========  ====================================================
``bf16``   2 B       2 B      FP16/BF16    the catalog default (``fp16_tflops`` of ``gpus.csv``)
``fp8``    1 B       1 B      FP8          FP8 weights, activations and KV cache (W8A8, as
                                           TensorRT-LLM ``quant_algo FP8`` +
                                           ``kv_cache_quant_algo FP8``); only on GPUs with FP8
                                           tensor cores (:data:`FP8_TFLOPS`: Ada Lovelace,
                                           Hopper, Blackwell, CDNA 3)
``int8``   1 B       2 B      FP16 x 0.9   weight-only INT8 (W8A16): weights dequantised to
                                           16 bit inside the GEMM; any GPU
``int4``   0.5156 B  2 B      FP16 x 0.9   weight-only INT4 (W4A16, group size 128 with one
                                           FP16 scale per group: 0.5 + 2/128 B), as GPTQ / AWQ
                                           checkpoints run by Marlin-style kernels; any GPU
=========  ========  =======  ===========  ====================================================

FP8 peaks are the datasheets' dense figures (half the "with sparsity" figure). Weight-only
formats keep 16-bit tensor-core math; dequantising the weights in the GEMM main loop costs
compute, :data:`WEIGHT_ONLY_COMPUTE_EFFICIENCY` of the FP16 peak. What the precisions change
in the roofline, and nothing else: weight bytes (memory fit, the decode weight stream, the
prefill weight read), KV bytes (memory fit, the decode KV read) and the tensor peak (prefill
and decode FLOP terms). Fixed per-layer overheads and the 16-bit all-reduces do not change,
so the speed-up is below the byte ratio where they matter (small models, TP > 1). Power
follows the roofline's utilisation rule (busy share of the request x (TDP - idle) + idle):
shorter busy phases at the same overheads lower the average, never above TDP.
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
    "h200-141gb": (
        1979.0,
        "NVIDIA H200 Tensor Core GPU datasheet, SXM: FP8 Tensor Core 3,958 TFLOPS with sparsity",
    ),
    "b200-180gb": (
        4500.0,
        "NVIDIA HGX B200 datasheet: FP8 Tensor Core 72 PFLOPS with sparsity per 8 GPUs "
        "(9 PFLOPS per GPU, 4.5 dense; FP16/BF16 is half of it, as gpus.csv)",
    ),
    "mi300x-192gb": (
        2614.9,
        "AMD Instinct MI300X data sheet: FP8 2,614.9 TFLOPS dense (5,229.8 with sparsity)",
    ),
}

#: Achieved / FP16 tensor peak for weight-only INT8 / INT4 GEMMs (dequantisation in the main
#: loop). Source: Marlin (Frantar et al., PPoPP 2025, arXiv 2408.11743): W4A16 kernels stay
#: near the 4x memory-bound speed-up up to batch 16-32 and are about 10% slower than FP16
#: when compute-bound (large prefill batches; figure read from a summary of the paper's
#: GEMM benchmarks); QServe (Lin et al., arXiv 2405.04532) reports 20-90% dequantisation
#: overhead for earlier W4A16 kernels. 0.9 is the Marlin figure; INT8 is given the same.
WEIGHT_ONLY_COMPUTE_EFFICIENCY = 0.9

#: Bytes per INT4 weight with group-wise scales: 4 bits + one FP16 scale per 128 weights
#: (GPTQ / AWQ default group size 128).
INT4_GROUP_BYTES = 0.5 + 2.0 / 128.0


@dataclass(frozen=True)
class Precision:
    """Bytes per weight and per KV element, which tensor-core peak applies and at what
    efficiency (1 except for weight-only formats)."""

    name: str
    weight_bytes: float
    kv_bytes: float
    peak: str  # "fp16" or "fp8"
    note: str
    compute_efficiency: float = 1.0


PRECISIONS: dict[str, Precision] = {
    "bf16": Precision("bf16", 2.0, 2.0, "fp16", "16-bit weights, activations and KV cache"),
    "fp8": Precision(
        "fp8",
        1.0,
        1.0,
        "fp8",
        "FP8 weights, activations and KV cache (GPUs with FP8 tensor cores only)",
    ),
    "int8": Precision(
        "int8",
        1.0,
        2.0,
        "fp16",
        "weight-only INT8 (W8A16): 16-bit activations and KV cache",
        WEIGHT_ONLY_COMPUTE_EFFICIENCY,
    ),
    "int4": Precision(
        "int4",
        INT4_GROUP_BYTES,
        2.0,
        "fp16",
        "weight-only INT4 (W4A16, group size 128): 16-bit activations and KV cache",
        WEIGHT_ONLY_COMPUTE_EFFICIENCY,
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
    peak = gpu.fp16_tflops if p.peak == "fp16" else FP8_TFLOPS[gpu.gpu][0]
    tflops = peak * p.compute_efficiency
    gpu2 = gpu if tflops == gpu.fp16_tflops else replace(gpu, fp16_tflops=tflops)
    return llm2, gpu2


def weights_gb(weights_gb_16bit: float, precision: str) -> float:
    """Weight GB at ``precision`` of a model stored at 2 bytes per parameter."""
    return weights_gb_16bit * PRECISIONS[precision].weight_bytes / BASE_BYTES


def kv_bytes_per_token(kv_bytes_16bit: float, precision: str) -> float:
    """KV-cache bytes per token at ``precision`` (16-bit in the catalog)."""
    return kv_bytes_16bit * PRECISIONS[precision].kv_bytes / BASE_BYTES


def fp8_gpus() -> list[str]:
    """GPU ids with FP8 tensor cores (the keys of :data:`FP8_TFLOPS`)."""
    return sorted(FP8_TFLOPS)
