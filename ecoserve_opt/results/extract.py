"""Read a solved model into a :class:`~ecoserve_opt.results.Results`, one function per table.

The carbon breakdown is recomputed here from the solution values and the data (not read from
the model's expressions), so tests can check it against the objective: an independent check
that the formulation charges what it should.

=================  ==========================================  =============================
table              function                                    model components read
=================  ==========================================  =============================
``fleet``          :func:`fleet_table`                         ``buy_gpu``, ``use_owned_gpu``,
                                                               ``buy_host``, ``use_owned_host``
``deployment``     :func:`deployment_table`                    ``z``, ``sockets``, ``dimms``,
                                                               ``ssds``, ``reused_*``,
                                                               ``gpus_on``
``replicas``       :func:`replicas_table`                      ``n_rep``, ``n_phase``
``utilisation``    :func:`utilisation_table`                   ``x``, ``xp``
``offline``        :func:`offline_table`                       ``x`` (offline), ``xc``
``power``          :func:`power_table`                         ``pue``, ``ci``, ``ci_scale``
``breakdown``      :func:`breakdown_table`                     ``embodied_scale``
``host_cpu``       :func:`~ecoserve_opt.results.host_cpu.      ``z``, ``sockets``,
                   host_cpu_table`                             ``gpus_on``, ``xc``
=================  ==========================================  =============================
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyomo.core as pyo

from ecoserve_opt.data import NO_GPU, ModelData
from ecoserve_opt.data.keys import (
    CpuServe,
    Deployment,
    GpuCohort,
    HostCohort,
    OwnedGpuYear,
    OwnedHostYear,
    PhaseReplica,
    PhaseServe,
    PoolReplica,
    Serve,
)
from ecoserve_opt.results.checks import demand_shortfall, non_finite_values
from ecoserve_opt.results.checks import value as _v
from ecoserve_opt.results.container import COMPONENTS, Results
from ecoserve_opt.results.host_cpu import host_cpu_shares, host_cpu_table
from ecoserve_opt.solve import SolveOutcome, Status

FLEET_COLUMNS = ["kind", "item", "source", "year_bought", "lifetime_years", "count", "year_used"]
REPLICA_COLUMNS = ["llm", "gpu", "tp", "precision", "pool", "phase", "year", "replicas", "gpus"]
OFFLINE_COLUMNS = [
    "llm",
    "where",
    "year",
    "slot",
    "window_hours",
    "tokens_per_s",
    "tokens_per_day",
    "owned_share",
]
#: Served rates at or below this (tokens/s) are numerical zeros, not reported.
ZERO_RATE = 1e-9


def extract(
    m: pyo.ConcreteModel, d: ModelData, outcome: SolveOutcome, meta: dict[str, Any]
) -> Results:
    """Read the solution of ``m`` into a :class:`Results`."""
    obj = meta.get("objective", d.scenario.objective)
    base_metrics = {
        "objective": outcome.objective if outcome.objective is not None else math.nan,
        "bound": outcome.bound if outcome.bound is not None else math.nan,
        "gap": outcome.gap if outcome.gap is not None else math.nan,
        "wall_time_s": outcome.wall_time_s,
    }
    meta = {
        **meta,
        "status": outcome.status.value,
        "termination": outcome.termination,
        "solver": outcome.solver,
    }
    if not outcome.status.has_solution:
        return Results(d.scenario.name, obj, outcome.status, pd.Series(base_metrics), {}, meta)
    error = _rejection(m, d, outcome)
    if error:
        meta["error"] = error
        meta["status"] = Status.ERROR.value
        return Results(d.scenario.name, obj, Status.ERROR, pd.Series(base_metrics), {}, meta)

    acc = Accounts.empty(d)
    owned_in_use = _owned_gpus_in_use(m, d)
    fleet = fleet_table(m, d, owned_in_use)
    deployment = deployment_table(m, d, acc)
    gpu_embodied(m, d, acc)
    obsolescence(m, d, acc)
    replicas = replicas_table(m, d)
    utilisation = utilisation_table(m, d, acc)
    offline = offline_table(m, d, owned_in_use, acc)
    power = power_table(m, d, acc)
    breakdown = breakdown_table(acc, _v(m.embodied_scale))
    tables = {
        "fleet": fleet,
        "deployment": deployment,
        "replicas": replicas,
        "breakdown": breakdown,
        "power": power,
        "utilisation": utilisation,
        "offline": offline,
        "host_cpu": host_cpu_table(m, d),
    }
    metrics = _metrics(m, d, tables, acc.energy_kwh, base_metrics)
    return Results(d.scenario.name, obj, outcome.status, metrics, tables, meta)


def _rejection(m: pyo.ConcreteModel, d: ModelData, outcome: SolveOutcome) -> str:
    """Why a solution the solver reported cannot be used ('' when it can)."""
    bad = non_finite_values(m)
    if bad:
        # HiGHS occasionally hands back NaN for some variables of a MIP solution
        return (
            f"solution rejected: the solver returned non-finite values ({', '.join(bad[:3])}"
            + (f"; and {len(bad) - 3} more" if len(bad) > 3 else "")
            + f"); the solver reported '{outcome.status.value}'"
        )
    short = demand_shortfall(m, d)
    if short:
        # never report a "solution" that does not serve the demand (numerical trouble)
        return (
            f"solution rejected: demand not met ({short[0]}"
            + (f"; and {len(short) - 1} more" if len(short) > 1 else "")
            + f"); the solver reported '{outcome.status.value}'"
        )
    return ""


@dataclass
class Accounts:
    """Per-component sums the tables accumulate: embodied kgCO2e (per year of service),
    static kW per (year, component), dynamic kW per (year, slot, GPU|CPU), energy."""

    embodied: dict[str, float]
    static_kw: dict[tuple[int, str], float]
    dynamic_kw: dict[tuple[int, int, str], float]
    operational: dict[str, float] = field(default_factory=dict)
    obsolescence: dict[str, float] = field(default_factory=dict)
    energy_kwh: float = 0.0

    @classmethod
    def empty(cls, d: ModelData) -> Accounts:
        """All sums zero."""
        return cls(
            embodied={c: 0.0 for c in COMPONENTS},
            static_kw={(y, c): 0.0 for y in d.years for c in COMPONENTS},
            dynamic_kw={(y, s, c): 0.0 for y in d.years for s in d.slots for c in ("GPU", "CPU")},
            operational={c: 0.0 for c in COMPONENTS},
            obsolescence={c: 0.0 for c in COMPONENTS},
        )


def fleet_table(
    m: pyo.ConcreteModel, d: ModelData, owned_in_use: dict[tuple[str, int], int]
) -> pd.DataFrame:
    """GPUs and hosts bought (per cohort) and owned ones used (per year)."""
    rows: list[dict[str, Any]] = []
    for c in map(GpuCohort._make, m.GC):
        n = round(_v(m.buy_gpu[c]))
        if n:
            rows.append(_bought("gpu", c.gpu, c.year, c.life, n))
    for o in map(OwnedGpuYear._make, m.OG):
        n = owned_in_use[o]
        if n:
            gpu = str(d.owned_gpus[o.pool]["gpu"])
            rows.append(_owned("gpu", d.owned_gpus[o.pool]["gpu"], d.gpus[gpu].lifetime, n, o.year))
    for hc in map(HostCohort._make, m.HC):
        n = round(_v(m.buy_host[hc]))
        if n:
            rows.append(_bought("host", hc.host, hc.year, hc.life, n))
    for oh in map(OwnedHostYear._make, m.OH):
        n = round(_v(m.use_owned_host[oh]))
        if n:
            item = d.hosts[oh.host]
            rows.append(_owned("host", item.platform, item.lifetime, n, oh.year))
    return pd.DataFrame(rows, columns=FLEET_COLUMNS)


def _bought(kind: str, item: str, year: int, life: int, n: int) -> dict[str, Any]:
    return {
        "kind": kind,
        "item": item,
        "source": "new",
        "year_bought": year,
        "lifetime_years": life,
        "count": n,
    }


def _owned(kind: str, item: object, life: int, n: int, year: int) -> dict[str, Any]:
    return {
        "kind": kind,
        "item": item,
        "source": "owned",
        "year_bought": 0,
        "lifetime_years": life,
        "count": n,
        "year_used": year,
    }


def _reused(var: pyo.Var, k: Deployment) -> float:
    return _v(var[k]) if k in var else 0.0


def deployment_table(m: pyo.ConcreteModel, d: ModelData, acc: Accounts) -> pd.DataFrame:
    """Deployed hosts per (host, GPU, lifetime, year) with their components; adds the
    hosts' embodied carbon and static power per component to ``acc``."""
    rows = []
    emb, static_kw = acc.embodied, acc.static_kw
    for k in map(Deployment._make, m.D):
        h, g, L, y = k
        z = round(_v(m.z[k]))
        if z == 0:
            continue
        it = d.hosts[h]
        sockets, dimms, ssds = _v(m.sockets[k]), _v(m.dimms[k]), _v(m.ssds[k])
        rd, rs = _reused(m.reused_dram, k), _reused(m.reused_ssd, k)
        gon = _v(m.gpus_on[k])
        rows.append(
            {
                "host": it.platform,
                "owned": it.owned,
                "gpu": g,
                "lifetime_years": L,
                "year": y,
                "hosts": z,
                "gpus": gon,
                "sockets": sockets,
                "cores": sockets * it.cores_per_socket,
                "dimms": dimms,
                "dram_gb": dimms * it.dimm_gb + rd,
                "reused_dram_gb": rd,
                "ssds": ssds,
                "ssd_tb": ssds * it.ssd_tb + rs,
                "reused_ssd_tb": rs,
            }
        )
        fac = (
            (it.embodied_scale / it.lifetime)
            if it.owned
            else (d.cohort_overhead[("host", h, L)] / L)
        )
        emb["other"] += fac * it.emb_base * z
        emb["CPU"] += fac * it.emb_cpu * sockets
        emb["DRAM"] += fac * it.emb_dram_gb * it.dimm_gb * dimms
        emb["SSD"] += fac * it.emb_ssd_tb * it.ssd_tb * ssds
        static_kw[(y, "other")] += it.base_kw * z
        static_kw[(y, "CPU")] += it.cpu_idle_kw * sockets
        static_kw[(y, "DRAM")] += it.dimm_kw * dimms + it.psu_factor * d.reused_dram_kw_per_gb * rd
        static_kw[(y, "SSD")] += it.ssd_kw * ssds + it.psu_factor * d.reused_ssd_kw_per_tb * rs
        if g != NO_GPU:
            static_kw[(y, "GPU")] += it.psu_factor * d.gpus[g].idle_kw * gon
    return pd.DataFrame(rows)


def gpu_embodied(m: pyo.ConcreteModel, d: ModelData, acc: Accounts) -> None:
    """Adds the GPUs' embodied carbon (new cohorts per year in service, owned ones at the
    residual share) to ``acc``."""
    share = d.scenario.inventory.embodied_residual_share
    for c in map(GpuCohort._make, m.GC):
        n_new = _v(m.buy_gpu[c])
        yrs = sum(1 for y in d.years if c.year <= y < c.year + c.life)
        acc.embodied["GPU"] += (
            d.cohort_overhead[("gpu", c.gpu, c.life)]
            * d.gpus[c.gpu].embodied_kg
            / c.life
            * yrs
            * n_new
        )
    for o in map(OwnedGpuYear._make, m.OG):
        gt = d.gpus[str(d.owned_gpus[o.pool]["gpu"])]
        acc.embodied["GPU"] += share * gt.embodied_kg / gt.lifetime * _v(m.use_owned_gpu[o])


def obsolescence(m: pyo.ConcreteModel, d: ModelData, acc: Accounts) -> None:
    """Adds Recycle's obsolescence charge per component to ``acc`` (steady-state lifetime
    accounting: new hosts' static power and new GPUs' unit power times their lifetime's
    share relative to the catalog lifetime, at each year's mean intensity)."""
    if not d.obsolescence:
        return
    w, pue, scale = d.slot_weight(), _v(m.pue), _v(m.ci_scale)
    kg_per_kw = {y: sum(w * pue * _v(m.ci[y, s]) * scale for s in d.slots) for y in d.years}
    out = acc.obsolescence
    for k in map(Deployment._make, m.D):
        it = d.hosts[k.host]
        share = 0.0 if it.owned else d.obsolescence.get(("host", k.host, k.life), 0.0)
        z = round(_v(m.z[k]))
        if not share or z == 0:
            continue
        f = share * kg_per_kw[k.year]
        rd, rs = _reused(m.reused_dram, k), _reused(m.reused_ssd, k)
        out["other"] += f * it.base_kw * z
        out["CPU"] += f * it.cpu_idle_kw * _v(m.sockets[k])
        psu = it.psu_factor
        out["DRAM"] += f * (it.dimm_kw * _v(m.dimms[k]) + psu * d.reused_dram_kw_per_gb * rd)
        out["SSD"] += f * (it.ssd_kw * _v(m.ssds[k]) + psu * d.reused_ssd_kw_per_tb * rs)
    for c in map(GpuCohort._make, m.GC):
        share = d.obsolescence.get(("gpu", c.gpu, c.life), 0.0)
        n_new = _v(m.buy_gpu[c])
        if share and n_new:
            kg = sum(kg_per_kw[y] for y in d.years if c.year <= y < c.year + c.life)
            out["GPU"] += share * d.gpu_unit_kw[c.gpu] * kg * n_new


def replicas_table(m: pyo.ConcreteModel, d: ModelData) -> pd.DataFrame:
    """Replicas per (llm, GPU, TP, precision, pool, phase, year) and the GPUs they use;
    ``phase`` is ``both`` for co-located replicas, ``prefill``/``decode`` for the pools of
    ``pillars.split_phases`` (always ``bf16``)."""
    rows = []
    for r in map(PoolReplica._make, m.R):
        for y in d.years:
            n = round(_v(m.n_rep[(*r, y)]))
            if n:
                rows.append(
                    {
                        "llm": r.llm,
                        "gpu": r.gpu,
                        "tp": r.tp,
                        "precision": r.precision,
                        "pool": r.pool,
                        "phase": "both",
                        "year": y,
                        "replicas": n,
                        "gpus": n * r.tp,
                    }
                )
    for rp in map(PhaseReplica._make, m.RP):
        for y in d.years:
            n = round(_v(m.n_phase[(*rp, y)]))
            if n:
                rows.append(
                    {
                        "llm": rp.llm,
                        "gpu": rp.gpu,
                        "tp": rp.tp,
                        "precision": "bf16",
                        "pool": d.class_pool["online"],
                        "phase": rp.phase,
                        "year": y,
                        "replicas": n,
                        "gpus": n * rp.tp,
                    }
                )
    return pd.DataFrame(rows, columns=REPLICA_COLUMNS)


def _served(m: pyo.ConcreteModel) -> list[tuple[Serve, float]]:
    """GPU operating points with a non-zero served rate, in ``XK`` order."""
    out = []
    for k in map(Serve._make, m.XK):
        val = _v(m.x[k])
        if val > ZERO_RATE:
            out.append((k, val))
    return out


def utilisation_table(m: pyo.ConcreteModel, d: ModelData, acc: Accounts) -> pd.DataFrame:
    """Tokens/s and replica-equivalents per operating point and slot; adds the GPUs'
    dynamic power to ``acc``."""
    rows = []
    for k, val in _served(m):
        p = k.point
        duty = d.offline_duty(k.llm, k.slot) if k.cls == "offline" else 1.0
        f = d.gpu_dyn_factor.get(k.gpu, 1.0)
        acc.dynamic_kw[(k.year, k.slot, "GPU")] += (
            duty * f * k.tp * (d.gpu_power_kw[p] - d.gpus[k.gpu].idle_kw) * val / d.cap[p]
        )
        rows.append(
            {
                "llm": k.llm,
                "gpu": k.gpu,
                "tp": k.tp,
                "batch": k.batch,
                "class": k.cls,
                "precision": k.precision,
                "year": k.year,
                "slot": k.slot,
                "tokens_per_s": val,
                # capacity reserved: load x online headroom factor / capacity
                "replica_equiv": val * d.capacity_factor(p, k.year, k.slot) / d.cap[p],
                "phase": "both",
            }
        )
    for q in map(PhaseServe._make, m.XP):
        val = _v(m.xp[q])
        if val <= ZERO_RATE:
            continue
        pq = q.point
        f = d.gpu_dyn_factor.get(q.gpu, 1.0)
        acc.dynamic_kw[(q.year, q.slot, "GPU")] += (
            f * q.tp * (d.phase_power_kw[pq] - d.gpus[q.gpu].idle_kw) * val / d.phase_cap[pq]
        )
        rows.append(
            {
                "llm": q.llm,
                "gpu": q.gpu,
                "tp": q.tp,
                "batch": q.batch,
                "class": "online",
                "precision": "bf16",
                "year": q.year,
                "slot": q.slot,
                "tokens_per_s": val,
                "replica_equiv": val * d.phase_capacity_factor.get(q, 1.0) / d.phase_cap[pq],
                "phase": q.phase if q.phase == "decode" else f"prefill:{q.path}",
            }
        )
    return pd.DataFrame(rows)


def offline_table(
    m: pyo.ConcreteModel,
    d: ModelData,
    owned_in_use: dict[tuple[str, int], int],
    acc: Accounts,
) -> pd.DataFrame:
    """Offline work per (llm, where, year, slot): on GPUs, then on host CPUs; adds the
    CPUs' dynamic power to ``acc``."""
    rows = []
    for k, val in _served(m):
        if k.cls == "offline":
            rows.append(
                _offline_row(d, k.llm, f"gpu:{k.gpu}", k.year, k.slot, val)
                | {"owned_share": _owned_share(owned_in_use, m, d, k.gpu, k.year)}
            )
    for kc in map(CpuServe._make, m.XC):
        val = _v(m.xc[kc])
        if val <= ZERO_RATE:
            continue
        duty = d.offline_duty(kc.llm, kc.slot)
        p = kc.point
        acc.dynamic_kw[(kc.year, kc.slot, "CPU")] += duty * d.cpu_dyn_kw[p] * val / d.cpu_cap[p]
        host = d.hosts[kc.host]
        rows.append(
            _offline_row(d, kc.llm, f"cpu:{host.platform}", kc.year, kc.slot, val)
            | {"owned_share": 1.0 if host.owned else 0.0}
        )
    return pd.DataFrame(rows, columns=OFFLINE_COLUMNS)


def _offline_row(
    d: ModelData, llm: str, where: str, year: int, slot: int, val: float
) -> dict[str, Any]:
    hours = d.offline_slot_hours.get((llm, slot), 0.0)
    return {
        "llm": llm,
        "where": where,
        "year": year,
        "slot": slot,
        "window_hours": hours,
        "tokens_per_s": val,
        "tokens_per_day": val * 3600 * hours,
    }


def power_table(m: pyo.ConcreteModel, d: ModelData, acc: Accounts) -> pd.DataFrame:
    """IT power per (year, slot) and component with the slot's grid intensity; adds the
    operational carbon per component and the facility energy to ``acc``."""
    w = d.slot_weight()
    pue = _v(m.pue)
    scale = _v(m.ci_scale)
    rows = []
    for y in d.years:
        for s in d.slots:
            ci = _v(m.ci[y, s]) * scale
            comp = {c: acc.static_kw[(y, c)] for c in COMPONENTS}
            comp["GPU"] += acc.dynamic_kw[(y, s, "GPU")]
            comp["CPU"] += acc.dynamic_kw[(y, s, "CPU")]
            total = sum(comp.values())
            for c in COMPONENTS:
                acc.operational[c] += w * pue * ci * comp[c]
            acc.energy_kwh += w * pue * total
            rows.append(
                {
                    "year": y,
                    "slot": s,
                    "hour_start": s * d.slot_hours,
                    "it_power_kw": total,
                    "grid_kg_per_kwh": ci,
                    **{f"{c.lower()}_kw": comp[c] for c in COMPONENTS},
                }
            )
    return pd.DataFrame(rows)


def breakdown_table(acc: Accounts, embodied_scale: float) -> pd.DataFrame:
    """Operational, embodied and obsolescence carbon per component (embodied times its
    sweep scale; obsolescence: Recycle's steady-state lifetime accounting, else 0)."""
    oper, emb, obs = acc.operational, acc.embodied, acc.obsolescence
    return pd.DataFrame(
        [
            {
                "component": c,
                "operational_kg": oper[c],
                "embodied_kg": emb[c] * embodied_scale,
                "obsolescence_kg": obs[c],
                "total_kg": oper[c] + emb[c] * embodied_scale + obs[c],
            }
            for c in COMPONENTS
        ]
    )


def _metrics(
    m: pyo.ConcreteModel,
    d: ModelData,
    tables: dict[str, pd.DataFrame],
    energy: float,
    base_metrics: dict[str, Any],
) -> pd.Series:
    breakdown, replicas = tables["breakdown"], tables["replicas"]
    deployment, offline = tables["deployment"], tables["offline"]
    on_tokens = sum(d.online_demand.values()) * d.slot_weight()
    return pd.Series(
        {
            "carbon_kg": breakdown["total_kg"].sum(),
            "operational_kg": breakdown["operational_kg"].sum(),
            "embodied_kg": breakdown["embodied_kg"].sum(),
            "obsolescence_kg": breakdown["obsolescence_kg"].sum(),
            "energy_kwh": energy,
            "cost_usd": _v(m.cost),
            "capex_usd": _v(m.capex),
            "latency_s_per_token": _v(m.latency) if on_tokens else math.nan,
            "gpu_hours": _v(m.gpu_hours),
            "gpus": float(replicas.loc[replicas["year"] == d.years[0], "gpus"].sum())
            if len(replicas)
            else 0.0,
            "hosts": float(deployment.loc[deployment["year"] == d.years[0], "hosts"].sum())
            if len(deployment)
            else 0.0,
            "offline_tokens_per_day": float(offline["tokens_per_day"].sum() / len(d.years))
            if len(offline)
            else 0.0,
            "offline_share_host_cpu": _share(offline, "cpu:"),
            **host_cpu_shares(tables.get("host_cpu")),
            **base_metrics,
        }
    )


def _share(offline: pd.DataFrame, prefix: str) -> float:
    if offline.empty:
        return 0.0
    tot = offline["tokens_per_day"].sum()
    part = offline.loc[offline["where"].str.startswith(prefix), "tokens_per_day"].sum()
    return float(part / tot) if tot > 0 else 0.0


def _owned_gpus_in_use(m: pyo.ConcreteModel, d: ModelData) -> dict[tuple[str, int], int]:
    """Owned GPUs actually mounted, per (owned pool, year).

    With a zero residual embodied share an owned GPU costs nothing, so the solver may set
    ``use_owned_gpu`` above what is mounted; the GPUs in use are the mounted ones that new
    purchases do not cover, filled from the owned pools in order.
    """
    og = [OwnedGpuYear._make(o) for o in m.OG]
    gc = [GpuCohort._make(c) for c in m.GC]
    out = {(o.pool, o.year): 0 for o in og}
    for g in d.gpus:
        for y in d.years:
            new = sum(_v(m.buy_gpu[c]) for c in gc if c.gpu == g and c.year <= y < c.year + c.life)
            need = max(0, round(_v(m.mounted[g, y]) - new))
            for o in og:
                if o.year == y and d.owned_gpus[o.pool]["gpu"] == g and need > 0:
                    take = min(need, round(_v(m.use_owned_gpu[o])))
                    out[(o.pool, y)] = take
                    need -= take
    return out


def _owned_share(
    owned_in_use: dict[tuple[str, int], int], m: pyo.ConcreteModel, d: ModelData, g: str, y: int
) -> float:
    owned = sum(n for (o, yy), n in owned_in_use.items() if yy == y and d.owned_gpus[o]["gpu"] == g)
    mounted = _v(m.mounted[g, y])
    return min(owned / mounted, 1.0) if mounted > 0 else 0.0
