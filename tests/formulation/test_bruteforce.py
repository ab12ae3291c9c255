"""Cross-check: on small random instances the MILP optimum equals the best enumerated fleet.

Each instance has 3 GPU types (random latency, power, embodied) on the tiny fixed-SKU host
(4 slots); a host carries GPUs of one type (homogeneous servers), so type i needs
ceil(n_i / 4) hosts. For every GPU-count vector the best load split is a fractional knapsack (fill
the lowest dynamic-energy-per-token GPUs first), so the enumeration is exact.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.helpers import solve_dict

pytestmark = pytest.mark.milp

HOURS = 8760.0
HOST_EMB_PER_YEAR = (100 + 50 + 0.5 * 32 * 8 + 20 * 1 * 2) / 5  # tiny host-x, act source
HOST_IDLE_KW = 0.05


def _instance(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    gpus = []
    for i in range(3):
        gpus.append(
            {
                "gpu": f"g{i}",
                "ttft_ms": float(rng.uniform(200, 2000)),
                "tpot_ms": float(rng.uniform(3, 30)),
                "idle_w": float(rng.uniform(20, 120)),
                "busy_w": float(rng.uniform(150, 700)),
                "emb": float(rng.uniform(50, 800)),
                "mem": float(rng.choice([16, 24, 32, 40])),
            }
        )
    return {
        "gpus": gpus,
        "demand": float(rng.uniform(300, 2500)),
        "ci": float(rng.uniform(0.02, 0.8)),
    }


def _catalog(inst: dict[str, Any], make: Callable[..., Path]) -> Path:
    gpus = pd.DataFrame(
        [
            {
                "gpu": g["gpu"],
                "vendor": "t",
                "generation_year": 2020,
                "form_factor": "pcie",
                "memory_gb": g["mem"],
                "mem_bw_gbs": 1,
                "fp16_tflops": 1,
                "tdp_w": g["busy_w"],
                "idle_w": g["idle_w"],
                "lifetime_years": 5,
                "die_area_mm2": 1,
                "process_nm": 7,
                "capex_usd": 1000,
                "source": "random test instance",
            }
            for g in inst["gpus"]
        ]
    )
    prof = pd.DataFrame(
        [
            {
                "llm": "tiny-llm",
                "gpu": g["gpu"],
                "tp": 1,
                "batch": 4,
                "prompt_tokens": 100,
                "ttft_ms": g["ttft_ms"],
                "tpot_ms": g["tpot_ms"],
                "power_w": g["busy_w"],
                "method": "measured",
                "source": "random test instance",
            }
            for g in inst["gpus"]
        ]
    )
    base = pd.read_csv(Path(__file__).parents[1] / "fixtures/tiny/catalog/embodied.csv")
    base = base[base["kind"] != "gpu"]
    emb = pd.DataFrame(
        [
            {
                "kind": "gpu",
                "item": g["gpu"],
                "embodied_source": s,
                "kgco2e": g["emb"],
                "per": "unit",
                "method": "direct",
                "source": "random test instance",
            }
            for g in inst["gpus"]
            for s in ("act", "greensku", "boavizta")
        ]
    )
    return make(gpus=gpus, profiles=prof, embodied=pd.concat([base, emb]))


def _enumerate(inst: dict[str, Any]) -> float:
    caps, idle, dyn, emb = [], [], [], []
    for g in inst["gpus"]:
        cap = 4 * 100 / (g["ttft_ms"] / 1e3 + 100 * g["tpot_ms"] / 1e3)
        caps.append(cap)
        idle.append(g["idle_w"] / 1e3)
        dyn.append(max(g["busy_w"] - g["idle_w"], 0) / 1e3)
        emb.append(g["emb"] / 5)
    demand = inst["demand"]
    order = sorted(range(3), key=lambda i: dyn[i] / caps[i])
    best = math.inf
    bound = [math.ceil(demand / c) for c in caps]
    for counts in itertools.product(*[range(b + 1) for b in bound]):
        if sum(n * c for n, c in zip(counts, caps, strict=True)) < demand - 1e-9:
            continue
        left, power = demand, 0.0
        for i in order:
            served = min(left, counts[i] * caps[i])
            power += dyn[i] * served / caps[i]
            left -= served
        hosts = sum(math.ceil(n / 4) for n in counts)
        power += sum(n * p for n, p in zip(counts, idle, strict=True)) + hosts * HOST_IDLE_KW
        carbon = HOURS * inst["ci"] * power
        carbon += sum(n * e for n, e in zip(counts, emb, strict=True)) + hosts * HOST_EMB_PER_YEAR
        best = min(best, carbon)
    return best


def _apply(inst: dict[str, Any], tiny_dict: dict[str, Any], catalog: Path) -> None:
    """Point the tiny scenario at an instance: its catalog, GPUs, demand and grid (loose SLOs)."""
    tiny_dict["catalog"] = str(catalog)
    tiny_dict["hardware"]["gpus"] = [g["gpu"] for g in inst["gpus"]]
    on = tiny_dict["llms"]["tiny-llm"]["online"]
    on.update(tokens_per_s=inst["demand"], ttft_slo=100.0, tpot_slo=100.0)
    tiny_dict["grid"]["intensity"] = f"{inst['ci']!r} kgCO2e/kWh"


@pytest.mark.parametrize("seed", range(8))
def test_milp_equals_enumeration(
    seed: int, tiny_dict: dict[str, Any], catalog_copy: Callable[..., Path]
) -> None:
    inst = _instance(seed)
    _apply(inst, tiny_dict, _catalog(inst, catalog_copy))
    res = solve_dict(tiny_dict)
    assert res.optimal
    assert res.carbon == pytest.approx(_enumerate(inst), rel=1e-7)
