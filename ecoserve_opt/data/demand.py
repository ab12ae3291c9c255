"""Demand sections of the data: online peaks per slot, offline volumes and windows.

* online demand per (llm, year, slot): the slot's peak hour of the diurnal shape times the
  burst headroom, grown per year (constraint family ``online_demand``);
* offline demand per (llm, year) in tokens/day, and the hours of each slot inside the
  offline window (**Shift offline**: ``offline_demand``; off: ``offline_flat``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecoserve_opt.data.keys import OfflineDemandKey, OnlineDemandKey, WindowSlot
from ecoserve_opt.schema.scenario import OnlineDemand, Scenario


def _diurnal(kind: str | list[float]) -> np.ndarray:
    """24 multipliers with mean 1 for an online demand shape."""
    if isinstance(kind, list):
        arr = np.asarray(kind, dtype=float)
    elif kind == "flat":
        arr = np.ones(24)
    else:
        from ecoserve_opt.workload import diurnal_shape

        arr = np.asarray(diurnal_shape(), dtype=float)
    return arr / arr.mean()


def burst_headroom(on: OnlineDemand, requests_per_s: float) -> float:
    """Burst headroom of an online demand at a sized rate of ``requests_per_s``.

    ``burst_headroom: auto`` (the default) derives it from minute-level peaks: for a trace
    workload, the trace's measured minute peak-to-mean
    (:func:`ecoserve_opt.workload.minute_peak_to_mean`); for a rate (replayed as Poisson
    arrivals), :func:`ecoserve_opt.workload.poisson_minute_headroom`. A number is used as is.
    The factor multiplies the sized (peak-hour) online demand of each slot, so capacity
    covers the busiest minutes; served energy is counted on the sized demand, as for the
    peak hour (an overestimate, see docs/simulate.md).
    """
    from ecoserve_opt.workload import poisson_minute_headroom, summarise

    if not isinstance(on.burst_headroom, str):
        return float(on.burst_headroom)
    if on.workload is not None:
        return summarise(on.workload).minute_peak_to_mean
    return poisson_minute_headroom(requests_per_s)


def resolve_workloads(s: Scenario) -> Scenario:
    """Fill online demand given as ``workload: <trace>`` from the bundled trace summary.

    The trace's request rate (times ``rate_scale``), mean input/output lengths and diurnal
    shape are used wherever the scenario does not set the field itself.
    """
    llms = {}
    for name, spec in s.llms.items():
        on = spec.online
        if on is None or on.workload is None:
            llms[name] = spec
            continue
        from ecoserve_opt.workload import summarise

        w = summarise(on.workload)
        given = on.model_fields_set
        upd: dict[str, object] = {}
        if "input_tokens" not in given:
            upd["input_tokens"] = max(1, round(w.mean_input_tokens))
        if "output_tokens" not in given:
            upd["output_tokens"] = max(1, round(w.mean_output_tokens))
        if on.requests_per_s is None and on.tokens_per_s is None:
            upd["requests_per_s"] = w.requests_per_s * on.rate_scale
        if "diurnal" not in given:
            upd["diurnal"] = list(w.diurnal)
        llms[name] = spec.model_copy(update={"online": on.model_copy(update=upd)})
    return s.model_copy(update={"llms": llms})


@dataclass
class DemandSection:
    """Online demand and headroom per (llm, year, slot), offline volume per (llm, year),
    offline window hours per (llm, slot)."""

    online: dict[tuple[str, int, int], float]
    headroom: dict[tuple[str, int, int], float]
    offline: dict[tuple[str, int], float]
    window_hours: dict[tuple[str, int], float]


def demand_section(
    s: Scenario, years: list[int], slots: list[int], slot_hours: float
) -> DemandSection:
    """The demand the fleet must serve (see module docstring)."""
    sec = DemandSection({}, {}, {}, {})
    for llm, spec in s.llms.items():
        for y in years:
            grow = (1.0 + s.demand_growth_per_year) ** (y - 1)
            if spec.online is not None:
                shape = _diurnal(spec.online.diurnal)
                rate = spec.online.output_tokens_per_s * grow
                for sl in slots:
                    seg = shape[int(sl * slot_hours) : int((sl + 1) * slot_hours)]
                    peak = rate * float(seg.max())
                    head = burst_headroom(spec.online, peak / spec.online.output_tokens)
                    sec.online[OnlineDemandKey(llm, y, sl)] = peak * head
                    sec.headroom[OnlineDemandKey(llm, y, sl)] = head
            if spec.offline is not None:
                sec.offline[OfflineDemandKey(llm, y)] = spec.offline.tokens_per_day * grow
        if spec.offline is not None:
            a, b = spec.offline.window
            hours_in = [(h % 24) for h in (range(a, b) if a < b else range(a, b + 24))]
            for sl in slots:
                lo, hi = sl * slot_hours, (sl + 1) * slot_hours
                sec.window_hours[WindowSlot(llm, sl)] = float(
                    sum(1 for h in hours_in if lo <= h < hi)
                )
    return sec
