r"""Serving block: replicas, load per operating point, demand.

Variables

* :math:`n_{lgtpy} \in \mathbb{Z}_+`: replicas of LLM :math:`l` on :math:`t` GPUs of type
  :math:`g` in pool :math:`p` (``shared``, or ``online``/``offline`` when classes do not
  share) (``n_rep``); every replica also has a numeric precision :math:`q` (``bf16``
  unless the LLM's ``precisions`` allow ``fp8``/``int8``/``int4``), left out of the
  subscripts below: :math:`(l, g, t)` stands for :math:`(l, g, t, q)` throughout;
* :math:`x_{kys} \ge 0`: output tokens/s served at operating point
  :math:`k = (l,g,t,b,c,q)` in year :math:`y`, slot :math:`s` (offline only in its window)
  (``x`` over ``XK``);
* :math:`x^{cpu}_{lhbys} \ge 0`: offline tokens/s served by the CPUs of host item :math:`h`
  (``xc`` over ``XC``; its constraints are in formulation/cpu_serving.py).

Constraint families, one function each (its docstring has the math):
:func:`add_replica_capacity`, :func:`add_one_gpu_type` (Rightsize off),
:func:`add_gpus_for_replicas`, :func:`add_online_demand`, :func:`add_offline_demand`,
:func:`add_offline_flat` (Shift offline off). Prefill and decode pools
(``pillars.split_phases``) are in formulation/phases.py. The host needs of the served models are in
formulation/staging.py and the host-CPU serving in formulation/cpu_serving.py.

Offline rates are the rate *while running*, during the :math:`h^{win}_{ls}` hours of slot
:math:`s` inside the window (a slot only partly inside the window is credited for its
overlap only). The online demand of a slot is the peak hour within it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyomo.core as pyo

from ecoserve_opt.data import ModelData
from ecoserve_opt.data.keys import (
    CpuServe,
    OfflineDemandKey,
    PhaseReplica,
    PhaseServe,
    PoolReplica,
    Serve,
)
from ecoserve_opt.formulation._linear import Terms, var_data
from ecoserve_opt.formulation.cpu_serving import add_cpu_serving
from ecoserve_opt.formulation.fleet import Fleet
from ecoserve_opt.formulation.phases import add_phases
from ecoserve_opt.formulation.sets import Index
from ecoserve_opt.formulation.staging import add_staging


@dataclass(frozen=True)
class ServingIndex:
    """The served-rate index sets ``XK``, ``XC`` and ``XP`` (phase pools) as labelled keys
    (same order)."""

    xk: list[Serve]
    xc: list[CpuServe]
    xp: list[PhaseServe] = field(default_factory=list)


def add_serving(
    m: pyo.ConcreteModel, d: ModelData, ix: Index, fleet: Fleet, slack: bool = False
) -> ServingIndex:
    """Add the serving block (see module docstring) to ``m``.

    With ``slack=True`` every demand constraint gets a non-negative unmet-demand variable
    (``unmet_online``, ``unmet_offline``) so the model is always feasible; the objective then
    penalises unmet tokens (diagnostics' slack mode).
    """
    sx = add_serving_variables(m, d, ix)
    add_replica_capacity(m, d, sx)
    if d.one_gpu_type:
        add_one_gpu_type(m, d, ix)
    ph = add_phases(m, d, ix)
    sx = ServingIndex(sx.xk, sx.xc, ph.xp)
    add_gpus_for_replicas(m, ix, fleet)
    add_unmet_variables(m, d, slack)
    add_online_demand(m, d, sx, slack, ph.served)
    rate = add_offline_rate(m, d, sx)
    add_offline_demand(m, d, rate, slack)
    if not d.scenario.pillars.shift_offline:
        add_offline_flat(m, d, rate)
    staging = add_staging(m, d, ix)
    add_cpu_serving(m, d, ix, sx.xc, staging)
    return sx


def add_serving_variables(m: pyo.ConcreteModel, d: ModelData, ix: Index) -> ServingIndex:
    r"""``demand_scale`` :math:`\sigma` (mutable), ``n_rep``, ``x`` over ``XK`` and ``xc``
    over ``XC`` (offline rates only in slots with window hours)."""
    m.demand_scale = pyo.Param(initialize=1.0, mutable=True, within=pyo.NonNegativeReals)
    m.n_rep = pyo.Var(m.R, m.Y, domain=pyo.NonNegativeIntegers)
    xk = [
        Serve(*k, y, s)
        for k in ix.k
        for y in d.years
        for s in d.slots
        if not (k.cls == "offline" and d.offline_slot_hours.get((k.llm, s), 0.0) <= 0)
    ]
    m.XK = pyo.Set(initialize=xk, dimen=8, ordered=True)
    m.x = pyo.Var(m.XK, domain=pyo.NonNegativeReals)
    xc = [
        CpuServe(*kc, y, s)
        for kc in ix.kc
        for y in d.years
        for s in d.slots
        if d.offline_slot_hours.get((kc.llm, s), 0.0) > 0
    ]
    m.XC = pyo.Set(initialize=xc, dimen=5, ordered=True)
    m.xc = pyo.Var(m.XC, domain=pyo.NonNegativeReals)
    return ServingIndex(xk, xc)


def add_replica_capacity(m: pyo.ConcreteModel, d: ModelData, sx: ServingIndex) -> None:
    r"""Time-sharing of a replica over its operating points (:math:`\kappa_k` tokens/s of
    one replica at point :math:`k`).

    .. math:: \sum_{b,\,c:\,pool(c)=p} f_{lgtbc\,ys}\, x_{lgtbc\,ys} / \kappa_{lgtbc}
        \le n_{lgtpy}

    :math:`f \ge 1` is the online capacity (headroom) factor of :mod:`ecoserve_opt.queueing`
    (``ModelData.capacity_factor``; 1 for offline points): headroom enlarges the replicas a
    point needs, not the tokens it serves, so energy follows the demand.
    Component ``replica_capacity`` over ``R x Y x S``.
    """
    by_rep: dict[tuple[PoolReplica, int, int], list[Serve]] = {}
    for k in sx.xk:
        r = PoolReplica(k.llm, k.gpu, k.tp, d.class_pool[k.cls], k.precision)
        by_rep.setdefault((r, k.year, k.slot), []).append(k)
    x = var_data(m.x)
    # d.capacity_factor(k.point, y, s) / d.cap[k.point], looked up directly: a serving key
    # is its point followed by its year and slot
    factor: dict[Any, float] = d.online_capacity_factor
    cap: dict[Any, float] = d.cap

    def rep_cap(_m: pyo.ConcreteModel, *idx: object) -> object:
        r, y, s = PoolReplica._make(idx[:-2]), int(idx[-2]), int(idx[-1])  # type: ignore[call-overload]
        keys = by_rep.get((r, y, s))
        if not keys:
            return pyo.Constraint.Skip
        t_ = Terms().extend((factor.get(k, 1.0) / cap[k[:6]], x[k]) for k in keys)
        return t_.expr((-1.0, m.n_rep[(*r, y)])) <= 0.0

    m.replica_capacity = pyo.Constraint(m.R, m.Y, m.S, rule=rep_cap)


def add_one_gpu_type(m: pyo.ConcreteModel, d: ModelData, ix: Index) -> None:
    r"""Rightsize off: one GPU type (chosen by the objective) for all models.

    .. math:: \sum_g \pi_g \le 1, \qquad
        n_{lgtpy} \le (\bar n_{lgtpy}\,\sigma + 1)\, \pi_g

    with binaries :math:`\pi_g` (``gpu_pick``) and :math:`\bar n` the replicas that serve
    the whole peak demand of :math:`l` at its lowest-capacity point on :math:`(g, t)`: more
    replicas than that never help, so the bound cuts no optimum. The TP degree per model
    stays free. Components ``one_gpu_type``, ``one_gpu_type_link`` (over ``R x Y``).
    At most one type is picked (none where no GPU replica type is valid, e.g. demand that
    only CPU sockets can serve; with ``== 1`` such a model was rejected by Pyomo as a
    trivially false constraint).
    """
    min_cap: dict[tuple[str, str, int, str, str], float] = {}
    for k in ix.k:
        key = (k.llm, k.gpu, k.tp, k.cls, k.precision)
        # capacity net of the largest headroom factor of this point in any year and slot
        f = max((d.capacity_factor(k, y, s) for y in d.years for s in d.slots), default=1.0)
        min_cap[key] = min(d.cap[k] / f, min_cap.get(key, float("inf")))
    types = sorted({r.gpu for r in ix.rep})
    m.gpu_pick = pyo.Var(types, domain=pyo.Binary)
    m.one_gpu_type = pyo.Constraint(
        expr=sum(m.gpu_pick[g] for g in types) <= 1 if types else pyo.Constraint.Skip
    )

    def bound(r: PoolReplica, y: int) -> float:
        """Replicas that serve all of ``r.llm``'s demand at its lowest-capacity point."""
        l_, g, t, p, q = r
        n = 0.0
        for c in ("online", "offline"):
            if d.class_pool[c] != p or (l_, g, t, c, q) not in min_cap:
                continue
            if c == "online":
                peak = max(
                    (v for (l2, y2, _s), v in d.online_demand.items() if l2 == l_ and y2 == y),
                    default=0.0,
                )
            else:
                # all of a day's volume in the slot with the fewest window hours is the
                # highest useful rate (offline work is credited only for its window hours)
                hours = [h for (l2, _s), h in d.offline_slot_hours.items() if l2 == l_ and h > 0]
                peak = d.offline_demand.get((l_, y), 0.0) / (3600.0 * min(hours, default=1.0))
            n += peak / min_cap[(l_, g, t, c, q)]
        return n

    def link(_m: pyo.ConcreteModel, *idx: object) -> object:
        r, y = PoolReplica._make(idx[:-1]), int(idx[-1])  # type: ignore[call-overload]
        n = bound(r, y)
        return m.n_rep[(*r, y)] <= (n * m.demand_scale + 1.0) * m.gpu_pick[r.gpu]

    m.one_gpu_type_link = pyo.Constraint(m.R, m.Y, rule=link)


def add_gpus_for_replicas(m: pyo.ConcreteModel, ix: Index, fleet: Fleet) -> None:
    r"""Replicas run on mounted GPUs.

    .. math:: \sum_{l,t,p} t\, n_{lgtpy} + \sum_{l,t,\phi} t\, n^{ph}_{lgt\phi y}
        \le \sum_{hL} n^{on}_{hgLy}

    (:math:`n^{ph}`: phase pools, formulation/phases.py). Component ``gpus_for_replicas``
    over ``G x Y``.
    """
    reps_of_gpu: dict[str, list[PoolReplica]] = {}
    for r in ix.rep:
        reps_of_gpu.setdefault(r.gpu, []).append(r)
    phase_of_gpu: dict[str, list[PhaseReplica]] = {}
    for rp in ix.rp:
        phase_of_gpu.setdefault(rp.gpu, []).append(rp)

    def gpus_used(_m: pyo.ConcreteModel, g: str, y: int) -> object:
        reps, phase = reps_of_gpu.get(g, []), phase_of_gpu.get(g, [])
        if not (reps or phase):
            return pyo.Constraint.Skip
        used = Terms().extend((float(r.tp), m.n_rep[(*r, y)]) for r in reps)
        used.extend((float(rp.tp), m.n_phase[(*rp, y)]) for rp in phase)
        mounted = fleet.mounted.get((g, y))
        if mounted is not None:
            used.add_terms(mounted, scale=-1.0)
        return used.expr() <= 0.0

    m.gpus_for_replicas = pyo.Constraint(m.G, m.Y, rule=gpus_used)


def add_unmet_variables(m: pyo.ConcreteModel, d: ModelData, slack: bool) -> None:
    """Slack mode: unmet online tokens/s per (llm, year, slot) and offline daily-mean
    tokens/s per (llm, year) (``unmet_online``, ``unmet_offline``; empty otherwise)."""
    m.unmet_online = pyo.Var(sorted(d.online_demand) if slack else [], domain=pyo.NonNegativeReals)
    m.unmet_offline = pyo.Var(
        sorted(d.offline_demand) if slack else [], domain=pyo.NonNegativeReals
    )


def add_online_demand(
    m: pyo.ConcreteModel,
    d: ModelData,
    sx: ServingIndex,
    slack: bool,
    split: dict[tuple[str, int, int], Terms] | None = None,
) -> None:
    r"""Online demand of each slot's peak hour is served, by co-located replicas and (with
    ``split_phases``) the prefill pools (``split``: their rate per (llm, year, slot)).

    .. math:: \sum_{g,t,b} x_{lgtb,on,ys} + \sum_{g,t,b,\pi} x^{ph}_{lgtb,\text{prefill},
        \pi ys} \ge \sigma D^{on}_{lys}

    Component ``online_demand`` over the (llm, year, slot) with online demand (infeasible,
    visibly, where no configuration can serve a positive demand).
    """
    on_keys: dict[tuple[str, int, int], list[Serve]] = {}
    for k in sx.xk:
        if k.cls == "online":
            on_keys.setdefault((k.llm, k.year, k.slot), []).append(k)

    x = var_data(m.x)

    def online(_m: pyo.ConcreteModel, l_: str, y: int, s: int) -> object:
        t_ = Terms().extend((1.0, x[k]) for k in on_keys.get((l_, y, s), []))
        if split and (l_, y, s) in split:
            t_.add_terms(split[(l_, y, s)])
        if slack:
            t_.add(1.0, m.unmet_online[l_, y, s])
        if not len(t_):
            # no configuration can serve this demand: keep the model (and this fact) visible
            return (
                pyo.Constraint.Infeasible
                if d.online_demand[(l_, y, s)] > 0
                else (pyo.Constraint.Skip)
            )
        return t_.expr() >= d.online_demand[(l_, y, s)] * m.demand_scale

    m.online_demand = pyo.Constraint(sorted(d.online_demand), rule=online)


def add_offline_rate(
    m: pyo.ConcreteModel, d: ModelData, sx: ServingIndex
) -> dict[tuple[str, int, int], Terms]:
    r"""Offline tokens/s while running, on GPUs and host CPUs, per (llm, year, slot).

    .. math:: \sum_{g,t,b} x_{lgtb,off,ys} + \sum_{h,b} x^{cpu}_{lhbys}

    Expression ``offline_rate`` (for results); the same terms are returned for the demand
    and flat-rate rows (an Expression is not walked inside constraints).
    """
    off_keys: dict[tuple[str, int, int], list[Serve]] = {}
    for k in sx.xk:
        if k.cls != "online":
            off_keys.setdefault((k.llm, k.year, k.slot), []).append(k)
    cpu_keys: dict[tuple[str, int, int], list[CpuServe]] = {}
    for kc in sx.xc:
        cpu_keys.setdefault((kc.llm, kc.year, kc.slot), []).append(kc)

    x = var_data(m.x)

    def off_rate(l_: str, y: int, s: int) -> Terms:
        t_ = Terms().extend((1.0, x[k]) for k in off_keys.get((l_, y, s), []))
        return t_.extend((1.0, m.xc[k]) for k in cpu_keys.get((l_, y, s), []))

    rate = {
        (l_, y, s): off_rate(l_, y, s)
        for (l_, y) in map(OfflineDemandKey._make, d.offline_demand)
        for s in d.slots
    }
    m.offline_rate = pyo.Expression(list(rate), rule=lambda _m, l_, y, s: rate[(l_, y, s)].expr())
    return rate


def add_offline_demand(
    m: pyo.ConcreteModel,
    d: ModelData,
    rate: dict[tuple[str, int, int], Terms],
    slack: bool,
) -> None:
    r"""Offline daily volume is served inside its window (Shift offline: in any window slot).

    .. math:: \sum_s \frac{h^{win}_{ls}}{24}
        \Big(\sum_{g,t,b} x_{lgtb,off,ys} + \sum_{h,b} x^{cpu}_{lhbys}\Big)
        \ge \sigma \frac{D^{off}_{ly}}{86400}

    Component ``offline_demand`` over (llm, year). The daily volume as an average rate
    (tokens/s) keeps coefficients and RHS near 1; a slot is credited only for its hours
    inside the window (rate x overlap hours).
    """

    def offline(_m: pyo.ConcreteModel, l_: str, y: int) -> object:
        t_ = Terms()
        for s in d.slots:
            hours_in = d.offline_slot_hours.get((l_, s), 0.0)
            if hours_in > 0:
                t_.add_terms(rate[(l_, y, s)], scale=hours_in / 24.0)
        if slack:
            t_.add(1.0, m.unmet_offline[l_, y])
        if not len(t_):
            return (
                pyo.Constraint.Infeasible
                if d.offline_demand[(l_, y)] > 0
                else (pyo.Constraint.Skip)
            )
        return t_.expr() >= d.offline_demand[(l_, y)] / 86400.0 * m.demand_scale

    m.offline_demand = pyo.Constraint(sorted(d.offline_demand), rule=offline)


def add_offline_flat(
    m: pyo.ConcreteModel, d: ModelData, rate: dict[tuple[str, int, int], Terms]
) -> None:
    r"""Shift offline off: the offline rate is the same in every window slot.

    .. math:: \text{offline rate}_{lys} = \sigma D^{off}_{ly} / (3600 \cdot
        \textstyle\sum_s h^{win}_{ls})

    Component ``offline_flat`` over the (llm, year, slot) with window hours.
    """
    off = [OfflineDemandKey._make(k) for k in d.offline_demand]
    win_total = {
        k.llm: sum(d.offline_slot_hours.get((k.llm, s), 0.0) for s in d.slots) for k in off
    }

    def flat(_m: pyo.ConcreteModel, l_: str, y: int, s: int) -> object:
        r = d.offline_demand[(l_, y)] / (3600.0 * win_total[l_])
        return rate[(l_, y, s)].expr() == r * m.demand_scale

    m.offline_flat = pyo.Constraint(
        [
            (k.llm, k.year, s)
            for k in off
            for s in d.slots
            if d.offline_slot_hours.get((k.llm, s), 0.0) > 0
        ],
        rule=flat,
    )
