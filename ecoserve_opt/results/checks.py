"""Checks of a solution before it is extracted: finite values, demand served."""

from __future__ import annotations

import math
from typing import Any

import pyomo.core as pyo

from ecoserve_opt.data import ModelData
from ecoserve_opt.data.keys import CpuServe, PhaseServe, Serve


def value(x: Any) -> float:
    """The solution value of ``x`` (0.0 where it has none)."""
    val = pyo.value(x, exception=False)
    return 0.0 if val is None else float(val)


def non_finite_values(m: pyo.ConcreteModel) -> list[str]:
    """Names of the model's variables whose solution value is NaN or infinite."""
    return [
        v.name
        for v in m.component_data_objects(pyo.Var, active=True)
        if v.value is not None and not math.isfinite(v.value)
    ]


#: Relative (and, in tokens/s, absolute) tolerance of the post-solve demand check.
DEMAND_TOLERANCE = 1e-6


def demand_shortfall(m: pyo.ConcreteModel, d: ModelData) -> list[str]:
    """Demands the solution does not serve, recomputed from the served rates and the data.

    Online: served tokens/s per (LLM, year, slot) against the peak demand; offline: tokens
    per day credited only for the window hours of each slot against the daily volume. Both
    scaled by ``demand_scale``. Empty when every demand is met within
    :data:`DEMAND_TOLERANCE` (slack-mode models, which may leave demand unmet on purpose,
    are not checked).
    """
    if len(m.unmet_online) or len(m.unmet_offline):
        return []
    scale = value(m.demand_scale)
    served_on: dict[tuple[str, int, int], float] = {}
    served_off: dict[tuple[str, int], float] = {}
    for k in map(Serve._make, m.XK):
        if k.cls == "online":
            key = (k.llm, k.year, k.slot)
            served_on[key] = served_on.get(key, 0.0) + value(m.x[k])
        else:
            hours = d.offline_slot_hours.get((k.llm, k.slot), 0.0)
            ly = (k.llm, k.year)
            served_off[ly] = served_off.get(ly, 0.0) + value(m.x[k]) * hours
    for q in map(PhaseServe._make, m.XP):
        if q.phase == "prefill":  # a split request counts once, at its prefill pool
            key = (q.llm, q.year, q.slot)
            served_on[key] = served_on.get(key, 0.0) + value(m.xp[q])
    for kc in map(CpuServe._make, m.XC):
        hours = d.offline_slot_hours.get((kc.llm, kc.slot), 0.0)
        ly = (kc.llm, kc.year)
        served_off[ly] = served_off.get(ly, 0.0) + value(m.xc[kc]) * hours
    out = []
    for (llm, y, s), dem in sorted(d.online_demand.items()):
        need, got = dem * scale, served_on.get((llm, y, s), 0.0)
        if got < need - DEMAND_TOLERANCE * max(need, 1.0):
            out.append(f"llms.{llm}.online year {y} slot {s}: {got:.6g} of {need:.6g} tokens/s")
    for (llm, y), dem in sorted(d.offline_demand.items()):
        need, got = dem * scale, served_off.get((llm, y), 0.0) * 3600.0
        if got < need - DEMAND_TOLERANCE * max(need, 86400.0):
            out.append(
                f"llms.{llm}.offline year {y}: {got:.6g} of {need:.6g} tokens/day in its window"
            )
    return out
