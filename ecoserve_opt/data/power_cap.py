r"""Operating points of power-capped GPU variants: only where the cap was measured (no Pyomo).

A capped variant (``ecoserve_opt/perf/power_cap.py``, e.g. ``h100-80gb-pcap``) gets its
TTFT, TPOT and power from its own ``profiles.csv`` rows: the base GPU's phases slowed by the
fitted factors, each phase's power bounded by the cap. Its decode factor (1.0 for the H100
at 350 W) was measured on a few configurations only (llama2-70b at TP 2 / 4 / 8 and
bloom-176b at TP 8, FP16, batches 1-64). A decode step is slowed by a cap only where it draws
more than the cap allows, so "no decode slowdown" carries over to another configuration only
if its decode draws no more power than on the measured ones. The data layer therefore keeps a
capped point only where

.. math::

    P^{dec}_{base}(l, t, b, I, O) \le \max_{\text{measured } (l', t', b', s')}
    P^{dec}_{base}(l', t', b', s', 128)

(both the model's uncapped decode-phase power of the base GPU, ``perf/power.py``, under the
scenario's engine and power mode), and only at ``bf16`` (the measured rows are FP16): the
other capped points have no measured latency and are not offered. Prefill-pool points
(``pillars.split_phases``) have no decode phase and are always kept.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from ecoserve_opt.catalog import Catalog
from ecoserve_opt.data.keys import Point
from ecoserve_opt.exceptions import ScenarioError
from ecoserve_opt.perf.power_cap import (
    MEASURED_BATCHES,
    MEASURED_CONFIGS,
    MEASURED_OUTPUT_TOKENS,
    MEASURED_PROMPTS,
    POWER_CAPS,
    PowerCap,
)
from ecoserve_opt.perf.roofline import (
    KV_MEMORY_FRACTION,
    Calibration,
    GPUSpec,
    LLMSpec,
    gpu_decode_ms,
    gpu_mem_gb,
    gpu_specs,
    llm_specs,
)
from ecoserve_opt.schema.scenario import Scenario

#: keep(llm, gpu, tp, batch, precision, input tokens, output tokens)
Keep = Callable[[str, str, int, int, str, int, int], bool]


def decode_power_w(
    llm: LLMSpec, base: GPUSpec, cap: PowerCap, tp: int, batch: int, n_in: int, n_out: float,
    cal: Calibration,
) -> float:  # fmt: skip
    """The base GPU's uncapped decode-phase power (W) at one operating point."""
    tpot, busy = gpu_decode_ms(llm, base, tp, batch, n_in + n_out / 2.0, cal)
    u_d = min(1.0, cal.power_decode * busy / tpot)
    return base.idle_w + (cap.base_tdp_w - base.idle_w) * u_d


@lru_cache(maxsize=16)
def _envelope(llms: tuple[LLMSpec, ...], base: GPUSpec, cap: PowerCap, cal: Calibration) -> float:
    out = 0.0
    for llm, (_name, tp) in zip(llms, MEASURED_CONFIGS, strict=True):
        for b in MEASURED_BATCHES:
            for s in MEASURED_PROMPTS:
                mem = gpu_mem_gb(llm, tp, b, s + MEASURED_OUTPUT_TOKENS)
                if mem > KV_MEMORY_FRACTION * base.memory_gb:
                    continue
                p = decode_power_w(llm, base, cap, tp, b, s, MEASURED_OUTPUT_TOKENS, cal)
                out = max(out, p)
    return out


def decode_envelope_w(
    llm_spec: dict[str, LLMSpec], base: GPUSpec, cap: PowerCap, cal: Calibration
) -> float:
    """The highest uncapped decode-phase power of the base GPU over the measured capped
    configurations (:data:`~ecoserve_opt.perf.power_cap.MEASURED_CONFIGS`), in W."""
    llms = tuple(llm_spec[name] for name, _tp in MEASURED_CONFIGS)
    return _envelope(llms, base, cap, cal)


def capped_filter(s: Scenario, cat: Catalog, gpus: Any, file: str) -> Keep | None:
    """``keep(llm, gpu, tp, batch, precision, n_in, n_out)`` for the scenario's candidate
    GPUs, or ``None`` when none of them is a capped variant."""
    capped = [g for g in gpus if g in POWER_CAPS]
    if not capped:
        return None
    from ecoserve_opt.data.power_mode import power_mode
    from ecoserve_opt.perf.engines import DEFAULT_ENGINE, ENGINES, power_calibration

    engine = s.profiles.engine if s.profiles.engine in ENGINES else DEFAULT_ENGINE
    cal = power_calibration(engine, power_mode(s, cat))
    try:
        llm_spec, gpu_spec = llm_specs(cat.llms), gpu_specs(cat.gpus)
    except (KeyError, ValueError, TypeError) as exc:
        raise ScenarioError(
            file, "hardware.gpus", f"power-capped GPUs need the roofline columns ({exc})"
        ) from exc
    envelope: dict[str, float] = {}
    for g in capped:
        cap = POWER_CAPS[g]
        missing = [n for n, _tp in MEASURED_CONFIGS if n not in llm_spec]
        if cap.base not in gpu_spec or missing:
            need = ", ".join([cap.base, *missing] if cap.base not in gpu_spec else missing)
            raise ScenarioError(
                file,
                "hardware.gpus",
                f"{g} is a power-capped variant whose measured domain needs {need} in the "
                "catalog (gpus.csv / llms.csv)",
            )
        envelope[g] = decode_envelope_w(llm_spec, gpu_spec[cap.base], cap, cal)

    def keep(llm: str, gpu: str, tp: int, batch: int, q: str, n_in: int, n_out: int) -> bool:
        cap = POWER_CAPS.get(gpu)
        if cap is None:
            return True
        if q != "bf16" or llm not in llm_spec:
            return False
        p = decode_power_w(llm_spec[llm], gpu_spec[cap.base], cap, tp, batch, n_in, n_out, cal)
        return p <= envelope[gpu] * (1.0 + 1e-9)

    return keep


def filter_points(
    s: Scenario, cat: Catalog, gpus: Any, info: dict[Point, dict[str, float]], file: str
) -> dict[Point, dict[str, float]]:
    """``info`` without the capped co-located points outside the measured domain (module
    docstring); ``info`` itself when no candidate GPU is capped."""
    keep = capped_filter(s, cat, gpus, file)
    if keep is None:
        return info
    out: dict[Point, dict[str, float]] = {}
    for p, d in info.items():
        dem = getattr(s.llms[p.llm], p.cls)
        if keep(p.llm, p.gpu, p.tp, p.batch, p.precision, dem.input_tokens, dem.output_tokens):
            out[p] = d
    return out
