"""``build_data``: validated scenario + catalog -> :class:`ModelData`, one section per pillar.

Read :func:`build_data` as the map from the scenario to the model's sets (the table in
docs/architecture.md lists the constraint families each set feeds):

========================  ===================================  ================================
section                   pillar                               sets / data
========================  ===================================  ================================
``slot_intensity``        (always)                             ``ci[y, s]``
``gpu_section``           Rightsize, Recycle, Reuse            ``G``, ``GC``, ``OG``
``host_section``          Reduce, Recycle                      ``H``, ``HC``, host lifetimes
``add_owned_hosts``       Reuse                                ``OH``
``host_gpu_pairs``        (always)                             ``D``, ``HLY`` (with lifetimes)
``serving_section``       Rightsize                            ``K``, ``R``, pools
``phase_section``         Rightsize (``split_phases``)         ``KP``, ``RP``
``demand_section``        Shift offline                        demands, window hours
``online_capacity_f...``  (online headroom)                    capacity factors ``f[k, y, s]``
``drop_dominated_p...``   Rightsize (``precisions``)           ``K``, ``R`` minus dominated
``dominated_points``      Rightsize (``solver.prune``)         points off the lower hull
``dominated_replicas``    Rightsize (``solver.prune``)         ``R`` minus dominated TP/precision
``cpu_section``           Reuse (host CPUs)                    ``KC``
========================  ===================================  ================================
"""

from __future__ import annotations

import math

from ecoserve_opt.catalog import Catalog, load_catalog
from ecoserve_opt.data.demand import demand_section, online_capacity_factors, resolve_workloads
from ecoserve_opt.data.hardware import (
    _prune_dominated_lifetimes,
    _reused_power,
    _unknown,
    add_owned_hosts,
    gpu_section,
    host_gpu_pairs,
    host_section,
    obsolescence_shares,
)
from ecoserve_opt.data.hull import dominated_points, dominated_replicas
from ecoserve_opt.data.intensity import hourly_intensity, slot_intensity
from ecoserve_opt.data.model import ModelData
from ecoserve_opt.data.phases import phase_capacity_factors, phase_section
from ecoserve_opt.data.precision import drop_dominated_precisions
from ecoserve_opt.data.profiles import cpu_section, serving_section
from ecoserve_opt.exceptions import CatalogError, ScenarioError
from ecoserve_opt.io.yaml_loader import LoadedScenario


def build_data(loaded: LoadedScenario, catalog: Catalog | None = None) -> ModelData:
    """Turn a validated scenario into :class:`ModelData` (raises ScenarioError on bad refs)."""
    s = resolve_workloads(loaded.scenario)
    file = str(loaded.path) if loaded.path else "<scenario>"
    if catalog is None:
        cat_dir = None if s.catalog == "default" else loaded.base_dir / s.catalog
        catalog = load_catalog(cat_dir)
    cat = catalog
    pil = s.pillars
    years = list(range(1, s.years + 1))
    slot_hours = 24.0 / s.time_slots
    slots = list(range(s.time_slots))
    for llm in s.llms:
        if llm not in cat.llms.index:
            raise ScenarioError(file, f"llms.{llm}", _unknown("LLM", llm, cat.llms.index))

    # grid: intensity per (year, slot)
    hourly, ci_src = hourly_intensity(s, cat, loaded.base_dir, file)
    ci = slot_intensity(s, hourly, years, slots, slot_hours)

    # Rightsize / Recycle / Reuse: GPU types, GPU cohorts GC, owned GPU pools OG
    gs = gpu_section(s, cat, file, years)
    # Reduce / Recycle: host items and cohorts HC (a host may retire with the GPUs)
    common_life = min(gs.gpus[g].lifetime for g in gs.candidates)
    hs = host_section(s, cat, file, years, common_life, gs.overhead)
    # Recycle, steady-state accounting: obsolescence share per lifetime option
    obs = obsolescence_shares(s, gs.overhead, gs.gpus, hs.hosts)
    gpu_cohorts = _prune_dominated_lifetimes(gs.cohorts, "gpu", gs.overhead, len(years), obs)
    hs.cohorts = _prune_dominated_lifetimes(hs.cohorts, "host", gs.overhead, len(years), obs)
    for hid in list(hs.lifetimes):
        hs.lifetimes[hid] = sorted({c.life for c in hs.cohorts if c.host == hid})
    # Reuse: owned hosts OH
    add_owned_hosts(s, cat, file, years, hs)
    # deployments D: host items x the GPU types they can carry
    host_gpu = host_gpu_pairs(hs.hosts, gs.gpus)
    # a GPU type no candidate host can take is never bought (check_hosts warns about it)
    mountable = {p.gpu for p in host_gpu}
    gpu_cohorts = [c for c in gpu_cohorts if c.gpu in mountable]

    # Rightsize: operating points K, replicas R
    sv = serving_section(s, cat, gs.gpus, hs.hosts, host_gpu, file)
    # Phase-level Rightsize: prefill and decode pool points KP (empty when off)
    ph = phase_section(s, cat, gs.gpus, hs.hosts, host_gpu, file)
    # demand; Shift offline: window hours
    dm = demand_section(s, years, slots, slot_hours)
    # online headroom on capacity (queueing rule), per online point, year and slot
    cap_factor = online_capacity_factors(s, sv.points, sv.info, dm.online, dm.headroom)
    # Rightsize, precision: drop replicas another precision dominates (exact pruning)
    sv, cap_factor = drop_dominated_precisions(sv, cap_factor, gs.gpus, years, slots)
    # Rightsize: operating points off the lower convex hull of their replica type (exact)
    dominated = (
        dominated_points(sv.points, sv.info, cap_factor, gs.gpus, years, slots)
        if s.solver.prune
        else frozenset()
    )
    no_latency = (
        dominated_points(sv.points, sv.info, cap_factor, gs.gpus, years, slots, latency=False)
        if s.solver.prune and s.solver.prune_latency
        else frozenset()
    )
    # Rightsize: replica types one replica of a smaller-or-equal TP degree (or another
    # precision) of the same LLM and GPU replaces with no loss (exact); their points go too
    dom_reps = (
        dominated_replicas(sv.points, sv.info, cap_factor, gs.gpus, years, slots, dominated)
        if s.solver.prune
        else frozenset()
    )
    if dom_reps:
        rep_points = frozenset(p for p in sv.points if p.replica in dom_reps)
        dominated |= rep_points
        no_latency = no_latency | rep_points if no_latency else no_latency
    phase_factor = phase_capacity_factors(s, ph, dm.online, dm.headroom)
    # Reuse (host CPUs): CPU serving points KC
    cpu = cpu_section(s, cat, hs.hosts)

    weights = {llm: float(cat.row("llms", llm)["weights_gb"]) for llm in s.llms}
    reused_kw = _reused_power(cat, s, file)
    # GPU load power reaches the wall through the fans and PSU of its host; a GPU type may
    # sit in several host types, so the largest factor among them is used (conservative).
    gpu_dyn_factor = {
        gid: max([hs.hosts[h].dyn_factor for h, g in host_gpu if g == gid], default=1.0)
        for gid in gs.gpus
    }
    # wall power per GPU in the obsolescence charge: idle through the PSU of its host, the
    # load share of (TDP - idle) through PSU and fans (largest factors of its host types)
    load = s.recycle.gpu_load_share
    gpu_unit_kw = {
        gid: max([hs.hosts[h].psu_factor for h, g in host_gpu if g == gid], default=1.0)
        * gs.gpus[gid].idle_kw
        + gpu_dyn_factor[gid] * load * (gs.gpus[gid].tdp_kw - gs.gpus[gid].idle_kw)
        for gid in gs.gpus
    }
    info = sv.info
    data = ModelData(
        scenario=s,
        catalog_path=cat.path,
        years=years,
        slots=slots,
        slot_hours=slot_hours,
        ci=ci,
        ci_hourly=hourly,
        ci_source=ci_src,
        pue=s.grid.pue,
        llms=list(s.llms),
        gpus=gs.gpus,
        hosts=hs.hosts,
        gpu_cohorts=gpu_cohorts,
        host_cohorts=hs.cohorts,
        cohort_overhead=gs.overhead,
        owned_gpus=gs.owned,
        owned_gpu_years=gs.owned_years,
        owned_host_years=hs.owned_years,
        owned_host_count=hs.owned_count,
        host_gpu=host_gpu,
        host_lifetimes=hs.lifetimes,
        replicas=sv.replicas,
        pools=sv.pools,
        class_pool=sv.class_pool,
        points=sv.points,
        cap={p: info[p]["cap"] for p in sv.points},
        gpu_power_kw={p: info[p]["power_kw"] for p in sv.points},
        latency_s={p: info[p]["latency"] for p in sv.points},
        ttft_s={p: info[p]["ttft"] for p in sv.points},
        tpot_s={p: info[p]["tpot"] for p in sv.points},
        online_demand=dm.online,
        online_headroom=dm.headroom,
        online_capacity_factor=cap_factor,
        offline_demand=dm.offline,
        offline_slot_hours=dm.window_hours,
        cpu_points=cpu.points,
        cpu_cap=cpu.cap,
        cpu_dyn_kw=cpu.dyn_kw,
        llm_weights_gb=weights,
        llm_kv_bytes={
            llm: float(cat.row("llms", llm).get("kv_bytes_per_token", 0.0)) for llm in s.llms
        },
        reused_dram_gb=s.inventory.dram_gb if pil.reuse else 0.0,
        reused_ssd_tb=s.inventory.ssd_tb if pil.reuse else 0.0,
        electricity_usd_per_kwh=s.prices.electricity,
        one_gpu_type=not pil.rightsize,
        scenario_file=file,
        reused_dram_kw_per_gb=reused_kw[0],
        reused_ssd_kw_per_tb=reused_kw[1],
        gpu_dyn_factor=gpu_dyn_factor,
        obsolescence=obs,
        gpu_unit_kw=gpu_unit_kw,
        phase_points=ph.points,
        phase_cap=ph.cap,
        phase_power_kw=ph.power_kw,
        phase_ttft_s=ph.ttft_s,
        phase_tpot_s=ph.tpot_s,
        phase_transfer_s=ph.transfer_s,
        phase_capacity_factor=phase_factor,
        dominated=dominated,
        dominated_no_latency=no_latency,
        dominated_replicas=dom_reps,
    )
    if not math.isfinite(sum(data.cap.values())):
        raise CatalogError(str(cat.path / "profiles.csv"), "", "non-finite capacity computed")
    return data
