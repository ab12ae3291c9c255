r"""Fleet block: cohorts of new hardware, owned inventory, host deployment and components.

Variables (all non-negative integers unless noted)

* :math:`B^{gpu}_{g y_0 L}`, :math:`B^{host}_{h y_0 L}`: new GPUs / hosts bought
  (``buy_gpu``, ``buy_host``);
* :math:`U^{gpu}_{o y} \le \bar N_o`, :math:`U^{host}_{h y} \le \bar N_h`: owned items used
  (``use_owned_gpu``, ``use_owned_host``);
* :math:`z_{hgLy}`: hosts of item :math:`h`, lifetime class :math:`L`, carrying GPU type
  :math:`g` (or none) in year :math:`y` (``z``);
* components per deployment: sockets :math:`k`, DIMMs :math:`m`, SSDs :math:`q`
  (``sockets``/``dimms``/``ssds``; a variable ``<name>_var`` only where the count is free);
* :math:`n^{on}_{hgLy} \ge 0` (continuous): GPUs mounted (``gpus_on``);
* :math:`r^{dram}_{hgLy}, r^{ssd}_{hgLy} \ge 0`: reused DRAM (GB) / SSD (TB) from the
  inventory pool (GreenSKU-style), new hosts only (``reused_dram``, ``reused_ssd``).

Constraint families, one function each (its docstring has the math): component ranges
(:func:`add_component_ranges`, Reduce), :func:`add_host_balance` (Recycle, Reuse),
:func:`add_gpu_slots`, :func:`add_gpu_supply` (Recycle, Reuse), :func:`add_host_needs`
(Reduce), :func:`add_reused_pools` and :func:`add_reused_in_hosts` (Reuse).
:func:`add_fleet` returns a :class:`Fleet` with the terms the serving and carbon blocks
reuse (passed explicitly, never stored on the model).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyomo.core as pyo

from ecoserve_opt.data import NO_GPU, ModelData
from ecoserve_opt.data.keys import Deployment, GpuCohort, HostCohort, OwnedGpuYear
from ecoserve_opt.formulation._linear import Terms, lin
from ecoserve_opt.formulation.sets import Index

#: Host components with a count range: (model component name, HostItem attribute).
COMPONENTS = ("sockets", "dimms", "ssds")


@dataclass(frozen=True)
class Fleet:
    """What the fleet block hands to the serving and carbon blocks."""

    #: mounted GPUs of type g in year y as (coef, var) terms (``gpu_supply``,
    #: ``gpus_for_replicas``)
    mounted: dict[tuple[str, int], Terms]


def reused(var: pyo.Var, k: tuple[str, str, int, int]) -> Any:
    """``var[k]`` for reused DRAM/SSD of deployment ``k``, or 0.0 where it has none."""
    return var[k] if k in var else 0.0  # noqa: SIM401


def component_term(
    m: pyo.ConcreteModel, d: ModelData, name: str, k: Deployment, coef: float
) -> tuple[float, Any]:
    """``coef * component`` as one term: its variable, or ``hi * z`` when the count is fixed."""
    lo, hi = getattr(d.hosts[k.host], name)
    return (coef, getattr(m, f"{name}_var")[k]) if lo < hi else (coef * hi, m.z[k])


def add_fleet(m: pyo.ConcreteModel, d: ModelData, ix: Index) -> Fleet:
    """Add the fleet block (see module docstring) to ``m``."""
    add_fleet_variables(m, d)
    for name in COMPONENTS:
        add_component_ranges(m, d, ix, name)
    add_reused_variables(m, d, ix)
    add_host_balance(m, d, ix)
    add_gpu_slots(m, d, ix)
    fleet = Fleet(mounted=add_mounted(m, ix))
    add_gpu_supply(m, d, ix, fleet)
    add_host_needs(m, d, ix)
    add_reused_pools(m, d)
    add_reused_in_hosts(m, d)
    return fleet


def add_fleet_variables(m: pyo.ConcreteModel, d: ModelData) -> None:
    r"""Purchases, owned items in use, deployed hosts and mounted GPUs.

    ``buy_gpu`` :math:`B^{gpu}`, ``buy_host`` :math:`B^{host}`, ``use_owned_gpu``
    :math:`0 \le U^{gpu}_{oy} \le \bar N_o`, ``use_owned_host``
    :math:`0 \le U^{host}_{hy} \le \bar N_h`, ``z``, ``gpus_on`` :math:`n^{on} \ge 0`.
    """
    nn = pyo.NonNegativeIntegers
    m.buy_gpu = pyo.Var(m.GC, domain=nn)
    m.buy_host = pyo.Var(m.HC, domain=nn)
    m.use_owned_gpu = pyo.Var(
        m.OG, domain=nn, bounds=lambda _m, o, _y: (0, d.owned_gpus[o]["count"])
    )
    m.use_owned_host = pyo.Var(m.OH, domain=nn, bounds=lambda _m, h, _y: (0, d.owned_host_count[h]))
    m.z = pyo.Var(m.D, domain=nn)
    m.gpus_on = pyo.Var(m.D, domain=pyo.NonNegativeReals)


def add_component_ranges(m: pyo.ConcreteModel, d: ModelData, ix: Index, name: str) -> None:
    r"""Reduce: component count per deployment within the host's range.

    .. math:: \underline{k}_h z_{hgLy} \le k_{hgLy} \le \overline{k}_h z_{hgLy}

    Components ``<name>_min``, ``<name>_max`` on ``<name>_var`` (``name`` one of sockets,
    dimms, ssds), only where :math:`\underline{k}_h < \overline{k}_h`; elsewhere (Reduce off,
    owned hosts) the count is :math:`\overline{k}_h z`, the full SKU. The Expression
    ``<name>`` is the count either way.
    """
    var_keys = [
        k for k in ix.dep if getattr(d.hosts[k.host], name)[0] < getattr(d.hosts[k.host], name)[1]
    ]
    setattr(m, f"{name}_var", pyo.Var(var_keys, domain=pyo.NonNegativeIntegers))
    v = getattr(m, f"{name}_var")

    def expr(_m: pyo.ConcreteModel, h: str, g: str, L: int, y: int) -> object:
        lo, hi = getattr(d.hosts[h], name)
        return v[h, g, L, y] if lo < hi else hi * m.z[h, g, L, y]

    setattr(m, name, pyo.Expression(m.D, rule=expr))

    def lo_rule(_m: pyo.ConcreteModel, h: str, g: str, L: int, y: int) -> object:
        return v[h, g, L, y] >= getattr(d.hosts[h], name)[0] * m.z[h, g, L, y]

    def hi_rule(_m: pyo.ConcreteModel, h: str, g: str, L: int, y: int) -> object:
        return v[h, g, L, y] <= getattr(d.hosts[h], name)[1] * m.z[h, g, L, y]

    setattr(m, f"{name}_min", pyo.Constraint(var_keys, rule=lo_rule))
    setattr(m, f"{name}_max", pyo.Constraint(var_keys, rule=hi_rule))


def add_reused_variables(m: pyo.ConcreteModel, d: ModelData, ix: Index) -> None:
    r"""Reuse: DRAM (GB) and SSD (TB) from the inventory pool in new hosts.

    ``reused_dram`` :math:`r^{dram}_{hgLy} \ge 0`, ``reused_ssd`` :math:`r^{ssd}_{hgLy} \ge 0`
    (empty when the scenario's inventory has none).
    """
    reuse_keys = [k for k in ix.dep if not d.hosts[k.host].owned]
    m.reused_dram = pyo.Var(reuse_keys if d.reused_dram_gb > 0 else [], domain=pyo.NonNegativeReals)
    m.reused_ssd = pyo.Var(reuse_keys if d.reused_ssd_tb > 0 else [], domain=pyo.NonNegativeReals)


def add_host_balance(m: pyo.ConcreteModel, d: ModelData, ix: Index) -> None:
    r"""Hosts deployed = hosts in service (Recycle: cohorts within their lifetime).

    .. math:: \sum_g z_{hgLy} = \sum_{y_0 \le y < y_0 + L} B^{host}_{h y_0 L}
        \quad(\text{owned: } = U^{host}_{hy})

    Component ``host_balance`` over ``HLY``.
    """
    in_service: dict[tuple[str, int, int], list[HostCohort]] = {}
    for c in ix.hc:
        for y in d.years:
            if c.year <= y < c.year + c.life:
                in_service.setdefault((c.host, c.life, y), []).append(c)
    by_hly: dict[tuple[str, int, int], list[str]] = {}
    for k in ix.dep:
        by_hly.setdefault((k.host, k.life, k.year), []).append(k.gpu)

    def host_balance(_m: pyo.ConcreteModel, h: str, L: int, y: int) -> object:
        t = Terms().extend((1.0, m.z[h, g, L, y]) for g in by_hly[(h, L, y)])
        if d.hosts[h].owned:
            return t.expr((-1.0, m.use_owned_host[h, y])) == 0.0
        t.extend((-1.0, m.buy_host[c]) for c in in_service.get((h, L, y), []))
        return t.expr() == 0.0

    m.host_balance = pyo.Constraint(m.HLY, rule=host_balance)


def add_gpu_slots(m: pyo.ConcreteModel, d: ModelData, ix: Index) -> None:
    r"""GPUs mounted fit the hosts' slots.

    .. math:: n^{on}_{hgLy} \le \mathrm{slots}_h\, z_{hgLy}

    Component ``gpu_slots``; :math:`n^{on}` is fixed to 0 on hosts without GPUs.
    """

    def slots(_m: pyo.ConcreteModel, h: str, g: str, L: int, y: int) -> object:
        if g == NO_GPU:
            return pyo.Constraint.Skip
        return m.gpus_on[h, g, L, y] <= d.hosts[h].gpu_slots * m.z[h, g, L, y]

    m.gpu_slots = pyo.Constraint(m.D, rule=slots)
    for k in ix.dep:
        if k.gpu == NO_GPU:
            m.gpus_on[k].fix(0)


def add_mounted(m: pyo.ConcreteModel, ix: Index) -> dict[tuple[str, int], Terms]:
    r"""Mounted GPUs per type and year, :math:`\sum_{hL} n^{on}_{hgLy}` (Expression
    ``mounted``, for results), and the same as plain terms for the constraints that use it
    (an Expression is walked again inside every constraint)."""
    mounted: dict[tuple[str, int], list[Deployment]] = {}
    for k in ix.dep:
        if k.gpu != NO_GPU:
            mounted.setdefault((k.gpu, k.year), []).append(k)
    m.mounted = pyo.Expression(
        m.G, m.Y, rule=lambda _m, g, y: lin((1.0, m.gpus_on[k]) for k in mounted.get((g, y), []))
    )
    return {gy: Terms().extend((1.0, m.gpus_on[k]) for k in keys) for gy, keys in mounted.items()}


def add_gpu_supply(m: pyo.ConcreteModel, d: ModelData, ix: Index, fleet: Fleet) -> None:
    r"""GPUs mounted come from cohorts in service and owned pools (Recycle, Reuse).

    .. math:: \sum_{h,L} n^{on}_{hgLy} \le \sum_{y_0 \le y < y_0+L} B^{gpu}_{g y_0 L}
        + \sum_{o: g(o)=g} U^{gpu}_{oy}

    Component ``gpu_supply`` over ``G x Y`` (skipped where nothing is mounted).
    """
    gpu_in_service: dict[tuple[str, int], list[GpuCohort]] = {}
    for c in ix.gc:
        for y in d.years:
            if c.year <= y < c.year + c.life:
                gpu_in_service.setdefault((c.gpu, y), []).append(c)
    owned_by_gy: dict[tuple[str, int], list[OwnedGpuYear]] = {}
    for o in ix.og:
        owned_by_gy.setdefault((str(d.owned_gpus[o.pool]["gpu"]), o.year), []).append(o)

    def gpu_supply(_m: pyo.ConcreteModel, g: str, y: int) -> object:
        mounted = fleet.mounted.get((g, y))
        if not mounted:
            return pyo.Constraint.Skip
        supply = [(-1.0, m.buy_gpu[c]) for c in gpu_in_service.get((g, y), [])]
        supply += [(-1.0, m.use_owned_gpu[oy]) for oy in owned_by_gy.get((g, y), [])]
        return mounted.expr(*supply) <= 0.0

    m.gpu_supply = pyo.Constraint(m.G, m.Y, rule=gpu_supply)


def add_host_needs(m: pyo.ConcreteModel, d: ModelData, ix: Index) -> None:
    r"""Reduce: each deployment's cores, DRAM and SSD cover its GPUs' and its own needs.

    .. math::

       \mathrm{cores}_h k &\ge c^{gpu} n^{on} + c^{host} z \\
       \mathrm{dimm}_h m + r^{dram} &\ge \rho\, \mathrm{mem}_g n^{on} + M^{host} z \\
       \mathrm{ssd}_h q + r^{ssd} &\ge s^{gpu} n^{on} + s^{host} z

    Components ``host_cores``, ``host_dram``, ``host_ssd`` over ``D`` (the needs of the
    served models are ``host_ssd_models`` and ``host_dram_models``, formulation/staging.py).
    """
    hn = d.scenario.host_needs

    def cores(_m: pyo.ConcreteModel, h: str, g: str, L: int, y: int) -> object:
        k = Deployment(h, g, L, y)
        it = d.hosts[h]
        return (
            lin(
                (
                    component_term(m, d, "sockets", k, it.cores_per_socket),
                    (-hn.cores_per_gpu, m.gpus_on[k]),
                    (-hn.cores_per_host, m.z[k]),
                )
            )
            >= 0.0
        )

    def dram(_m: pyo.ConcreteModel, h: str, g: str, L: int, y: int) -> object:
        k = Deployment(h, g, L, y)
        it = d.hosts[h]
        mem = d.gpus[g].memory_gb if g != NO_GPU else 0.0
        t = Terms().extend(
            (
                component_term(m, d, "dimms", k, it.dimm_gb),
                (-hn.dram_per_gpu_memory * mem, m.gpus_on[k]),
                (-hn.dram_gb_per_host, m.z[k]),
            )
        )
        if k in m.reused_dram:
            t.add(1.0, m.reused_dram[k])
        return t.expr() >= 0.0

    def ssd(_m: pyo.ConcreteModel, h: str, g: str, L: int, y: int) -> object:
        k = Deployment(h, g, L, y)
        it = d.hosts[h]
        t = Terms().extend(
            (
                component_term(m, d, "ssds", k, it.ssd_tb),
                (-hn.ssd_tb_per_gpu, m.gpus_on[k]),
                (-hn.ssd_tb_per_host, m.z[k]),
            )
        )
        if k in m.reused_ssd:
            t.add(1.0, m.reused_ssd[k])
        return t.expr() >= 0.0

    m.host_cores = pyo.Constraint(m.D, rule=cores)
    m.host_dram = pyo.Constraint(m.D, rule=dram)
    m.host_ssd = pyo.Constraint(m.D, rule=ssd)


def add_reused_pools(m: pyo.ConcreteModel, d: ModelData) -> None:
    r"""Reuse: reused DRAM/SSD per year within the inventory's pool.

    .. math:: \sum_{hgL} r^{dram}_{hgLy} \le \bar R^{dram}, \quad
        \sum_{hgL} r^{ssd}_{hgLy} \le \bar R^{ssd}

    Components ``reused_dram_pool``, ``reused_ssd_pool`` over ``Y``.
    """

    def pool(var: pyo.Var, cap: float) -> pyo.Constraint:
        by_y: dict[int, list[object]] = {}
        for k in var:
            by_y.setdefault(Deployment(*k).year, []).append(var[k])

        def rule(_m: pyo.ConcreteModel, y: int) -> object:
            terms = by_y.get(y)
            return lin((1.0, v) for v in terms) <= cap if terms else pyo.Constraint.Skip

        return pyo.Constraint(m.Y, rule=rule)

    m.reused_dram_pool = pool(m.reused_dram, d.reused_dram_gb)
    m.reused_ssd_pool = pool(m.reused_ssd, d.reused_ssd_tb)


def add_reused_in_hosts(m: pyo.ConcreteModel, d: ModelData) -> None:
    r"""Reuse: reused DRAM/SSD only in deployments that have hosts.

    .. math:: r^{dram}_{hgLy} \le \bar R^{dram} z_{hgLy}, \quad
        r^{ssd}_{hgLy} \le \bar R^{ssd} z_{hgLy}

    (:math:`\bar R` the inventory's pool, which already bounds every :math:`r`). Without
    these rows a solution within the MIP gap may "install" reused DRAM in a deployment of
    zero hosts: its power is charged in the objective, but no host exists to report it
    (``results`` lists deployments with hosts only), so the reported carbon fell below the
    objective (150 kg on ``scenarios/ecoserve_paper.yaml``). Only such solutions are cut
    off; every fleet with the reused parts in real hosts is unchanged.

    Components ``reused_dram_hosts``, ``reused_ssd_hosts`` over the reuse keys.
    """

    def link(var: pyo.Var, cap: float) -> pyo.Constraint:
        def rule(_m: pyo.ConcreteModel, *k: Any) -> object:
            return lin(((1.0, var[k]), (-cap, m.z[k]))) <= 0.0

        return pyo.Constraint(list(var.keys()), rule=rule)

    m.reused_dram_hosts = link(m.reused_dram, d.reused_dram_gb)
    m.reused_ssd_hosts = link(m.reused_ssd, d.reused_ssd_tb)
