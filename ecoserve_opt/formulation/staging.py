r"""Host memory and storage for the served models (Reduce lower bounds from the replicas).

Model-derived host needs per GPU type and year: DRAM for staged weights and offloaded KV
cache (:math:`W_l + \tau\beta_l` per replica, ``host_needs.stage_weights`` and
``kv_offload_tokens``), SSD for checkpoints of each replica. :math:`c_{lhgy} \ge 0` are the
staged weight copies of model :math:`l` (one per replica) held by the hosts of item
:math:`h` carrying GPU type :math:`g` (a continuous split of each replica's copy over those
hosts), so that host-CPU serving on item :math:`h` sees the DRAM they already take
(``cpu_memory``, formulation/cpu_serving.py).

Constraint families: :func:`add_host_ssd_models`, :func:`add_staged_copies`,
:func:`add_host_dram_models`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyomo.core as pyo

from ecoserve_opt.data import NO_GPU, ModelData
from ecoserve_opt.data.bounds import replica_host_needs
from ecoserve_opt.data.keys import Deployment, Staged
from ecoserve_opt.formulation._linear import Terms
from ecoserve_opt.formulation.fleet import component_term, reused
from ecoserve_opt.formulation.sets import Index


@dataclass(frozen=True)
class Staging:
    """What host-CPU serving needs from the staging block."""

    dram_need: dict[str, float]  # GB of host DRAM per replica of each LLM
    staged_by_hy: dict[tuple[str, int], list[Staged]]  # staged copies per (host item, year)


def add_staging(m: pyo.ConcreteModel, d: ModelData, ix: Index) -> Staging:
    """Add the model-derived host needs (see module docstring) to ``m``."""
    dram_need, ssd_need = replica_host_needs(d)
    add_host_ssd_models(m, d, ix, ssd_need)
    spare = spare_dram(m, d, ix)
    staged = add_staged_copies(m, d, ix, spare, dram_need)
    add_host_dram_models(m, staged, spare, dram_need)
    by_hy: dict[tuple[str, int], list[Staged]] = {}
    for c in staged:
        by_hy.setdefault((c.host, c.year), []).append(c)
    return Staging(dram_need, by_hy)


def add_host_ssd_models(
    m: pyo.ConcreteModel, d: ModelData, ix: Index, ssd_need: dict[str, float]
) -> None:
    r"""SSD for the checkpoints of every replica fits the spare SSD of the hosts that carry
    its GPU type.

    .. math:: \sum_{l,t,p} S_l\, n_{lgtpy} + \sum_{l,t,\phi} S_l\, n^{ph}_{lgt\phi y}
        \le \sum_{hL} \big(\mathrm{ssd}_h q + r^{ssd}
        - s^{gpu} n^{on} - s^{host} z\big)_{hgLy}

    Component ``host_ssd_models`` over ``G x Y``.
    """
    hn = d.scenario.host_needs
    deps_by_gy: dict[tuple[str, int], list[Deployment]] = {}
    for k in ix.dep:
        deps_by_gy.setdefault((k.gpu, k.year), []).append(k)

    def rule(_m: pyo.ConcreteModel, g: str, y: int) -> object:
        reps = [r for r in ix.rep if r.gpu == g and ssd_need[r.llm] > 0]
        phase = [rp for rp in ix.rp if rp.gpu == g and ssd_need[rp.llm] > 0]
        deps = deps_by_gy.get((g, y), [])
        if not (reps or phase) or not deps:
            return pyo.Constraint.Skip
        spare: Any = 0.0
        for k in deps:
            it = d.hosts[k.host]
            spare += (
                it.ssd_tb * m.ssds[k]
                + reused(m.reused_ssd, k)
                - hn.ssd_tb_per_gpu * m.gpus_on[k]
                - hn.ssd_tb_per_host * m.z[k]
            )
        need = sum(ssd_need[r.llm] * m.n_rep[(*r, y)] for r in reps)
        need += sum(ssd_need[rp.llm] * m.n_phase[(*rp, y)] for rp in phase)
        return need <= spare

    m.host_ssd_models = pyo.Constraint(m.G, m.Y, rule=rule)


def spare_dram(m: pyo.ConcreteModel, d: ModelData, ix: Index) -> dict[Deployment, Terms]:
    r"""DRAM of each GPU deployment beyond its own and its GPUs' needs, as terms:
    :math:`\mathrm{dimm}_h m + r^{dram} - \rho\,\mathrm{mem}_g n^{on} - M^{host} z`."""
    hn = d.scenario.host_needs
    spare = {
        k: Terms().extend(
            (
                component_term(m, d, "dimms", k, d.hosts[k.host].dimm_gb),
                (-hn.dram_per_gpu_memory * d.gpus[k.gpu].memory_gb, m.gpus_on[k]),
                (-hn.dram_gb_per_host, m.z[k]),
            )
        )
        for k in ix.dep
        if k.gpu != NO_GPU
    }
    for k, t in spare.items():
        if k in m.reused_dram:
            t.add(1.0, m.reused_dram[k])
    return spare


def add_staged_copies(
    m: pyo.ConcreteModel,
    d: ModelData,
    ix: Index,
    spare: dict[Deployment, Terms],
    dram_need: dict[str, float],
) -> list[Staged]:
    r"""Every replica's copy of its model is staged on the hosts that carry its GPU type.

    .. math:: \sum_h c_{lhgy} \ge \sum_{t,p} n_{lgtpy} + \sum_{t,\phi} n^{ph}_{lgt\phi y}

    Set ``STAGED``, variable ``staged`` :math:`c \ge 0`, component ``staged_copies`` over
    the (llm, gpu, year) with replicas that need host DRAM.
    """
    hgy = sorted({(k.host, k.gpu, k.year) for k in spare})
    llms_on_g: dict[str, set[str]] = {}
    for r in ix.rep:
        if dram_need[r.llm] > 0:
            llms_on_g.setdefault(r.gpu, set()).add(r.llm)
    for rp in ix.rp:  # phase pools (split_phases) stage their weights too
        if dram_need[rp.llm] > 0:
            llms_on_g.setdefault(rp.gpu, set()).add(rp.llm)
    staged = [Staged(l_, h, g, y) for (h, g, y) in hgy for l_ in sorted(llms_on_g.get(g, ()))]
    m.STAGED = pyo.Set(initialize=staged, dimen=4, ordered=True)
    m.staged = pyo.Var(m.STAGED, domain=pyo.NonNegativeReals)
    by_lgy: dict[tuple[str, str, int], list[Staged]] = {}
    for c in staged:
        by_lgy.setdefault((c.llm, c.gpu, c.year), []).append(c)
    reps_by_lgy: dict[tuple[str, str, int], list[Any]] = {}
    for r in ix.rep:
        if dram_need[r.llm] > 0:
            for y in d.years:
                reps_by_lgy.setdefault((r.llm, r.gpu, y), []).append(m.n_rep[(*r, y)])
    for rp in ix.rp:
        if dram_need[rp.llm] > 0:
            for y in d.years:
                reps_by_lgy.setdefault((rp.llm, rp.gpu, y), []).append(m.n_phase[(*rp, y)])

    def staged_copies(_m: pyo.ConcreteModel, l_: str, g: str, y: int) -> object:
        t_ = Terms().extend((1.0, m.staged[c]) for c in by_lgy.get((l_, g, y), []))
        t_.extend((-1.0, v) for v in reps_by_lgy[(l_, g, y)])
        return t_.expr() >= 0.0

    m.staged_copies = pyo.Constraint(sorted(reps_by_lgy), rule=staged_copies)
    return staged


def add_host_dram_models(
    m: pyo.ConcreteModel,
    staged: list[Staged],
    spare: dict[Deployment, Terms],
    dram_need: dict[str, float],
) -> None:
    r"""Staged copies (weights and offloaded KV cache) fit the spare DRAM of their hosts.

    .. math:: \sum_l (W_l + \tau\beta_l)\, c_{lhgy} \le \text{spare DRAM}_{hgy}

    Component ``host_dram_models`` over the (host item, GPU type, year) of GPU deployments.
    """
    by_hgy: dict[tuple[str, str, int], list[Staged]] = {}
    for c in staged:
        by_hgy.setdefault((c.host, c.gpu, c.year), []).append(c)
    deps_by_hgy: dict[tuple[str, str, int], list[Deployment]] = {}
    for k in spare:
        deps_by_hgy.setdefault((k.host, k.gpu, k.year), []).append(k)

    def dram_models(_m: pyo.ConcreteModel, h: str, g: str, y: int) -> object:
        cs = by_hgy.get((h, g, y))
        if not cs:
            return pyo.Constraint.Skip
        t_ = Terms().extend((dram_need[c.llm], m.staged[c]) for c in cs)
        for k in deps_by_hgy[(h, g, y)]:
            t_.add_terms(spare[k], scale=-1.0)
        return t_.expr() <= 0.0

    m.host_dram_models = pyo.Constraint(sorted(deps_by_hgy), rule=dram_models)
