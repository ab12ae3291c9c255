r"""Power, energy, carbon, cost and performance metrics.

IT power (at the wall) of year :math:`y`, slot :math:`s` (kW), a variable :math:`P_{ys}` so
that grid intensity enters the objective through only :math:`|Y||S|` mutable coefficients.
Static powers :math:`\pi` are idle (in service, no load) DC powers times the host's
:math:`1 + \lambda^{psu}`; load power carries :math:`\phi = (1 + \lambda^{psu})(1 + s^{fan})`
(PSU loss and the fans' share, see ``catalog/host_power.py``), folded into
:math:`\pi_k - \pi^{gpu,idle}_g` (largest :math:`\phi` of the hosts that carry GPU :math:`g`)
and :math:`\pi^{cpu,dyn}` (which includes the DIMMs' power for the CPU's memory traffic):

.. math::

   P_{ys} = \sum_{hgLy} \big(\pi^{gpu,idle}_g n^{on} + \pi^{base}_h z + \pi^{cpu,idle}_h k
            + \pi^{dimm}_h m + \pi^{ssd}_h q + \pi^{rd} r^{dram} + \pi^{rs} r^{ssd}\big)
          + \sum_{k=(l,g,t,b,c)} \delta_{ks}\, t\,(\pi_k - \pi^{gpu,idle}_g)\, x_{kys}/\kappa_k
          + \sum_{lhb} \delta_{ls}\, \pi^{cpu,dyn}_{lhb}\, x^{cpu}_{lhbys}/\kappa^{cpu}_{lhb}
          + \sum_{q=(l,g,t,b,\phi,\pi)} t\,(\pi^{ph}_q - \pi^{gpu,idle}_g)\, x^{ph}_{qys}/\kappa_q

(the last sum: phase pools of ``split_phases``, at each phase's power), with
:math:`\delta` the duty factor: 1 for online work, the share of the slot's hours inside
the window for offline work (which runs only then).

Operational carbon :math:`\sum_{ys} w\, \mathrm{PUE}\, \mathrm{CI}_{ys}\, \sigma\, P_{ys}`
with :math:`w` = hours per year a slot stands for and :math:`\sigma` a mutable scale (sweeps).

Embodied carbon, amortised linearly over the chosen lifetime and charged for each year in
service within the horizon; a cohort's lifetime carries the replacement (spares) factor
:math:`\omega_L` of failures with age, relative to the catalog lifetime (``recycle.ageing``,
:func:`ecoserve_opt.lifetime.ageing_factor`; 1 at the catalog lifetime):

.. math::

   E = \sum_y \Big[\sum_{(g,y_0,L)\ni y} \frac{\omega_L E^{gpu}_g}{L} B^{gpu}
       + \sum_{oy} \frac{\eta E^{gpu}_{g(o)}}{L^{cat}} U^{gpu}_{oy}
       + \sum_{hgL} \frac{\omega_L \eta_h}{L}\big(E^{base}_h z + E^{cpu}_h k
       + E^{dram}_h \mathrm{dimm}_h m + E^{ssd}_h \mathrm{ssd}_h q\big)\Big]

(:math:`\eta` = residual share charged for owned items, 1 for new ones). With Recycle's
steady-state lifetime accounting, carbon also carries the obsolescence charge of lifetimes
other than the catalog's (:func:`add_obsolescence`): carbon = operational + embodied +
obsolescence. Cost uses the same
amortisation on capex (owned items are sunk) plus electricity price x facility energy.
Latency (performance metric) is the mean per-output-token latency of online traffic,
:math:`\sum x_k (\mathrm{TTFT}_k/O + \mathrm{TPOT}_k) / \sum D^{on}`. GPU-hours are
:math:`8760 \sum_{hgLy} n^{on}_{hgLy}` (GPUs stay mounted all year, whatever the slots).
"""

from __future__ import annotations

from typing import Any

import pyomo.core as pyo

from ecoserve_opt.data import NO_GPU, ModelData
from ecoserve_opt.data.keys import Deployment, GpuCohort, PhasePoint
from ecoserve_opt.formulation._linear import Terms, lin, var_data
from ecoserve_opt.formulation.serving import ServingIndex
from ecoserve_opt.formulation.sets import Index

#: Per deployment, ``(multiplier, variable)`` with component count = multiplier * var.
ComponentTerms = dict[str, dict[Deployment, tuple[float, Any]]]


def add_carbon(m: pyo.ConcreteModel, d: ModelData, ix: Index, sx: ServingIndex) -> None:
    """Add power, energy, carbon, cost and latency to ``m`` (see module docstring)."""
    add_accounting_params(m, d)
    # Host components as (coef, var) terms: a free component is its variable, a fixed one
    # (Reduce off, owned) is hi * z -- the ``m.sockets``/``m.dimms``/``m.ssds`` Expressions
    # stay for reading results but are not walked inside constraints.
    comp = {part: _component_terms(m, d, ix, part) for part in ("sockets", "dimms", "ssds")}
    add_power_balance(m, d, ix, sx, comp)
    add_operational(m, d)
    add_obsolescence(m, d, ix, comp)
    capex = add_embodied(m, d, ix, comp)
    add_cost(m, capex)
    add_latency(m, d, sx)
    add_gpu_hours(m, d, ix)


def add_accounting_params(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Mutable Params a study changes without a rebuild: ``ci`` (kgCO2e/kWh per year and
    slot), ``ci_scale``, ``pue``, ``price`` (USD/kWh)."""
    m.ci = pyo.Param(m.Y, m.S, initialize=lambda _m, y, s: d.ci[(y, s)], mutable=True)
    m.ci_scale = pyo.Param(initialize=1.0, mutable=True)
    m.pue = pyo.Param(initialize=d.pue, mutable=True)
    m.price = pyo.Param(initialize=d.electricity_usd_per_kwh, mutable=True)


def add_power_balance(
    m: pyo.ConcreteModel, d: ModelData, ix: Index, sx: ServingIndex, comp: ComponentTerms
) -> None:
    r"""IT power at the wall per year and slot: static power of the deployed hardware plus
    the load power of the served rates (formula in the module docstring).

    .. math:: P_{ys} = \text{static}_y + \sum_k \delta_{ks}\, t\,(\pi_k - \pi^{gpu,idle}_g)
        \, x_{kys}/\kappa_k + \sum_{lhb} \delta_{ls}\, \pi^{cpu,dyn}_{lhb}\,
        x^{cpu}_{lhbys}/\kappa^{cpu}_{lhb}

    Expression ``static_power`` (per year), variable ``P``, component ``power_balance``
    over ``Y x S``.
    """
    static: dict[int, Terms] = {y: Terms() for y in d.years}
    for k in ix.dep:
        it = d.hosts[k.host]
        t = static[k.year]
        t.extend(host_static_terms(m, d, k, comp))
        if k.gpu != NO_GPU:
            t.add(it.psu_factor * d.gpus[k.gpu].idle_kw, m.gpus_on[k])

    m.static_power = pyo.Expression(m.Y, rule=lambda _m, y: static[y].expr())

    dyn: dict[tuple[int, int], Terms] = {(y, s): Terms() for y in d.years for s in d.slots}
    # offline work runs only in the window hours of a slot: its power is averaged over the
    # slot with the duty factor (window hours in the slot / slot hours)
    x = var_data(m.x)
    for xk in sx.xk:
        p = xk.point
        duty = d.offline_duty(xk.llm, xk.slot) if xk.cls == "offline" else 1.0
        f = d.gpu_dyn_factor.get(xk.gpu, 1.0)
        dyn[(xk.year, xk.slot)].add(
            duty * f * xk.tp * (d.gpu_power_kw[p] - d.gpus[xk.gpu].idle_kw) / d.cap[p], x[xk]
        )
    for q in sx.xp:  # phase pools (split_phases): online, at the phase's power
        pq = q.point
        f = d.gpu_dyn_factor.get(q.gpu, 1.0)
        dyn[(q.year, q.slot)].add(
            f * q.tp * (d.phase_power_kw[pq] - d.gpus[q.gpu].idle_kw) / d.phase_cap[pq], m.xp[q]
        )
    for kc in sx.xc:
        duty = d.offline_duty(kc.llm, kc.slot)
        dyn[(kc.year, kc.slot)].add(duty * d.cpu_dyn_kw[kc.point] / d.cpu_cap[kc.point], m.xc[kc])

    m.P = pyo.Var(m.Y, m.S, domain=pyo.NonNegativeReals)

    def balance(_m: pyo.ConcreteModel, y: int, s: int) -> object:
        t = Terms().add_terms(static[y]).add_terms(dyn[(y, s)])
        return t.expr((-1.0, m.P[y, s])) == 0.0

    m.power_balance = pyo.Constraint(m.Y, m.S, rule=balance)


def add_operational(m: pyo.ConcreteModel, d: ModelData) -> None:
    r"""Facility energy and operational carbon (:math:`w` hours per year a slot stands for).

    .. math:: \text{energy} = \sum_{ys} w\, \mathrm{PUE}\, P_{ys}, \qquad
        \text{operational} = \sum_{ys} w\, \mathrm{PUE}\, \mathrm{CI}_{ys}\, \sigma\, P_{ys}

    Expressions ``energy`` (kWh), ``operational`` (kgCO2e).
    """
    w = d.slot_weight()
    m.energy = pyo.Expression(expr=sum(w * m.pue * m.P[y, s] for y in m.Y for s in m.S))
    m.operational = pyo.Expression(
        expr=sum(w * m.pue * m.ci[y, s] * m.ci_scale * m.P[y, s] for y in m.Y for s in m.S)
    )


def host_static_terms(
    m: pyo.ConcreteModel, d: ModelData, k: Deployment, comp: ComponentTerms
) -> list[tuple[float, Any]]:
    """Static wall power of deployment ``k``'s hosts (base, idle sockets, DIMMs, SSDs,
    reused DRAM/SSD) as ``(kW per unit, variable)`` terms; GPUs not included."""
    it = d.hosts[k.host]
    terms = [
        (it.base_kw, m.z[k]),
        (it.cpu_idle_kw * comp["sockets"][k][0], comp["sockets"][k][1]),
        (it.dimm_kw * comp["dimms"][k][0], comp["dimms"][k][1]),
        (it.ssd_kw * comp["ssds"][k][0], comp["ssds"][k][1]),
    ]
    if k in m.reused_dram:
        terms.append((it.psu_factor * d.reused_dram_kw_per_gb, m.reused_dram[k]))
    if k in m.reused_ssd:
        terms.append((it.psu_factor * d.reused_ssd_kw_per_tb, m.reused_ssd[k]))
    return terms


def add_obsolescence(m: pyo.ConcreteModel, d: ModelData, ix: Index, comp: ComponentTerms) -> None:
    r"""Recycle's obsolescence charge (steady-state lifetime accounting, docs/formulation.md).

    .. math::

       P^{obs}_y = \sum_{(g,y_0,L)\ni y} \Delta\varepsilon^{gpu}_{gL} P^{unit}_g B^{gpu}
           + \sum_{hgL,\,h\,new} \Delta\varepsilon^{host}_{hL}\, P^{static}_{hgLy},
       \qquad \mathrm{obsolescence} = \sum_{ys} w\,\mathrm{PUE}\,\mathrm{CI}_{ys}\,\sigma\,
       P^{obs}_y

    with :math:`\Delta\varepsilon` the obsolescence share relative to the catalog lifetime
    (``d.obsolescence``, negative for a shorter life, so :math:`P^{obs}` is free) and
    :math:`P^{static}` the host's static power (:func:`host_static_terms`). Variable
    ``P_obs`` and constraint ``obsolescence_balance`` per year with a charge (none when
    every item keeps its catalog lifetime or the accounting is ``horizon``), Expression
    ``obsolescence`` (kgCO2e).
    """
    obs: dict[int, Terms] = {y: Terms() for y in d.years}
    for k in ix.dep:
        share = 0.0 if d.hosts[k.host].owned else d.obsolescence.get(("host", k.host, k.life), 0.0)
        if share:
            obs[k.year].extend((share * c, v) for c, v in host_static_terms(m, d, k, comp))
    for c in ix.gc:
        share = d.obsolescence.get(("gpu", c.gpu, c.life), 0.0)
        if share:
            for y in d.years:
                if c.year <= y < c.year + c.life:
                    obs[y].add(share * d.gpu_unit_kw[c.gpu], m.buy_gpu[c])
    years = [y for y in d.years if obs[y].coefs]
    m.P_obs = pyo.Var(years, domain=pyo.Reals)
    m.obsolescence_balance = pyo.Constraint(
        years, rule=lambda _m, y: obs[y].expr((-1.0, m.P_obs[y])) == 0.0
    )
    w = d.slot_weight()
    m.obsolescence = pyo.Expression(
        expr=sum(w * m.pue * m.ci[y, s] * m.ci_scale * m.P_obs[y] for y in years for s in m.S)
    )


def add_embodied(m: pyo.ConcreteModel, d: ModelData, ix: Index, comp: ComponentTerms) -> Terms:
    r"""Embodied carbon amortised over the chosen lifetime, per year in service (formula in
    the module docstring), and the same amortisation of capex (returned as terms).

    Set ``PARTS`` (gpu, base, cpu, dram, ssd), Expressions ``embodied_part`` (per part),
    ``embodied`` (times the mutable ``embodied_scale``), ``carbon`` = operational + embodied
    + obsolescence (:func:`add_obsolescence`).
    """
    src_years = {c: [y for y in d.years if c.year <= y < c.year + c.life] for c in ix.gc}

    def gpu_emb(c: GpuCohort, per: str) -> float:
        g, L = c.gpu, c.life
        base = d.gpus[g].embodied_kg if per == "carbon" else d.gpus[g].capex_usd
        return d.cohort_overhead[("gpu", g, L)] * base / L * len(src_years[c])

    share = d.scenario.inventory.embodied_residual_share

    def owned_gpu(o: str, per: str) -> float:
        g = d.gpus[str(d.owned_gpus[o]["gpu"])]
        return share * g.embodied_kg / g.lifetime if per == "carbon" else 0.0

    parts = ("base", "cpu", "dram", "ssd")
    emb = {p: Terms() for p in parts}
    capex = Terms()
    for c in ix.gc:
        capex.add(gpu_emb(c, "cost"), m.buy_gpu[c])
    for k in ix.dep:
        h, L = k.host, k.life
        it = d.hosts[h]
        if it.owned:
            fac_c, fac_u = it.embodied_scale / it.lifetime, 0.0
        else:
            fac_c = fac_u = d.cohort_overhead[("host", h, L)] / L
        terms = {
            "base": ((it.emb_base, it.capex_base), (1.0, m.z[k])),
            "cpu": ((it.emb_cpu, it.capex_cpu), comp["sockets"][k]),
            "dram": ((it.emb_dram_gb * it.dimm_gb, it.capex_dimm), comp["dimms"][k]),
            "ssd": ((it.emb_ssd_tb * it.ssd_tb, it.capex_ssd), comp["ssds"][k]),
        }
        for part, ((kg, usd), (mult, var)) in terms.items():
            emb[part].add(fac_c * kg * mult, var)
            capex.add(fac_u * usd * mult, var)

    m.PARTS = pyo.Set(initialize=["gpu", *parts], ordered=True)

    def emb_rule(_m: pyo.ConcreteModel, part: str) -> object:
        if part == "gpu":
            t = Terms()
            t.extend((gpu_emb(c, "carbon"), m.buy_gpu[c]) for c in ix.gc)
            t.extend((owned_gpu(o, "carbon"), m.use_owned_gpu[o, y]) for o, y in ix.og)
            return t.expr()
        return emb[part].expr()

    m.embodied_part = pyo.Expression(m.PARTS, rule=emb_rule)
    m.embodied_scale = pyo.Param(initialize=1.0, mutable=True)
    m.embodied = pyo.Expression(expr=m.embodied_scale * sum(m.embodied_part[p] for p in m.PARTS))
    m.carbon = pyo.Expression(expr=m.operational + m.embodied + m.obsolescence)
    return capex


def add_cost(m: pyo.ConcreteModel, capex: Terms) -> None:
    r"""Amortised capex (owned items are sunk) plus electricity.

    .. math:: \text{cost} = \text{capex} + \text{price} \cdot \text{energy}

    Expressions ``capex``, ``cost`` (USD).
    """
    m.capex = pyo.Expression(expr=capex.expr())
    m.cost = pyo.Expression(expr=m.capex + m.price * m.energy)


def add_latency(m: pyo.ConcreteModel, d: ModelData, sx: ServingIndex) -> None:
    r"""Mean per-output-token latency of online traffic (the performance metric).

    .. math:: \text{latency} = \Big(\sum_{k\,\text{online}} w\, x_k
        (\mathrm{TTFT}_k/O + \mathrm{TPOT}_k) + \sum_{q\,\text{prefill}} w\, x^{ph}_q
        (T^{pre}_q + \tau_q)/O + \sum_{q\,\text{decode}} w\, x^{ph}_q T^{dec}_q\Big)
        \Big/ \big(\sigma \sum w D^{on}\big)

    Expression ``latency`` (s/token; 0 without online demand).
    """
    w = d.slot_weight()
    total_on = sum(d.online_demand.values()) * w
    if total_on > 0:
        x = var_data(m.x)
        on_t = Terms().extend((w * d.latency_s[k.point], x[k]) for k in sx.xk if k.cls == "online")
        on_t.extend((w * phase_latency_s(d, q.point), m.xp[q]) for q in sx.xp)
        on = on_t.expr()
        m.latency = pyo.Expression(expr=on / (total_on * m.demand_scale))
    else:
        m.latency = pyo.Expression(expr=0.0)


def phase_latency_s(d: ModelData, q: PhasePoint) -> float:
    """Per-output-token latency share of a phase point: (prefill + KV transfer) / O for a
    prefill point, TPOT for a decode point (their sum is a split request's latency)."""
    if q.phase == "prefill":
        on = d.scenario.llms[q.llm].online
        return d.phase_ttft_s[q] / (on.output_tokens if on is not None else 1)
    return d.phase_tpot_s[q]


def add_gpu_hours(m: pyo.ConcreteModel, d: ModelData, ix: Index) -> None:
    r"""GPU-hours: :math:`8760 \sum_{hgLy} n^{on}_{hgLy}` (GPUs stay mounted all year,
    whatever the slots). Expression ``gpu_hours``."""
    # GPUs are mounted for the whole year (gpus_on is per year, not per slot): 8760 h each
    hpy = d.hours_per_year
    m.gpu_hours = pyo.Expression(expr=lin((hpy, m.gpus_on[k]) for k in ix.dep if k.gpu != NO_GPU))


def _component_terms(
    m: pyo.ConcreteModel, d: ModelData, ix: Index, part: str
) -> dict[Deployment, tuple[float, Any]]:
    """Per deployment, ``(multiplier, variable)`` with component count = multiplier * var."""
    var = getattr(m, f"{part}_var")
    out: dict[Deployment, tuple[float, Any]] = {}
    for k in ix.dep:
        lo, hi = getattr(d.hosts[k.host], part)
        out[k] = (1.0, var[k]) if lo < hi else (float(hi), m.z[k])
    return out
