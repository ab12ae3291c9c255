r"""Phase-level Rightsize (``pillars.split_phases``): prefill and decode pool points.

With the switch on, the online traffic of each LLM may also be served by a *prefill pool*
and a *decode pool* (Splitwise, DistServe), each with its own GPU type, TP degree and batch,
besides today's co-located replicas. For an LLM with prompt length :math:`I`, output length
:math:`O`, KV-cache bytes per token :math:`\beta` and a profile row giving, at batch
:math:`b`, the prefill time :math:`T^{pre}_b` of the batch (TTFT), the decode step time
:math:`T^{dec}_b` (TPOT) and the request-averaged power :math:`P_b`:

* **prefill point** :math:`(l,g,t,b,\text{prefill},\text{path})`: the batch's KV cache
  (:math:`b I \beta` bytes) leaves over the path's bandwidth :math:`N` per GPU (``nvlink``:
  half the datasheet NVLink/PCIe figure of ``perf/interconnect.csv``, to a decode pool of
  the same GPU type in the same host; ``nic``: the scale-out NIC per GPU, ``nic_gbs``, to
  any decode pool), the :math:`t` GPUs each sending their shard:
  :math:`\tau_b = b I \beta / (t N)`. The TTFT SLO holds the prefill *plus the transfer*,
  :math:`T^{pre}_b + \tau_b \le \mathrm{TTFT}^{slo}`; transfers overlap the next batch's
  prefill, so the link limits the rate: capacity
  :math:`\kappa = b\,O / \max(T^{pre}_b, \tau_b)` output tokens/s (requests/s x :math:`O`);
  memory :math:`W/t + b I \beta / t \le 0.9 M`;
* **decode point** :math:`(l,g,t,b,\text{decode},\text{none})`: :math:`b` sequences
  decode one token per step, :math:`\kappa = b / T^{dec}_b`, TPOT SLO
  :math:`T^{dec}_b \le \mathrm{TPOT}^{slo}`, memory for the whole context
  :math:`W/t + b (I + O) \beta / t \le 0.9 M` (the decode pool holds the KV cache).

On one (g, t, b) without transfer the two pools need exactly the replicas of a co-located
one, :math:`X T^{pre}/(bO) + X T^{dec}/b = X (T^{pre} + O T^{dec})/(bO)`; the split pays
through a different GPU type or batch per phase, and costs the transfer and the rounding of
two pools.

Power per phase: the profile's request-averaged power :math:`P_b` is split with the
calibrated roofline's utilisation of each phase (:math:`u^{pre}`, :math:`u^{dec}`;
``perf/roofline.py``) and the profile's phase times as weights,
:math:`u = (T^{pre} u^{pre} + O T^{dec} u^{dec}) / (T^{pre} + O T^{dec})`:
:math:`P^{ph} = P^{idle} + (P_b - P^{idle})\, u^{ph} / u` (a phase above TDP is capped and
the other takes the rest of the request's energy). The time-weighted mean of the two over a
request is :math:`P_b` again, so an unsplit pair of pools uses the co-located replica's
energy. Without roofline specs both phases get :math:`P_b`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ecoserve_opt.catalog import Catalog, select_engine
from ecoserve_opt.data.demand import headroom_demands
from ecoserve_opt.data.keys import HostGpu, PhasePoint
from ecoserve_opt.data.model import KV_MEMORY_FRACTION, NO_GPU, GpuType, HostItem
from ecoserve_opt.data.power_cap import capped_filter
from ecoserve_opt.data.power_mode import power_scale
from ecoserve_opt.data.profiles import _gpu_reference, _profile_point, _roofline_specs
from ecoserve_opt.schema.scenario import Scenario

PHASES = ("prefill", "decode")
#: KV-cache paths of a prefill pool; a decode point's path is ``none``.
PATHS = ("nvlink", "nic")
NO_PATH = "none"
#: Fallbacks by form factor (GB/s per GPU and direction) for GPUs missing from
#: ``perf/interconnect.csv``: half its NVLink/PCIe figures; the NIC of its SXM/PCIe rows.
LINK_BY_FORM = {"sxm": 300.0, "pcie": 32.0, "oam": 448.0}
NIC_BY_FORM = {"sxm": 25.0, "pcie": 3.125, "oam": 50.0}


@dataclass
class PhaseSection:
    """Phase points ``KP`` with capacity, power per GPU and latencies (empty when off)."""

    points: list[PhasePoint] = field(default_factory=list)
    cap: dict[PhasePoint, float] = field(default_factory=dict)  # output tokens/s per replica
    power_kw: dict[PhasePoint, float] = field(default_factory=dict)  # per GPU, in the phase
    ttft_s: dict[PhasePoint, float] = field(default_factory=dict)  # prefill + transfer
    tpot_s: dict[PhasePoint, float] = field(default_factory=dict)  # decode step
    transfer_s: dict[PhasePoint, float] = field(default_factory=dict)  # KV of the batch


@lru_cache(maxsize=1)
def nic_gbs() -> dict[str, float]:
    """gpu -> scale-out NIC GB/s per GPU and direction (``perf/interconnect.csv``
    ``nic_gbs``, sourced): the path of a KV cache between hosts."""
    from ecoserve_opt.perf.roofline import _read_spec

    rows = _read_spec("interconnect.csv")
    return {r["gpu"]: float(r["nic_gbs"]) for r in rows if (r.get("nic_gbs") or "").strip()}


def path_gbs(gpu: GpuType, path: str) -> float:
    """Bandwidth (GB/s per GPU and direction) of a KV-cache path from GPUs of type ``gpu``."""
    from ecoserve_opt.perf.roofline import INTERCONNECT_GBS

    if path == "nvlink":
        if gpu.gpu in INTERCONNECT_GBS:
            return INTERCONNECT_GBS[gpu.gpu][0] / 2.0  # datasheet figures are bidirectional
        return LINK_BY_FORM.get(gpu.form_factor, LINK_BY_FORM["pcie"])
    if gpu.gpu in nic_gbs():
        return nic_gbs()[gpu.gpu]
    return NIC_BY_FORM.get(gpu.form_factor, NIC_BY_FORM["pcie"])


def phase_utilisation(
    llm: Any, gpu: Any, tp: int, batch: int, n_in: int, n_out: int
) -> tuple[float, float] | None:
    """The calibrated roofline's GPU utilisation in prefill and in decode (``None`` without
    roofline specs)."""
    if llm is None or gpu is None:
        return None
    from ecoserve_opt.perf.roofline import CALIBRATION as cal
    from ecoserve_opt.perf.roofline import gpu_decode_ms, gpu_prefill_ms

    ttft, busy_p = gpu_prefill_ms(llm, gpu, tp, batch, n_in, cal)
    tpot, busy_d = gpu_decode_ms(llm, gpu, tp, batch, n_in + n_out / 2.0, cal)
    return min(1.0, cal.power_prefill * busy_p / ttft), min(1.0, cal.power_decode * busy_d / tpot)


def phase_power(
    util: tuple[float, float] | None,
    ttft: float,
    tpot: float,
    n_out: int,
    power_kw: float,
    g: GpuType,
) -> tuple[float, float]:
    r"""(prefill, decode) power per GPU (kW) from the request-averaged ``power_kw``.

    The dynamic part :math:`P_b - P^{idle}` is shared in the ratio of the phases'
    utilisations ``util`` with time weights ``ttft`` and ``n_out`` x ``tpot``, so
    :math:`P^{pre} T^{pre} + P^{dec} O T^{dec} = P_b (T^{pre} + O T^{dec})` (the energy of a
    request is kept); a phase above the TDP is capped and the rest of the energy goes to
    the other phase. Both ``power_kw`` without ``util``.
    """
    if util is None:
        return power_kw, power_kw
    u_p, u_d = util
    t_p, t_d = ttft, n_out * tpot
    u = (t_p * u_p + t_d * u_d) / (t_p + t_d)
    if u <= 0:
        return power_kw, power_kw
    dyn = max(power_kw - g.idle_kw, 0.0)
    pre, dec = g.idle_kw + dyn * u_p / u, g.idle_kw + dyn * u_d / u
    energy = power_kw * (t_p + t_d)
    if pre > g.tdp_kw:
        pre = g.tdp_kw
        dec = (energy - pre * t_p) / t_d
    elif dec > g.tdp_kw:
        dec = g.tdp_kw
        pre = (energy - dec * t_d) / t_p
    return pre, dec


def phase_section(
    s: Scenario,
    cat: Catalog,
    gpus: dict[str, GpuType],
    hosts: dict[str, HostItem],
    host_gpu: list[HostGpu],
    file: str,
) -> PhaseSection:
    """Prefill and decode points of every online LLM (module docstring); empty unless
    ``pillars.split_phases``. A TP group fits inside one host, as for co-located replicas."""
    sec = PhaseSection()
    if not s.pillars.split_phases:
        return sec
    max_slots: dict[str, int] = {}
    for hid, gid in host_gpu:
        if gid != NO_GPU:
            max_slots[gid] = max(max_slots.get(gid, 0), hosts[hid].gpu_slots)
    prof = select_engine(cat.profiles.reset_index(), s.profiles.engine, file)
    prof = prof[prof["gpu"].isin(list(gpus)) & prof["tp"].isin(s.hardware.tp_degrees)]
    if s.hardware.batches is not None:
        prof = prof[prof["batch"].isin(s.hardware.batches)]
    llm_spec, gpu_spec = _roofline_specs(cat)
    scale = power_scale(s, cat, file)
    keep = capped_filter(s, cat, gpus, file)  # capped GPUs: measured domain (data/power_cap.py)
    for llm, spec in s.llms.items():
        if spec.online is None:
            continue
        on = spec.online
        llm_row = cat.row("llms", llm)
        weights = float(llm_row["weights_gb"])
        kvb = float(llm_row.get("kv_bytes_per_token", 0.0))
        n_in, n_out = on.input_tokens, on.output_tokens
        floor: dict[tuple[str, int], tuple[float, float]] = {}  # running max over batch
        rows = prof[prof["llm"] == llm]
        for key, grp in rows.groupby(["gpu", "tp", "batch"]):  # batches ascending
            gpu, tp, batch = key  # type: ignore[misc]
            g = gpus[str(gpu)]
            t, b = int(tp), int(batch)  # type: ignore[call-overload]
            if t > max_slots.get(g.gpu, 0):
                continue
            ref = _gpu_reference(llm_spec.get(llm), gpu_spec.get(g.gpu), t, b)
            point = _profile_point(grp, n_in, n_out, b, ref, g.tdp_kw)
            if point is None:
                continue
            ttft, tpot, power_kw, _cap = point
            if scale is not None:  # profiles.power (data/power_mode.py)
                power_kw = min(power_kw * scale(llm, g.gpu, t, b, "bf16", n_in, n_out), g.tdp_kw)
            lo_ttft, lo_tpot = floor.get((g.gpu, t), (0.0, 0.0))
            ttft, tpot = max(ttft, lo_ttft), max(tpot, lo_tpot)
            floor[(g.gpu, t)] = (ttft, tpot)
            util = phase_utilisation(llm_spec.get(llm), gpu_spec.get(g.gpu), t, b, n_in, n_out)
            p_pre, p_dec = phase_power(util, ttft, tpot, n_out, max(power_kw, g.idle_kw), g)
            budget = KV_MEMORY_FRACTION * g.memory_gb
            if weights / t + b * n_in * kvb / t / 1e9 <= budget:
                for path in PATHS:
                    tau = b * n_in * kvb / (t * path_gbs(g, path) * 1e9)
                    if ttft + tau > on.ttft_slo:
                        continue
                    k = PhasePoint(llm, g.gpu, t, b, "prefill", path)
                    _add(sec, k, b * n_out / max(ttft, tau), p_pre, ttft + tau, tpot, tau)
            if keep is not None and not keep(llm, g.gpu, t, b, "bf16", n_in, n_out):
                continue  # a capped decode point outside the measured domain
            if weights / t + b * (n_in + n_out) * kvb / t / 1e9 <= budget and tpot <= on.tpot_slo:
                k = PhasePoint(llm, g.gpu, t, b, "decode", NO_PATH)
                _add(sec, k, b / tpot, p_dec, ttft, tpot, 0.0)
    sec.points.sort()
    return sec


def _add(
    sec: PhaseSection,
    k: PhasePoint,
    cap: float,
    power_kw: float,
    ttft: float,
    tpot: float,
    tau: float,
) -> None:
    sec.points.append(k)
    sec.cap[k], sec.power_kw[k] = cap, power_kw
    sec.ttft_s[k], sec.tpot_s[k], sec.transfer_s[k] = ttft, tpot, tau


def phase_capacity_factors(
    s: Scenario,
    sec: PhaseSection,
    online_demand: dict[tuple[str, int, int], float],
    burst: dict[tuple[str, int, int], float],
) -> dict[tuple[str, str, int, int, str, str, int, int], float]:
    r"""Online headroom on the capacity of every phase point per (year, slot), the same
    rule as co-located points (``online.headroom_rule``; ``data/demand.py``).

    ``minute-peak``: the burst factor :math:`\beta`. ``queueing``: the pool's :math:`n b`
    batch slots are an M/G/c queue (:mod:`ecoserve_opt.queueing`) at the busiest minute's
    rate :math:`\beta\lambda_h`; a prefill slot is busy :math:`S = \max(T^{pre}_b, \tau_b)`
    per request and a request may wait the TTFT slack
    :math:`\mathrm{TTFT^{slo}} - T^{pre}_b - \tau_b`; a decode slot is busy
    :math:`S = O\,T^{dec}_b` and a request may not wait (slack 0: the TTFT slack is spent
    on the prefill side; conservative); the factor is :math:`\max(1, c^\ast/(\lambda_h S))`.
    Keys ``(*phase point, year, slot)``; factors equal to 1 are left out.
    """
    from ecoserve_opt.queueing import slots_needed

    out: dict[tuple[str, str, int, int, str, str, int, int], float] = {}
    for llm, y, sl, on, dem, beta, cv2 in headroom_demands(s, online_demand, burst):
        rate = dem / on.output_tokens  # requests/s of the peak hour
        for k in sec.points:
            if k.llm != llm:
                continue
            if on.headroom_rule == "minute-peak":
                f = beta
            else:
                if k.phase == "prefill":
                    svc = on.output_tokens * k.batch / sec.cap[k]  # max(T_pre, tau)
                    slack, cs2 = max(on.ttft_slo - sec.ttft_s[k], 0.0), 0.0
                else:
                    svc, slack, cs2 = on.output_tokens * sec.tpot_s[k], 0.0, cv2
                c = slots_needed(beta * rate * svc, slack / svc, 1.0 - on.attainment_target, cs2)
                f = max(1.0, c / (rate * svc))
            if f != 1.0:
                out[(*k, y, sl)] = f
    return out
