"""Demand sections of the data: online peaks per slot, offline volumes and windows.

* online demand per (llm, year, slot): the slot's peak hour of the diurnal shape, grown per
  year (constraint family ``online_demand``); the busiest minute's rate over it (burst
  factor) and the online capacity factors of the headroom rule (``replica_capacity``,
  headroom on capacity only: :mod:`ecoserve_opt.queueing`);
* offline demand per (llm, year) in tokens/day, and the hours of each slot inside the
  offline window (**Shift offline**: ``offline_demand``; off: ``offline_flat``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ecoserve_opt.data.keys import OfflineDemandKey, OnlineDemandKey, Point, Replica, WindowSlot
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
    """Busiest minute's arrival rate over the peak hour's, at a rate of ``requests_per_s``.

    ``burst_headroom: auto`` (the default) derives it from minute-level peaks: for a trace
    workload, the trace's measured minute peak-to-mean
    (:func:`ecoserve_opt.workload.minute_peak_to_mean`); for a rate (Poisson arrivals), 1
    under ``headroom_rule: queueing`` (the queueing bound models Poisson fluctuations) and
    :func:`ecoserve_opt.workload.poisson_minute_headroom` under ``minute-peak``. A number is
    used as is; ``headroom_rule: none`` gives 1.
    """
    from ecoserve_opt.workload import poisson_minute_headroom, summarise

    if on.headroom_rule == "none":
        return 1.0
    if not isinstance(on.burst_headroom, str):
        return float(on.burst_headroom)
    if on.workload is not None:
        return summarise(on.workload).minute_peak_to_mean
    if on.headroom_rule == "queueing":
        return 1.0
    return poisson_minute_headroom(requests_per_s)


def headroom_demands(
    s: Scenario,
    online_demand: dict[tuple[str, int, int], float],
    burst: dict[tuple[str, int, int], float],
) -> Iterator[tuple[str, int, int, OnlineDemand, float, float, float]]:
    """The online demands the headroom rule applies to, for co-located and phase points:
    ``(llm, year, slot, online spec, peak-hour tokens/s, burst factor, output-length cv^2)``
    for every positive demand whose ``headroom_rule`` is not ``none``."""
    from ecoserve_opt.workload import summarise

    for (llm, y, sl), dem in online_demand.items():
        on = s.llms[llm].online
        if on is None or on.headroom_rule == "none" or dem <= 0:
            continue
        cv2 = summarise(on.workload).output_tokens_cv2 if on.workload is not None else 0.0
        yield llm, y, sl, on, dem, burst[(llm, y, sl)], cv2


def online_capacity_factors(
    s: Scenario,
    points: list[Point],
    info: dict[Point, dict[str, float]],
    online_demand: dict[tuple[str, int, int], float],
    burst: dict[tuple[str, int, int], float],
) -> dict[tuple[str, str, int, int, str, str, int, int], float]:
    """Capacity factor of every online point per (year, slot) (headroom on capacity only).

    ``minute-peak``: the burst factor; ``queueing``:
    :func:`ecoserve_opt.queueing.capacity_factor` at the point's batch, TTFT and TPOT, with
    ``TTFT_1`` the TTFT at the smallest batch of the same replica (llm, gpu, tp,
    precision); ``none``: none. Keys are ``(*point, year, slot)``; factors equal to 1 are
    left out.
    """
    from ecoserve_opt.queueing import slots_needed_many

    ttft_one: dict[Replica, float] = {}
    by_llm: dict[str, list[Point]] = {}
    for k in points:
        if k.cls == "online":
            ttft_one[k.replica] = min(info[k]["ttft"], ttft_one.get(k.replica, math.inf))
            by_llm.setdefault(k.llm, []).append(k)
    rows = list(headroom_demands(s, online_demand, burst))
    # per point, all its LLM's demands at once (queueing.slots_needed_many); the numbers
    # are those of queueing.capacity_factor called per (point, year, slot)
    factor: dict[tuple[Point, int, int], float] = {}
    for llm, pts in by_llm.items():
        mine = [r for r in rows if r[0] == llm]
        if not mine or mine[0][3].headroom_rule != "queueing":
            continue
        on, cv2 = mine[0][3], mine[0][6]
        rate = np.array([r[4] for r in mine]) / on.output_tokens
        beta = np.array([r[5] for r in mine])
        for k in pts:
            ttft_b, tpot = info[k]["ttft"], info[k]["tpot"]
            s_static = ttft_b + on.output_tokens * tpot
            svc = max(on.output_tokens - 1.0, 0.0) * tpot + k.batch * ttft_one[k.replica]
            svc = max(svc, 1e-12)
            cs2 = cv2 * (on.output_tokens * tpot / svc) ** 2
            slack = max(on.ttft_slo - ttft_b, 0.0)
            c = slots_needed_many(beta * rate * svc, slack / svc, 1.0 - on.attainment_target, cs2)
            f = np.maximum(1.0, c / (rate * s_static)).tolist()
            for r, fk in zip(mine, f, strict=True):
                factor[(k, r[1], r[2])] = fk
    out: dict[tuple[str, str, int, int, str, str, int, int], float] = {}
    for llm, y, sl, on, _dem, beta_ys, _cv2 in rows:
        for k in by_llm.get(llm, []):
            f = beta_ys if on.headroom_rule == "minute-peak" else factor[(k, y, sl)]
            if f != 1.0:
                out[(*k, y, sl)] = f
    return out


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
                    sec.online[OnlineDemandKey(llm, y, sl)] = peak
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
