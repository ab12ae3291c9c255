r"""Power, energy, carbon, cost and performance metrics.

IT power of year :math:`y`, slot :math:`s` (kW), a variable :math:`P_{ys}` so that grid
intensity enters the objective through only :math:`|Y||S|` mutable coefficients:

.. math::

   P_{ys} = \sum_{hgLy} \big(\pi^{gpu,idle}_g n^{on} + \pi^{base}_h z + \pi^{cpu,idle}_h k
            + \pi^{dimm}_h m + \pi^{ssd}_h q + \pi^{rd} r^{dram} + \pi^{rs} r^{ssd}\big)
          + \sum_{k=(l,g,t,b,c)} t\,(\pi_k - \pi^{gpu,idle}_g)\, x_{kys}/\kappa_k
          + \sum_{lhb} \pi^{cpu,dyn}_{lhb}\, x^{cpu}_{lhbys}/\kappa^{cpu}_{lhb}

Operational carbon :math:`\sum_{ys} w\, \mathrm{PUE}\, \mathrm{CI}_{ys}\, \sigma\, P_{ys}`
with :math:`w` = hours per year a slot stands for and :math:`\sigma` a mutable scale (sweeps).

Embodied carbon, amortised linearly over the chosen lifetime and charged for each year in
service within the horizon; cohorts whose lifetime exceeds the catalog's carry a spares
overhead factor :math:`\omega_L = 1 + \gamma (L - L^{cat})^+`:

.. math::

   E = \sum_y \Big[\sum_{(g,y_0,L)\ni y} \frac{\omega_L E^{gpu}_g}{L} B^{gpu}
       + \sum_{oy} \frac{\eta E^{gpu}_{g(o)}}{L^{cat}} U^{gpu}_{oy}
       + \sum_{hgL} \frac{\omega_L \eta_h}{L}\big(E^{base}_h z + E^{cpu}_h k
       + E^{dram}_h \mathrm{dimm}_h m + E^{ssd}_h \mathrm{ssd}_h q\big)\Big]

(:math:`\eta` = residual share charged for owned items, 1 for new ones). Cost uses the same
amortisation on capex (owned items are sunk) plus electricity price x facility energy.
Latency (performance metric) is the mean per-output-token latency of online traffic,
:math:`\sum x_k (\mathrm{TTFT}_k/O + \mathrm{TPOT}_k) / \sum D^{on}`.
"""

from __future__ import annotations

from typing import Any

import pyomo.environ as pyo

from ecoserve_opt.data import NO_GPU, REUSED_DRAM_KW_PER_GB, REUSED_SSD_KW_PER_TB, ModelData


def add_carbon(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Add power, energy, carbon, cost and latency expressions to ``m``."""
    m.ci = pyo.Param(m.Y, m.S, initialize=lambda _m, y, s: d.ci[(y, s)], mutable=True)
    m.ci_scale = pyo.Param(initialize=1.0, mutable=True)
    m.pue = pyo.Param(initialize=d.pue, mutable=True)
    m.price = pyo.Param(initialize=d.electricity_usd_per_kwh, mutable=True)
    w = d.slot_weight()

    dep_by_y: dict[int, list] = {}
    for k in m.D:
        dep_by_y.setdefault(k[3], []).append(k)
    x_by_ys: dict[tuple[int, int], list] = {}
    for k in m.XK:
        x_by_ys.setdefault((k[5], k[6]), []).append(k)
    xc_by_ys: dict[tuple[int, int], list] = {}
    for k in m.XC:
        xc_by_ys.setdefault((k[3], k[4]), []).append(k)

    def host_static(k: tuple) -> Any:
        h, g, _L, _y = k
        it = d.hosts[h]
        e = (
            it.base_kw * m.z[k]
            + it.cpu_idle_kw * m.sockets[k]
            + it.dimm_kw * m.dimms[k]
            + it.ssd_kw * m.ssds[k]
            + REUSED_DRAM_KW_PER_GB * m.reused_dram_of(*k)
            + REUSED_SSD_KW_PER_TB * m.reused_ssd_of(*k)
        )
        if g != NO_GPU:
            e += d.gpus[g].idle_kw * m.gpus_on[k]
        return e

    m.static_power = pyo.Expression(
        m.Y, rule=lambda _m, y: sum(host_static(k) for k in dep_by_y.get(y, []))
    )

    def dyn(y: int, s: int) -> Any:
        gpu = sum(
            k[2] * (d.gpu_power_kw[k[:5]] - d.gpus[k[1]].idle_kw) * m.x[k] / d.cap[k[:5]]
            for k in x_by_ys.get((y, s), [])
        )
        cpu = sum(
            d.cpu_dyn_kw[k[:3]] * m.xc[k] / d.cpu_cap[k[:3]] for k in xc_by_ys.get((y, s), [])
        )
        return gpu + cpu

    m.P = pyo.Var(m.Y, m.S, domain=pyo.NonNegativeReals)
    m.power_balance = pyo.Constraint(
        m.Y, m.S, rule=lambda _m, y, s: m.P[y, s] == m.static_power[y] + dyn(y, s)
    )
    m.energy = pyo.Expression(expr=sum(w * m.pue * m.P[y, s] for y in m.Y for s in m.S))
    m.operational = pyo.Expression(
        expr=sum(w * m.pue * m.ci[y, s] * m.ci_scale * m.P[y, s] for y in m.Y for s in m.S)
    )

    # --- embodied and capex, per year in service --------------------------------------
    src_years = {c: [y for y in d.years if c[1] <= y < c[1] + c[2]] for c in d.gpu_cohorts}

    def gpu_emb(c: tuple[str, int, int], per: str) -> float:
        g, _y0, L = c
        base = d.gpus[g].embodied_kg if per == "carbon" else d.gpus[g].capex_usd
        return d.cohort_overhead[("gpu", g, L)] * base / L * len(src_years[c])

    share = d.scenario.inventory.embodied_residual_share

    def owned_gpu(o: str, per: str) -> float:
        g = d.gpus[str(d.owned_gpus[o]["gpu"])]
        return share * g.embodied_kg / g.lifetime if per == "carbon" else 0.0

    def host_part(k: tuple, per: str, part: str) -> Any:
        h, _g, L, _y = k
        it = d.hosts[h]
        fac = (1.0 if it.owned else d.cohort_overhead[("host", h, L)]) / L
        if it.owned:
            fac = (it.embodied_scale if per == "carbon" else 0.0) / it.lifetime
        if per == "carbon":
            coef = {
                "base": it.emb_base,
                "cpu": it.emb_cpu,
                "dram": it.emb_dram_gb * it.dimm_gb,
                "ssd": it.emb_ssd_tb * it.ssd_tb,
            }[part]
        else:
            coef = {
                "base": it.capex_base,
                "cpu": it.capex_cpu,
                "dram": it.capex_dimm,
                "ssd": it.capex_ssd,
            }[part]
        var = {"base": m.z, "cpu": m.sockets, "dram": m.dimms, "ssd": m.ssds}[part][k]
        return fac * coef * var

    parts = ("base", "cpu", "dram", "ssd")
    m.PARTS = pyo.Set(initialize=["gpu", *parts], ordered=True)

    def emb_rule(_m: pyo.ConcreteModel, part: str) -> Any:
        if part == "gpu":
            return sum(gpu_emb(c, "carbon") * m.buy_gpu[c] for c in m.GC) + sum(
                owned_gpu(o, "carbon") * m.use_owned_gpu[o, y] for o, y in m.OG
            )
        return sum(host_part(k, "carbon", part) for k in m.D)

    m.embodied_part = pyo.Expression(m.PARTS, rule=emb_rule)
    m.embodied_scale = pyo.Param(initialize=1.0, mutable=True)
    m.embodied = pyo.Expression(expr=m.embodied_scale * sum(m.embodied_part[p] for p in m.PARTS))
    m.carbon = pyo.Expression(expr=m.operational + m.embodied)
    capex = sum(gpu_emb(c, "cost") * m.buy_gpu[c] for c in m.GC) + sum(
        host_part(k, "cost", p) for k in m.D for p in parts
    )
    m.capex = pyo.Expression(expr=capex)
    m.cost = pyo.Expression(expr=m.capex + m.price * m.energy)

    total_on = sum(d.online_demand.values()) * w
    on_terms = [(k, d.latency_s[k[:5]]) for k in m.XK if k[4] == "online"]
    if total_on > 0:
        m.latency = pyo.Expression(
            expr=sum(w * lat * m.x[k] for k, lat in on_terms) / (total_on * m.demand_scale)
        )
    else:
        m.latency = pyo.Expression(expr=0.0)
    m.gpu_hours = pyo.Expression(expr=sum(w * m.gpus_on[k] for k in m.D if k[1] != NO_GPU))
