r"""Host-CPU offline serving (Reuse pillar, EcoServe's idle-CPU reuse).

Offline work may run on the CPU sockets of the deployed hosts that the GPUs and the host do
not need (:math:`\kappa^{cpu}` tokens/s of one socket, :math:`\phi` the reserved share).
CPU inference of model :math:`l` on host item :math:`h` holds :math:`W_l` per busy socket; a
copy of :math:`W_l` staged on :math:`h` for GPU replicas of the same model may serve it (never
one of another model): DRAM of :math:`l` on :math:`h` = :math:`W_l \max(\text{busy sockets},
\text{staged copies})` + KV offload of the staged copies.

Constraint families: :func:`add_cpu_copies` (``cpu_copies_busy``, ``cpu_copies_staged``),
:func:`add_cpu_capacity`, :func:`add_cpu_memory`.
"""

from __future__ import annotations

import pyomo.core as pyo

from ecoserve_opt.data import NO_GPU, ModelData
from ecoserve_opt.data.keys import CpuCopies, CpuServe, Deployment
from ecoserve_opt.formulation._linear import Terms
from ecoserve_opt.formulation.fleet import component_term
from ecoserve_opt.formulation.sets import Index
from ecoserve_opt.formulation.staging import Staging

#: CPU serving keys per (host item, year, slot), then per LLM.
ByHostSlot = dict[tuple[str, int, int], dict[str, list[CpuServe]]]


def add_cpu_serving(
    m: pyo.ConcreteModel, d: ModelData, ix: Index, xc: list[CpuServe], staging: Staging
) -> None:
    """Add the host-CPU serving constraints (see module docstring) to ``m``."""
    by_hys: ByHostSlot = {}
    flat: dict[tuple[str, int, int], list[CpuServe]] = {}
    for k in xc:
        by_hys.setdefault((k.host, k.year, k.slot), {}).setdefault(k.llm, []).append(k)
        flat.setdefault((k.host, k.year, k.slot), []).append(k)
    dep_by_hy: dict[tuple[str, int], list[Deployment]] = {}
    for dk in ix.dep:
        dep_by_hy.setdefault((dk.host, dk.year), []).append(dk)
    copies = add_cpu_copies(m, d, by_hys, staging)
    hys = sorted(by_hys)
    add_cpu_capacity(m, d, hys, flat, dep_by_hy)
    add_cpu_memory(m, d, hys, by_hys, dep_by_hy, staging, copies)


def add_cpu_copies(
    m: pyo.ConcreteModel, d: ModelData, by_hys: ByHostSlot, staging: Staging
) -> list[CpuCopies]:
    r"""Copies of :math:`W_l` that CPU serving on host item :math:`h` holds: at least the
    busy sockets and at least the staged copies of the same model.

    .. math:: u_{lhys} \ge \sum_b x^{cpu}_{lhbys}/\kappa^{cpu}_{lhb}, \qquad
        u_{lhys} \ge \sum_g c_{lhgy}

    Variable ``cpu_weight_copies`` :math:`u \ge 0`, components ``cpu_copies_busy``,
    ``cpu_copies_staged`` (only where staged weights may be shared,
    ``host_needs.stage_weights``, and model :math:`l` is staged on :math:`h`).
    """
    share_staged = d.scenario.host_needs.stage_weights
    keys = [
        CpuCopies(l_, h, y, s)
        for (h, y, s), per in sorted(by_hys.items())
        for l_ in sorted(per)
        if share_staged and any(c.llm == l_ for c in staging.staged_by_hy.get((h, y), []))
    ]
    m.cpu_weight_copies = pyo.Var(keys, domain=pyo.NonNegativeReals)

    def copies_busy(_m: pyo.ConcreteModel, l_: str, h: str, y: int, s: int) -> object:
        t_ = Terms().extend((1.0 / d.cpu_cap[k.point], m.xc[k]) for k in by_hys[(h, y, s)][l_])
        return t_.expr((-1.0, m.cpu_weight_copies[l_, h, y, s])) <= 0.0

    def copies_staged(_m: pyo.ConcreteModel, l_: str, h: str, y: int, s: int) -> object:
        t_ = Terms().extend(
            (1.0, m.staged[c]) for c in staging.staged_by_hy.get((h, y), []) if c.llm == l_
        )
        return t_.expr((-1.0, m.cpu_weight_copies[l_, h, y, s])) <= 0.0

    m.cpu_copies_busy = pyo.Constraint(keys, rule=copies_busy)
    m.cpu_copies_staged = pyo.Constraint(keys, rule=copies_staged)
    return keys


def add_cpu_capacity(
    m: pyo.ConcreteModel,
    d: ModelData,
    hys: list[tuple[str, int, int]],
    by_hys: dict[tuple[str, int, int], list[CpuServe]],
    dep_by_hy: dict[tuple[str, int], list[Deployment]],
) -> None:
    r"""CPU serving uses only the sockets the GPUs and the host do not need.

    .. math:: \sum_{l,b} x^{cpu}_{lhbys}/\kappa^{cpu}_{lhb} \le (1-\phi)\sum_{gL} k_{hgLy}
        - \sum_{gL}\frac{c^{gpu} n^{on}_{hgLy} + c^{host} z_{hgLy}}{\mathrm{cores}_h}

    Component ``cpu_capacity`` over the (host item, year, slot) with CPU serving points.
    """
    hn = d.scenario.host_needs

    def cpu_cap(_m: pyo.ConcreteModel, h: str, y: int, s: int) -> object:
        keys = by_hys.get((h, y, s))
        if not keys:
            return pyo.Constraint.Skip
        it = d.hosts[h]
        t_ = Terms().extend((1.0 / d.cpu_cap[k.point], m.xc[k]) for k in keys)
        for k in dep_by_hy.get((h, y), []):
            t_.add(*component_term(m, d, "sockets", k, -(1 - hn.cpu_reserved_fraction)))
            t_.add(hn.cores_per_gpu / it.cores_per_socket, m.gpus_on[k])
            t_.add(hn.cores_per_host / it.cores_per_socket, m.z[k])
        return t_.expr() <= 0.0

    m.cpu_capacity = pyo.Constraint(hys, rule=cpu_cap)


def add_cpu_memory(
    m: pyo.ConcreteModel,
    d: ModelData,
    hys: list[tuple[str, int, int]],
    by_hys: ByHostSlot,
    dep_by_hy: dict[tuple[str, int], list[Deployment]],
    staging: Staging,
    copies: list[CpuCopies],
) -> None:
    r"""CPU serving's weights, the staged copies and the hosts' own needs fit their DRAM.

    .. math:: \sum_l \Big(W_l\, u_{lhys} + \tau\beta_l \sum_g c_{lhgy}\Big) \le
        \text{spare DRAM}_{hy}

    (:math:`W_l \sum_b x^{cpu}/\kappa^{cpu}` for :math:`u` where no staged copy may be
    shared). Component ``cpu_memory`` over the (host item, year, slot) with CPU serving.
    """
    hn = d.scenario.host_needs
    uset = set(copies)
    shared_at: dict[tuple[str, int, int], set[str]] = {}
    for u in copies:
        shared_at.setdefault((u.host, u.year, u.slot), set()).add(u.llm)

    def cpu_mem(_m: pyo.ConcreteModel, h: str, y: int, s: int) -> object:
        per = by_hys.get((h, y, s))
        if not per:
            return pyo.Constraint.Skip
        it = d.hosts[h]
        t_ = Terms()
        for l_, lkeys in per.items():
            w_l = d.llm_weights_gb[l_]
            if (l_, h, y, s) in uset:
                t_.add(w_l, m.cpu_weight_copies[l_, h, y, s])
            else:
                t_.extend((w_l / d.cpu_cap[k.point], m.xc[k]) for k in lkeys)
        shared = shared_at.get((h, y, s), set())
        for c in staging.staged_by_hy.get((h, y), []):
            # the staged copy itself (weights part) is counted in cpu_weight_copies when it
            # is shared; its KV-offload part, and unshared copies, are counted here
            own = staging.dram_need[c.llm] - (d.llm_weights_gb[c.llm] if c.llm in shared else 0.0)
            t_.add(own, m.staged[c])
        for k in dep_by_hy.get((h, y), []):
            mem = d.gpus[k.gpu].memory_gb if k.gpu != NO_GPU else 0.0
            t_.add(*component_term(m, d, "dimms", k, -it.dimm_gb))
            if k in m.reused_dram:
                t_.add(-1.0, m.reused_dram[k])
            t_.add(hn.dram_per_gpu_memory * mem, m.gpus_on[k])
            t_.add(hn.dram_gb_per_host, m.z[k])
        return t_.expr() <= 0.0

    m.cpu_memory = pyo.Constraint(hys, rule=cpu_mem)
