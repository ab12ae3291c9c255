r"""Valid inequalities on the replica counts (``solver.cuts``, off by default).

The LP relaxation of the model buys fractional replicas: on ``scenarios/ecoserve_paper.yaml``
4.6 replicas of Llama-3-70B on 4 H100s where any fleet needs 5, and most of the gap between
the LP bound and the optimum is such rounding (the GPUs' static power and embodied carbon).
The rows here are *implied* covering rows of the model, rounded by mixed-integer rounding
(MIR): every integer-feasible solution satisfies them, so the optimum is unchanged and only
fractional points are cut.

**Covering rows.** Write :math:`K^{on}_{rys} = \max_b \kappa_k / f_{kys}` (online points of
replica type :math:`r`) and :math:`K^{off}_r = \max_b \kappa_k` (offline points). In slot
:math:`s` a replica's time is shared by its points (``replica_capacity``), so for any
:math:`u \ge 0` the offline rate plus :math:`u` times the online rate of type :math:`r` is at
most :math:`\max(K^{off}_r, u K^{on}_{rys})\, n_{ry}`. Summing over types, weighting the window
hours of each slot (``offline_demand``) and using ``online_demand``:

.. math::
    \sum_r \underbrace{\sum_s \frac{h^{win}_{ls}}{24}\max(K^{off}_r, u K^{on}_{rys})}_{a_r}
        n_{ry} + \sum_s \frac{h^{win}_{ls}}{24} \sum_{h,b} x^{cpu}_{lhbys}
    \ \ge\ \sigma\Big(\frac{D^{off}_{ly}}{86400} + u \sum_s \frac{h^{win}_{ls}}{24}
        D^{on}_{lys}\Big)

(the *day cover* of LLM :math:`l` in year :math:`y`; :math:`u > 0` only where online and
offline work share replicas: it prices the replica time online work takes from offline
work), and per slot the *online cover*
:math:`\sum_r K^{on}_{rys} n_{ry} \ge \sigma D^{on}_{lys}`.

**Rounding.** For a covering row :math:`\sum_r a_r n_r + \sum_j e_j v_j \ge \beta c` with
integers :math:`n \ge 0`, continuous :math:`v \ge 0` and a divisor :math:`c > 0`, the MIR
inequality with :math:`f_0 = \beta - \lfloor\beta\rfloor > 0`,
:math:`f_r = a_r/c - \lfloor a_r/c \rfloor` is

.. math:: \sum_r \Big(\Big\lfloor\frac{a_r}{c}\Big\rfloor + \frac{\min(f_r, f_0)}{f_0}\Big)
    n_r + \sum_j \frac{e_j}{c f_0} v_j \ \ge\ \lceil\beta\rceil .

It stays valid with any :math:`t \in (0, f_0]` in place of :math:`f_0` (the coefficients only
grow), so it is written with :math:`\hat\beta = \beta - \epsilon`, :math:`F = \lfloor\hat\beta
\rfloor`, :math:`t = \max(\hat\beta - F, \epsilon)` and right-hand side :math:`F + 1`: where
:math:`f_0 \ge \epsilon` this is the MIR with :math:`t \le f_0`; where :math:`f_0 < \epsilon`
the right-hand side is :math:`\lfloor\beta\rfloor \le \beta` and every coefficient is at least
:math:`a_r/c` (resp. :math:`e_j/c`), so the row is implied by the covering row itself.
:math:`\epsilon = 10^{-6}` also absorbs round-off in :math:`\beta`. :math:`\beta` scales with
the mutable demand scale :math:`\sigma`, so the coefficients and the right-hand side are
expressions of it and a re-solve at another ``demand_scale`` stays exact.

**Which rows.** A day cover per :math:`(l, y)` and type :math:`r`, with
:math:`u = K^{off}_r / \max_s K^{on}_{rys}` (the price at which :math:`r` is indifferent) and
divisor :math:`c = a_r`, and an online cover per :math:`(l, y)`, per slot that needs the most
replicas of some type, and per type :math:`r` as divisor :math:`c = K^{on}_{rys}`. Identical
rows are added once. None in slack mode (unmet demand breaks the covering rows); phase pools
(``split_phases``) also serve online demand, so their LLMs get no online cover and day covers
with :math:`u = 0` only.

Components ``cover_day`` and ``cover_online`` (indexed by row number), and ``cover_cpu``
with the variable ``cover_cpu_rate`` (the CPU part of the day covers, :func:`add_cpu_day_rate`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pyomo.core as pyo
from pyomo.core.expr.numeric_expr import NPV_MaxExpression, NPV_MinExpression

from ecoserve_opt.data import ModelData
from ecoserve_opt.data.keys import CpuServe, PoolReplica
from ecoserve_opt.formulation._linear import Terms
from ecoserve_opt.formulation.sets import Index

#: Shift of the scaled right-hand side (see module docstring).
EPS = 1e-6


@dataclass(frozen=True)
class Cover:
    r"""A covering row :math:`\sum_r a_r n_{ry} + \sum_j e_j v_j \ge \sigma b`, to be rounded
    with divisor ``divisor``."""

    year: int
    coefs: dict[PoolReplica, float]
    cont: list[tuple[float, Any]]
    rhs: float
    divisor: float


def mir_coefficients(
    coefs: dict[Any, float], rhs: float, divisor: float
) -> tuple[dict[Any, float], float, float]:
    """The rounded row at a fixed right-hand side (plain numbers; for tests and checks):
    integer coefficients, the multiplier of the continuous coefficients and the
    right-hand side (module docstring)."""
    beta = rhs / divisor - EPS
    floor_b = math.floor(beta)
    t = max(beta - floor_b, EPS)
    out = {}
    for j, a in coefs.items():
        q = a / divisor
        fl = math.floor(q)
        out[j] = fl + min(q - fl, t) / t
    return out, 1.0 / (divisor * t), float(floor_b + 1)


def online_capacity(d: ModelData) -> dict[tuple[PoolReplica, int, int], float]:
    """:math:`K^{on}_{rys}`: the largest online tokens/s one replica of type ``r`` serves
    in ``(y, s)`` (capacity net of the headroom factor)."""
    out: dict[tuple[PoolReplica, int, int], float] = {}
    pool = d.class_pool["online"]
    for k in d.points:
        if k.cls != "online":
            continue
        r = PoolReplica(k.llm, k.gpu, k.tp, pool, k.precision)
        for y in d.years:
            for s in d.slots:
                v = d.cap[k] / d.capacity_factor(k, y, s)
                if v > out.get((r, y, s), 0.0):
                    out[(r, y, s)] = v
    return out


def offline_capacity(d: ModelData) -> dict[PoolReplica, float]:
    """:math:`K^{off}_r`: the largest offline tokens/s one replica of type ``r`` serves."""
    out: dict[PoolReplica, float] = {}
    pool = d.class_pool["offline"]
    for k in d.points:
        if k.cls == "offline":
            r = PoolReplica(k.llm, k.gpu, k.tp, pool, k.precision)
            out[r] = max(out.get(r, 0.0), d.cap[k])
    return out


def _phase_llms(d: ModelData) -> set[str]:
    return {p.llm for p in d.phase_points}


def online_covers(d: ModelData, ix: Index) -> list[Cover]:
    """Online covers (module docstring): per (llm, year), the slots that need the most
    replicas of some type, each rounded with every type's capacity as divisor."""
    kon = online_capacity(d)
    pool = d.class_pool["online"]
    skip = _phase_llms(d)
    types: dict[str, list[PoolReplica]] = {}
    for r in ix.rep:
        if r.pool == pool:
            types.setdefault(r.llm, []).append(r)
    rows: list[Cover] = []
    seen: set[tuple[object, ...]] = set()
    for l_ in d.llms:
        if l_ in skip:
            continue
        for y in d.years:
            dem = {s: d.online_demand.get((l_, y, s), 0.0) for s in d.slots}
            slots: set[int] = set()
            for r in types.get(l_, []):
                need = {s: dem[s] / kon[(r, y, s)] for s in d.slots if (r, y, s) in kon}
                if need and max(need.values()) > 0:
                    slots.add(max(need, key=lambda s: (need[s], -s)))
            for s in sorted(slots):
                coefs = {r: kon[(r, y, s)] for r in types[l_] if (r, y, s) in kon}
                for c in sorted(set(coefs.values())):
                    key = (l_, y, round(dem[s] / c, 9), *(round(a / c, 9) for a in coefs.values()))
                    if key not in seen:
                        seen.add(key)
                        rows.append(Cover(y, coefs, [], dem[s], c))
    return rows


def day_covers(
    m: pyo.ConcreteModel, d: ModelData, ix: Index, cpu: Any | None = None
) -> list[Cover]:
    """Day covers (module docstring): per (llm, year) with offline work and per type ``r``
    of its offline pool, the row at ``r``'s indifference price ``u`` rounded by ``a_r``."""
    kon = online_capacity(d)
    koff = offline_capacity(d)
    pool = d.class_pool["offline"]
    shared = d.class_pool["online"] == pool
    phase = _phase_llms(d)
    types: dict[str, list[PoolReplica]] = {}
    for r in ix.rep:
        if r.pool == pool:
            types.setdefault(r.llm, []).append(r)
    if cpu is None:
        cpu = add_cpu_day_rate(m, d)
    rows: list[Cover] = []
    for (l_, y), vol in sorted(d.offline_demand.items()):
        reps = types.get(l_, [])
        if vol <= 0 or not reps:
            continue
        w = {s: d.offline_slot_hours.get((l_, s), 0.0) / 24.0 for s in d.slots}
        win = [s for s in d.slots if w[s] > 0]
        online = sum(w[s] * d.online_demand.get((l_, y, s), 0.0) for s in win)
        price: dict[PoolReplica, float] = {}
        if shared and l_ not in phase and online > 0:
            for r in reps:
                top = max((kon.get((r, y, s), 0.0) for s in win), default=0.0)
                if koff.get(r, 0.0) > 0 and top > 0:
                    price[r] = koff[r] / top
        pairs = list(price.items()) if price else [(r, 0.0) for r in reps]
        at: dict[float, dict[PoolReplica, float]] = {}
        seen: set[tuple[object, ...]] = set()
        for r0, u in pairs:
            if u not in at:
                by_type = {r: _day_coef(r, u, y, w, win, kon, koff) for r in reps}
                at[u] = {r: v for r, v in by_type.items() if v > 0}
            coefs = at[u]
            if r0 not in coefs:
                continue
            rhs = vol / 86400.0 + u * online
            c = coefs[r0]
            key = (round(rhs / c, 9), *(round(a / c, 9) for a in coefs.values()))
            if key not in seen:
                seen.add(key)
                rows.append(Cover(y, coefs, [(1.0, cpu[l_, y])] if (l_, y) in cpu else [], rhs, c))
    return rows


def _day_coef(
    r: PoolReplica,
    u: float,
    y: int,
    w: dict[int, float],
    win: list[int],
    kon: dict[tuple[PoolReplica, int, int], float],
    koff: dict[PoolReplica, float],
) -> float:
    """:math:`a_r = \\sum_s (h^{win}_s/24) \\max(K^{off}_r, u K^{on}_{rys})`."""
    return sum(w[s] * max(koff.get(r, 0.0), u * kon.get((r, y, s), 0.0)) for s in win)


def add_cpu_day_rate(m: pyo.ConcreteModel, d: ModelData) -> Any:
    r"""The day's offline tokens/s on host CPUs per (llm, year), one variable for the day
    covers (instead of every CPU serving column in each of them).

    .. math:: v_{ly} = \sum_s \frac{h^{win}_{ls}}{24} \sum_{h,b} x^{cpu}_{lhbys}

    Variable ``cover_cpu_rate`` :math:`v \ge 0`, component ``cover_cpu`` over the (llm, year)
    with CPU serving.
    """
    cpu: dict[tuple[str, int], Terms] = {}
    for k in map(CpuServe._make, m.XC):
        w = d.offline_slot_hours.get((k.llm, k.slot), 0.0) / 24.0
        cpu.setdefault((k.llm, k.year), Terms()).add(w, m.xc[k])
    keys = sorted(cpu)
    m.cover_cpu_rate = pyo.Var(keys, domain=pyo.NonNegativeReals)
    m.cover_cpu = pyo.Constraint(
        keys, rule=lambda _m, l_, y: cpu[(l_, y)].expr((-1.0, m.cover_cpu_rate[l_, y])) == 0.0
    )
    return m.cover_cpu_rate


def add_cuts(m: pyo.ConcreteModel, d: ModelData, ix: Index) -> list[Cover]:
    """Add the rounded covering rows ``cover_day`` and ``cover_online`` (module docstring);
    returns the covering rows (before rounding) for the host covers of
    formulation/host_cuts.py."""
    sigma = m.demand_scale
    m.cover_day = pyo.Constraint(pyo.Any)
    m.cover_online = pyo.Constraint(pyo.Any)
    day, online = day_covers(m, d, ix), online_covers(d, ix)
    for comp, rows in ((m.cover_day, day), (m.cover_online, online)):
        for i, row in enumerate(rows):
            if row.rhs > 0:
                comp[i] = mir_row(m, sigma, row)
    return day + online


def mir_row(m: pyo.ConcreteModel, sigma: Any, row: Cover) -> Any:
    """The MIR inequality of ``row`` at the model's demand scale (module docstring)."""
    ints = [(a, m.n_rep[(*r, row.year)]) for r, a in row.coefs.items()]
    return mir_constraint(sigma, ints, row.cont, row.rhs, row.divisor)


def mir_constraint(
    sigma: Any, ints: list[tuple[float, Any]], cont: list[tuple[float, Any]], rhs: float, c: float
) -> Any:
    """The MIR inequality (module docstring) of the covering row
    ``sum a v_int + sum e v_cont >= sigma rhs`` (all terms non-negative) with divisor ``c``."""
    beta = sigma * (rhs / c) - EPS
    floor_b = pyo.floor(beta)
    t = NPV_MaxExpression((beta - floor_b, EPS))
    terms = Terms()
    for a, v in ints:
        q = a / c
        fl = math.floor(q)
        frac = q - fl
        coef: Any = float(fl) if frac <= 0 else fl + NPV_MinExpression((frac, t)) / t
        terms.add(coef, v)
    for e, v in cont:
        terms.add((e / c) / t, v)
    return terms.expr() >= floor_b + 1
