"""GPU power of the operating points under ``profiles.power`` (no Pyomo).

``profiles.csv`` is built offline with each engine's static-batch power constants. With
``profiles.power: continuous-batching`` the power of every GPU operating point is scaled by
the calibrated roofline's ratio between the continuous-batching and the static-batch power
constants of the scenario's engine (:func:`ecoserve_opt.perf.engines.power_calibration`) at
the point's LLM, GPU, TP degree, batch, precision and the class's lengths::

    P_cb = clip(P_row x P_roofline(cb) / P_roofline(static), idle, TDP)

so a measured row keeps its correction and only the duty-cycle effect comes from the model
(the pattern of the precision scaling). TTFT, TPOT and capacity are untouched.

A scenario that leaves ``profiles.power`` unset gets its engine's power mode
(:func:`power_mode`): ``continuous-batching`` for ``tensorrt-llm`` (current engines),
``static-batch`` for ``splitwise`` (Splitwise's rows are static batches) and for a catalog
without an ``engine`` column (its rows' power is used as given).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ecoserve_opt.catalog import Catalog
from ecoserve_opt.data.keys import Point
from ecoserve_opt.data.model import GpuType
from ecoserve_opt.schema.scenario import Scenario

#: (llm, gpu, tp, batch, precision, input tokens, output tokens) -> power factor
PowerScale = Callable[[str, str, int, int, str, int, int], float]


def power_mode(s: Scenario, cat: Catalog) -> str:
    """The scenario's power mode: ``profiles.power`` if set, else its engine's
    (``ENGINES[engine].power``); ``static-batch`` for a catalog without an ``engine`` column
    (profile rows not tied to an engine keep their own power)."""
    if s.profiles.power is not None:
        return s.profiles.power
    from ecoserve_opt.catalog import ENGINE_COLUMN
    from ecoserve_opt.perf.engines import DEFAULT_ENGINE, ENGINES

    prof = cat.profiles
    if ENGINE_COLUMN not in prof.columns and ENGINE_COLUMN not in (prof.index.names or []):
        return "static-batch"
    engine = ENGINES.get(s.profiles.engine or DEFAULT_ENGINE)
    return engine.power if engine is not None else "static-batch"


def power_scale(s: Scenario, cat: Catalog, file: str) -> PowerScale | None:
    """The power factor of the scenario's power mode, or ``None`` for ``static-batch``."""
    mode = power_mode(s, cat)
    if mode == "static-batch":
        return None
    from ecoserve_opt.exceptions import ScenarioError
    from ecoserve_opt.perf.engines import DEFAULT_ENGINE, ENGINES, power_calibration
    from ecoserve_opt.perf.precision import apply_precision
    from ecoserve_opt.perf.roofline import estimate_gpu, gpu_specs, llm_specs

    engine = s.profiles.engine if s.profiles.engine in ENGINES else DEFAULT_ENGINE
    static = power_calibration(engine, "static-batch")
    cb = power_calibration(engine, mode)
    try:
        llm_spec, gpu_spec = llm_specs(cat.llms), gpu_specs(cat.gpus)
    except (KeyError, ValueError, TypeError) as exc:
        raise ScenarioError(
            file,
            "profiles.power",
            f"{mode} power needs the roofline columns of llms.csv and gpus.csv ({exc})",
        ) from exc
    cache: dict[tuple[Any, ...], float] = {}

    def scale(llm: str, gpu: str, tp: int, batch: int, q: str, n_in: int, n_out: int) -> float:
        key = (llm, gpu, tp, batch, q, n_in, n_out)
        if key not in cache:
            if llm not in llm_spec or gpu not in gpu_spec:
                raise ScenarioError(
                    file,
                    "profiles.power",
                    f"{mode} power needs roofline specs for {llm} on {gpu} "
                    "(llms.csv / gpus.csv architecture columns)",
                )
            lq, gq = apply_precision(llm_spec[llm], gpu_spec[gpu], q)
            args = (lq, gq, tp, batch, max(1, n_in), float(n_out))
            ref = estimate_gpu(*args, cal=static).power_w
            cache[key] = estimate_gpu(*args, cal=cb).power_w / ref if ref > 0 else 1.0
        return cache[key]

    return scale


def scale_points(
    s: Scenario,
    cat: Catalog,
    gpus: dict[str, GpuType],
    info: dict[Point, dict[str, float]],
    file: str,
) -> dict[Point, dict[str, float]]:
    """``info`` with each point's ``power_kw`` under the scenario's power mode (a new dict;
    ``info`` itself when the mode is ``static-batch``)."""
    scale = power_scale(s, cat, file)
    if scale is None:
        return info
    out: dict[Point, dict[str, float]] = {}
    for p, d in info.items():
        dem = getattr(s.llms[p.llm], p.cls)
        f = scale(p.llm, p.gpu, p.tp, p.batch, p.precision, dem.input_tokens, dem.output_tokens)
        g = gpus[p.gpu]
        out[p] = {**d, "power_kw": min(max(d["power_kw"] * f, g.idle_kw), g.tdp_kw)}
    return out
