"""What a precision changes in the roofline (ecoserve_opt.perf.precision): bytes, peaks,
throughput ratios against bf16, power within [idle, TDP]."""

from __future__ import annotations

import typing

import pandas as pd
import pytest

from ecoserve_opt.paths import catalog_dir
from ecoserve_opt.perf.engines import ENGINES
from ecoserve_opt.perf.precision import (
    FP8_TFLOPS,
    INT4_GROUP_BYTES,
    PRECISIONS,
    apply_precision,
    supports,
)
from ecoserve_opt.perf.roofline import Estimate, estimate_gpu, gpu_specs, llm_specs
from ecoserve_opt.schema.scenario import PrecisionName

CAL = ENGINES["tensorrt-llm"].calibration
LLMS = llm_specs(pd.read_csv(catalog_dir() / "llms.csv"))
GPUS = gpu_specs(pd.read_csv(catalog_dir() / "gpus.csv"))


def est(llm: str, gpu: str, q: str, tp: int, batch: int, prompt: int = 1024) -> Estimate:
    lq, gq = apply_precision(LLMS[llm], GPUS[gpu], q)
    return estimate_gpu(lq, gq, tp, batch, prompt, output_tokens=256, cal=CAL)


def test_schema_names_every_precision() -> None:
    assert set(typing.get_args(PrecisionName)) == set(PRECISIONS)


def test_fp8_gpus_are_the_ones_with_fp8_tensor_cores() -> None:
    """H100, H200, B200, L40S, L4, MI300X; not A100, A10G, V100, T4."""
    assert set(FP8_TFLOPS) == {
        "h100-80gb",
        "h200-141gb",
        "b200-180gb",
        "l40s",
        "l4",
        "mi300x-192gb",
    }
    for g in ("a100-80gb", "a100-40gb", "a10g", "v100-32gb", "t4"):
        assert not supports(g, "fp8")
        assert supports(g, "int8")
        assert supports(g, "int4")
        assert supports(g, "bf16")
    # dense FP8 peak is twice the dense FP16 peak on every FP8 GPU of the catalog
    for g, (tflops, _src) in FP8_TFLOPS.items():
        assert tflops == pytest.approx(2 * GPUS[g].fp16_tflops, rel=0.02)


def test_weight_and_kv_bytes() -> None:
    base = LLMS["llama3-70b"]
    for q, wb, kvb in (("fp8", 1.0, 1.0), ("int8", 1.0, 2.0), ("int4", 0.515625, 2.0)):
        lq, _ = apply_precision(base, GPUS["h100-80gb"], q)
        assert lq.weights_gb == pytest.approx(base.weights_gb * wb / 2)
        assert lq.kv_bytes_per_token == pytest.approx(base.kv_bytes_per_token * kvb / 2)
    assert INT4_GROUP_BYTES == 0.5 + 2 / 128


def test_fp8_is_faster_by_less_than_the_byte_ratio() -> None:
    """Decode moves half the bytes and prefill gets twice the peak, but fixed per-layer
    overheads and 16-bit all-reduces stay: at equal batch the replica's tokens/s rises, by
    less than 2x, and by little where the overheads dominate (TP 8 at batch 1). Published
    FP8/FP16 ratios are 1.3-2.2x, some of it from larger batches (docs/profiles.md)."""
    ratios = {}
    for llm, gpu, tp, b in (
        ("llama3-8b", "h100-80gb", 1, 32),
        ("llama3-8b", "l40s", 1, 16),
        ("llama3-70b", "h100-80gb", 4, 32),
        ("llama3-70b", "h100-80gb", 8, 1),
    ):
        e16, e8 = est(llm, gpu, "bf16", tp, b), est(llm, gpu, "fp8", tp, b)
        ratios[(llm, gpu, tp, b)] = e8.tokens_per_s / e16.tokens_per_s
        assert e8.tpot_ms < e16.tpot_ms
        assert e8.ttft_ms < e16.ttft_ms
    assert all(1.0 < r < 2.0 for r in ratios.values()), ratios
    assert ratios[("llama3-8b", "h100-80gb", 1, 32)] > 1.25
    assert ratios[("llama3-70b", "h100-80gb", 8, 1)] < min(r for k, r in ratios.items() if k[2] < 8)


def test_weight_only_helps_decode_and_costs_in_compute_bound_prefill() -> None:
    """W4A16 on an A100: batch-1 decode is much faster (4x fewer weight bytes), a large
    compute-bound prefill is slower than bf16 (dequantisation, 0.9 of the FP16 peak)."""
    e16, e4 = (
        est("llama3-8b", "a100-80gb", "bf16", 1, 1),
        est("llama3-8b", "a100-80gb", "int4", 1, 1),
    )
    assert e16.tpot_ms / e4.tpot_ms > 1.5
    big16 = est("llama3-8b", "a100-80gb", "bf16", 1, 64, prompt=2048)
    big4 = est("llama3-8b", "a100-80gb", "int4", 1, 64, prompt=2048)
    assert big4.ttft_ms > big16.ttft_ms
    assert big4.ttft_ms / big16.ttft_ms < 1 / 0.9 + 1e-9
    # int8 sits between bf16 and int4 in batch-1 decode
    e8 = est("llama3-8b", "a100-80gb", "int8", 1, 1)
    assert e4.tpot_ms < e8.tpot_ms < e16.tpot_ms


@pytest.mark.parametrize("q", sorted(PRECISIONS))
def test_power_within_idle_and_tdp(q: str) -> None:
    for gid, g in GPUS.items():
        if not supports(gid, q):
            continue
        for b in (1, 8, 64):
            e = est("llama3-8b", gid, q, 1, b)
            assert g.idle_w <= e.power_w <= g.tdp_w + 1e-9
