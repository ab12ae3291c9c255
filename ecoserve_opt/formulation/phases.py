r"""Phase-level Rightsize (``pillars.split_phases``): prefill and decode pools.

Variables (empty when the switch is off)

* :math:`n^{ph}_{lgt\phi y} \in \mathbb{Z}_+`: replicas of the :math:`\phi` pool
  (``prefill``/``decode``) of LLM :math:`l` on :math:`t` GPUs of type :math:`g`
  (``n_phase`` over ``RP x Y``);
* :math:`x^{ph}_{qys} \ge 0`: online requests, as output tokens/s, through phase point
  :math:`q = (l,g,t,b,\phi,\pi)` (:math:`\pi` the KV-cache path of a prefill point) in
  year :math:`y`, slot :math:`s` (``xp`` over ``XP``).

Constraint families: :func:`add_phase_capacity`, :func:`add_phase_bound`, :func:`add_phase_balance`,
:func:`add_intra_host_path`. The prefill rates join the online demand
(``serving.add_online_demand``), the phase pools' GPUs ``gpus_for_replicas``, their weights
the staged copies and checkpoints (``staging``), their power ``power_balance`` and their
latency the ``latency`` metric (``carbon``). Capacities, SLO filters and per-phase power
are precomputed in data/phases.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyomo.core as pyo

from ecoserve_opt.data import ModelData
from ecoserve_opt.data.keys import PhaseServe
from ecoserve_opt.formulation._linear import Terms
from ecoserve_opt.formulation.sets import Index


@dataclass(frozen=True)
class PhaseServing:
    """The ``XP`` keys and, per (llm, year, slot), the online rate the split pools serve."""

    xp: list[PhaseServe]
    served: dict[tuple[str, int, int], Terms]


def add_phases(m: pyo.ConcreteModel, d: ModelData, ix: Index) -> PhaseServing:
    """Add the phase-pool variables and constraints (see module docstring) to ``m``."""
    xp = [PhaseServe(*k, y, s) for k in ix.kp for y in d.years for s in d.slots]
    m.XP = pyo.Set(initialize=xp, dimen=8, ordered=True)
    m.xp = pyo.Var(m.XP, domain=pyo.NonNegativeReals)
    m.n_phase = pyo.Var(m.RP, m.Y, domain=pyo.NonNegativeIntegers)
    add_phase_capacity(m, d, xp)
    add_phase_bound(m, d, ix)
    served = add_phase_balance(m, xp)
    add_intra_host_path(m, xp)
    return PhaseServing(xp, served)


def add_phase_capacity(m: pyo.ConcreteModel, d: ModelData, xp: list[PhaseServe]) -> None:
    r"""Time-sharing of a phase replica over its points (:math:`\kappa_q` output tokens/s
    of one replica at point :math:`q`).

    .. math:: \sum_{b,\pi} f_{qys}\, x^{ph}_{qys} / \kappa_q \le n^{ph}_{lgt\phi y},
        \quad q = (l,g,t,b,\phi,\pi)

    with :math:`f \ge 1` the online headroom factor of the phase point
    (``data/phases.phase_capacity_factors``, the co-located points' rule).

    Component ``phase_capacity`` over ``RP x Y x S``.
    """
    by_rep: dict[tuple[str, str, int, str, int, int], list[PhaseServe]] = {}
    for k in xp:
        by_rep.setdefault((k.llm, k.gpu, k.tp, k.phase, k.year, k.slot), []).append(k)

    def cap(_m: pyo.ConcreteModel, l_: str, g: str, t: int, ph: str, y: int, s: int) -> object:
        keys = by_rep.get((l_, g, t, ph, y, s))
        if not keys:
            return pyo.Constraint.Skip
        t_ = Terms().extend(
            (d.phase_capacity_factor.get(k, 1.0) / d.phase_cap[k.point], m.xp[k]) for k in keys
        )
        return t_.expr((-1.0, m.n_phase[l_, g, t, ph, y])) <= 0.0

    m.phase_capacity = pyo.Constraint(m.RP, m.Y, m.S, rule=cap)


def add_phase_bound(m: pyo.ConcreteModel, d: ModelData, ix: Index) -> None:
    r"""No more replicas in a phase pool than serve the LLM's whole peak online demand at
    the pool's lowest effective capacity (more never help, so the bound cuts no optimum;
    it helps HiGHS' heuristics):

    .. math:: n^{ph}_{lgt\phi y} \le \bar n_{lgt\phi y}\, \sigma + 1, \qquad
        \bar n = \max_s D^{on}_{lys} \,/\, \min_{b,\pi,s} (\kappa_q / f_{qys})

    Component ``phase_bound`` over ``RP x Y``.
    """
    worst: dict[tuple[str, str, int, str, int], float] = {}
    for q in ix.kp:
        for y in d.years:
            for s in d.slots:
                key = (q.llm, q.gpu, q.tp, q.phase, y)
                per = d.phase_capacity_factor.get((*q, y, s), 1.0) / d.phase_cap[q]
                worst[key] = max(worst.get(key, 0.0), per)
    peak = {
        (l_, y): max(v for (l2, y2, _s), v in d.online_demand.items() if (l2, y2) == (l_, y))
        for (l_, y, _s) in d.online_demand
    }

    def bound(_m: pyo.ConcreteModel, l_: str, g: str, t: int, ph: str, y: int) -> object:
        n = peak.get((l_, y), 0.0) * worst.get((l_, g, t, ph, y), 0.0)
        return m.n_phase[l_, g, t, ph, y] <= n * m.demand_scale + 1.0

    m.phase_bound = pyo.Constraint(m.RP, m.Y, rule=bound)


def add_phase_balance(
    m: pyo.ConcreteModel, xp: list[PhaseServe]
) -> dict[tuple[str, int, int], Terms]:
    r"""Every prefilled request is decoded.

    .. math:: \sum_{g,t,b,\pi} x^{ph}_{lgtb,\text{prefill},\pi ys}
        = \sum_{g,t,b} x^{ph}_{lgtb,\text{decode},ys}

    Component ``phase_balance`` over the (llm, year, slot) with phase points. Returns the
    prefill terms per (llm, year, slot): the online rate the split serves.
    """
    pre: dict[tuple[str, int, int], Terms] = {}
    dec: dict[tuple[str, int, int], Terms] = {}
    for k in xp:
        side = pre if k.phase == "prefill" else dec
        side.setdefault((k.llm, k.year, k.slot), Terms()).add(1.0, m.xp[k])
    keys = sorted(set(pre) | set(dec))

    def balance(_m: pyo.ConcreteModel, l_: str, y: int, s: int) -> object:
        t_ = Terms().add_terms(pre.get((l_, y, s), Terms()))
        t_.add_terms(dec.get((l_, y, s), Terms()), scale=-1.0)
        return t_.expr() == 0.0

    m.phase_balance = pyo.Constraint(keys, rule=balance)
    return pre


def add_intra_host_path(m: pyo.ConcreteModel, xp: list[PhaseServe]) -> None:
    r"""A prefill pool sends its KV cache over NVLink (inside a host) only to a decode pool
    of the same GPU type, which must take at least that rate.

    .. math:: \sum_{t,b} x^{ph}_{lgtb,\text{prefill},\text{nvlink},ys}
        \le \sum_{t,b} x^{ph}_{lgtb,\text{decode},ys}

    Component ``phase_nvlink`` over the (llm, gpu, year, slot) with NVLink prefill points.
    """
    nv: dict[tuple[str, str, int, int], Terms] = {}
    dec: dict[tuple[str, str, int, int], Terms] = {}
    for k in xp:
        key = (k.llm, k.gpu, k.year, k.slot)
        if k.phase == "prefill" and k.path == "nvlink":
            nv.setdefault(key, Terms()).add(1.0, m.xp[k])
        elif k.phase == "decode":
            dec.setdefault(key, Terms()).add(1.0, m.xp[k])

    def path(_m: pyo.ConcreteModel, l_: str, g: str, y: int, s: int) -> object:
        t_ = Terms().add_terms(nv[(l_, g, y, s)])
        t_.add_terms(dec.get((l_, g, y, s), Terms()), scale=-1.0)
        return t_.expr() <= 0.0

    m.phase_nvlink = pyo.Constraint(sorted(nv), rule=path)
