r"""Fleet block: cohorts of new hardware, owned inventory, host deployment and components.

Variables (all non-negative integers unless noted)

* :math:`B^{gpu}_{g y_0 L}`, :math:`B^{host}_{h y_0 L}`: new GPUs / hosts bought;
* :math:`U^{gpu}_{o y} \le \bar N_o`, :math:`U^{host}_{h y} \le \bar N_h`: owned items used;
* :math:`z_{hgLy}`: hosts of item :math:`h`, lifetime class :math:`L`, carrying GPU type
  :math:`g` (or none) in year :math:`y`;
* components per deployment: sockets :math:`k`, DIMMs :math:`m`, SSDs :math:`q`, with
  :math:`\underline{k}_h z \le k \le \overline{k}_h z` (Reduce off or owned:
  :math:`k = \overline{k}_h z`, the full SKU);
* :math:`n^{on}_{hgLy} \ge 0` (continuous): GPUs mounted;
* :math:`r^{dram}_{hgLy}, r^{ssd}_{hgLy} \ge 0`: reused DRAM (GB) / SSD (TB) from the
  inventory pool (GreenSKU-style), new hosts only.

Constraints

.. math::

   \sum_g z_{hgLy} &= \sum_{y_0 \le y < y_0 + L} B^{host}_{h y_0 L}
       \quad(\text{owned: } = U^{host}_{hy}) \\
   n^{on}_{hgLy} &\le \mathrm{slots}_h\, z_{hgLy} \\
   \sum_{h,L} n^{on}_{hgLy} &\le \sum_{y_0 \le y < y_0+L} B^{gpu}_{g y_0 L}
       + \sum_{o: g(o)=g} U^{gpu}_{oy} \\
   \mathrm{cores}_h k &\ge c^{gpu} n^{on} + c^{host} z \\
   \mathrm{dimm}_h m + r^{dram} &\ge \rho\, \mathrm{mem}_g n^{on} + M^{host} z \\
   \mathrm{ssd}_h q + r^{ssd} &\ge s^{gpu} n^{on} + s^{host} z \\
   \sum_{hgL} r^{dram}_{hgLy} &\le \bar R^{dram}, \quad \sum_{hgL} r^{ssd}_{hgLy} \le \bar R^{ssd}
"""

from __future__ import annotations

import pyomo.environ as pyo

from ecoserve_opt.data import NO_GPU, ModelData
from ecoserve_opt.formulation._linear import Terms, lin


def add_fleet(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Add the fleet block (see module docstring) to ``m``."""
    nn = pyo.NonNegativeIntegers
    m.buy_gpu = pyo.Var(m.GC, domain=nn)
    m.buy_host = pyo.Var(m.HC, domain=nn)
    m.use_owned_gpu = pyo.Var(
        m.OG, domain=nn, bounds=lambda _m, o, _y: (0, d.owned_gpus[o]["count"])
    )
    m.use_owned_host = pyo.Var(m.OH, domain=nn, bounds=lambda _m, h, _y: (0, d.owned_host_count[h]))
    m.z = pyo.Var(m.D, domain=nn)
    m.gpus_on = pyo.Var(m.D, domain=pyo.NonNegativeReals)

    def comp(name: str, attr: str) -> None:
        var_keys = [
            k for k in m.D if getattr(d.hosts[k[0]], attr)[0] < getattr(d.hosts[k[0]], attr)[1]
        ]
        setattr(m, f"{name}_var", pyo.Var(var_keys, domain=nn))
        v = getattr(m, f"{name}_var")

        def expr(_m: pyo.ConcreteModel, h: str, g: str, L: int, y: int) -> object:
            lo, hi = getattr(d.hosts[h], attr)
            return v[h, g, L, y] if lo < hi else hi * m.z[h, g, L, y]

        setattr(m, name, pyo.Expression(m.D, rule=expr))

        def lo_rule(_m: pyo.ConcreteModel, h: str, g: str, L: int, y: int) -> object:
            return v[h, g, L, y] >= getattr(d.hosts[h], attr)[0] * m.z[h, g, L, y]

        def hi_rule(_m: pyo.ConcreteModel, h: str, g: str, L: int, y: int) -> object:
            return v[h, g, L, y] <= getattr(d.hosts[h], attr)[1] * m.z[h, g, L, y]

        setattr(m, f"{name}_min", pyo.Constraint(var_keys, rule=lo_rule))
        setattr(m, f"{name}_max", pyo.Constraint(var_keys, rule=hi_rule))

    comp("sockets", "sockets")
    comp("dimms", "dimms")
    comp("ssds", "ssds")

    reuse_keys = [k for k in m.D if not d.hosts[k[0]].owned]
    m.reused_dram = pyo.Var(reuse_keys if d.reused_dram_gb > 0 else [], domain=pyo.NonNegativeReals)
    m.reused_ssd = pyo.Var(reuse_keys if d.reused_ssd_tb > 0 else [], domain=pyo.NonNegativeReals)

    def rdram(h: str, g: str, L: int, y: int) -> object:
        return m.reused_dram[h, g, L, y] if (h, g, L, y) in m.reused_dram else 0.0  # noqa: SIM401

    def rssd(h: str, g: str, L: int, y: int) -> object:
        return m.reused_ssd[h, g, L, y] if (h, g, L, y) in m.reused_ssd else 0.0  # noqa: SIM401

    m.reused_dram_of = rdram  # helpers used by the carbon block
    m.reused_ssd_of = rssd

    # hosts in service
    in_service: dict[tuple[str, int, int], list[tuple[str, int, int]]] = {}
    for h, y0, L in d.host_cohorts:
        for y in d.years:
            if y0 <= y < y0 + L:
                in_service.setdefault((h, L, y), []).append((h, y0, L))
    by_hly: dict[tuple[str, int, int], list[str]] = {}
    for h, g, L, y in m.D:
        by_hly.setdefault((h, L, y), []).append(g)

    def host_balance(_m: pyo.ConcreteModel, h: str, L: int, y: int) -> object:
        t = Terms().extend((1.0, m.z[h, g, L, y]) for g in by_hly[(h, L, y)])
        if d.hosts[h].owned:
            return t.expr((-1.0, m.use_owned_host[h, y])) == 0.0
        t.extend((-1.0, m.buy_host[c]) for c in in_service.get((h, L, y), []))
        return t.expr() == 0.0

    m.host_balance = pyo.Constraint(m.HLY, rule=host_balance)

    def slots(_m: pyo.ConcreteModel, h: str, g: str, L: int, y: int) -> object:
        if g == NO_GPU:
            return pyo.Constraint.Skip
        return m.gpus_on[h, g, L, y] <= d.hosts[h].gpu_slots * m.z[h, g, L, y]

    m.gpu_slots = pyo.Constraint(m.D, rule=slots)
    for k in m.D:
        if k[1] == NO_GPU:
            m.gpus_on[k].fix(0)

    gpu_in_service: dict[tuple[str, int], list[tuple[str, int, int]]] = {}
    for g, y0, L in d.gpu_cohorts:
        for y in d.years:
            if y0 <= y < y0 + L:
                gpu_in_service.setdefault((g, y), []).append((g, y0, L))
    mounted: dict[tuple[str, int], list[tuple[str, str, int, int]]] = {}
    for h, g, L, y in m.D:
        if g != NO_GPU:
            mounted.setdefault((g, y), []).append((h, g, L, y))
    m.mounted = pyo.Expression(
        m.G, m.Y, rule=lambda _m, g, y: lin((1.0, m.gpus_on[k]) for k in mounted.get((g, y), []))
    )
    # mounted GPUs as plain (coef, var) terms, shared by the constraints that need them (the
    # Expression above stays for results; it is not walked inside constraints)
    m.mounted_terms = {
        gy: Terms().extend((1.0, m.gpus_on[k]) for k in keys) for gy, keys in mounted.items()
    }
    owned_by_gy: dict[tuple[str, int], list[tuple[str, int]]] = {}
    for o, y in m.OG:
        owned_by_gy.setdefault((str(d.owned_gpus[o]["gpu"]), y), []).append((o, y))

    def gpu_supply(_m: pyo.ConcreteModel, g: str, y: int) -> object:
        if not mounted.get((g, y)):
            return pyo.Constraint.Skip
        supply = [(-1.0, m.buy_gpu[c]) for c in gpu_in_service.get((g, y), [])]
        supply += [(-1.0, m.use_owned_gpu[oy]) for oy in owned_by_gy.get((g, y), [])]
        return m.mounted_terms[(g, y)].expr(*supply) <= 0.0

    m.gpu_supply = pyo.Constraint(m.G, m.Y, rule=gpu_supply)

    hn = d.scenario.host_needs

    def part(name: str, k: tuple[str, str, int, int], coef: float) -> tuple[float, object]:
        """``coef * component`` as one term: its variable, or ``hi * z`` when fixed."""
        lo, hi = getattr(d.hosts[k[0]], name)
        var = getattr(m, f"{name}_var")
        return (coef, var[k]) if lo < hi else (coef * hi, m.z[k])

    def cores(_m: pyo.ConcreteModel, h: str, g: str, L: int, y: int) -> object:
        k = (h, g, L, y)
        it = d.hosts[h]
        return (
            lin(
                (
                    part("sockets", k, it.cores_per_socket),
                    (-hn.cores_per_gpu, m.gpus_on[k]),
                    (-hn.cores_per_host, m.z[k]),
                )
            )
            >= 0.0
        )

    def dram(_m: pyo.ConcreteModel, h: str, g: str, L: int, y: int) -> object:
        k = (h, g, L, y)
        it = d.hosts[h]
        mem = d.gpus[g].memory_gb if g != NO_GPU else 0.0
        t = Terms().extend(
            (
                part("dimms", k, it.dimm_gb),
                (-hn.dram_per_gpu_memory * mem, m.gpus_on[k]),
                (-hn.dram_gb_per_host, m.z[k]),
            )
        )
        if k in m.reused_dram:
            t.add(1.0, m.reused_dram[k])
        return t.expr() >= 0.0

    def ssd(_m: pyo.ConcreteModel, h: str, g: str, L: int, y: int) -> object:
        k = (h, g, L, y)
        it = d.hosts[h]
        t = Terms().extend(
            (
                part("ssds", k, it.ssd_tb),
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

    def pool(var: pyo.Var, cap: float) -> pyo.Constraint:
        by_y: dict[int, list[object]] = {}
        for k in var:
            by_y.setdefault(k[3], []).append(var[k])

        def rule(_m: pyo.ConcreteModel, y: int) -> object:
            terms = by_y.get(y)
            return lin((1.0, v) for v in terms) <= cap if terms else pyo.Constraint.Skip

        return pyo.Constraint(m.Y, rule=rule)

    m.reused_dram_pool = pool(m.reused_dram, d.reused_dram_gb)
    m.reused_ssd_pool = pool(m.reused_ssd, d.reused_ssd_tb)
