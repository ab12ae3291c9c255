"""Validated scenario + catalog -> :class:`ModelData` (canonical units, no Pyomo).

Everything the formulation needs is precomputed here as plain dicts keyed by tuples, so the
formulation only declares sets, variables and constraints. Only valid combinations become
keys (sparse index sets): an (llm, gpu, tp) replica exists only if the model fits the GPU's
memory at some batch, and an online operating point only if it meets the LLM's SLOs.

Conventions: power kW, energy kWh, time h (latency s), carbon kgCO2e, money USD,
throughput output tokens/s per replica.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ecoserve_opt.catalog import Catalog, load_catalog, select_engine
from ecoserve_opt.exceptions import CatalogError, ScenarioError
from ecoserve_opt.grid import trend_factor
from ecoserve_opt.io.yaml_loader import LoadedScenario
from ecoserve_opt.schema.scenario import OnlineDemand, Scenario

DAYS_PER_YEAR = 365.0
NO_GPU = "none"
CLASSES = ("online", "offline")
KV_MEMORY_FRACTION = 0.9


def _diurnal(kind: str | list[float]) -> np.ndarray:
    """24 multipliers with mean 1 for an online demand shape."""
    if isinstance(kind, list):
        arr = np.asarray(kind, dtype=float)
    elif kind == "flat":
        arr = np.ones(24)
    else:
        from ecoserve_opt.workload import diurnal_shape

        arr = np.asarray(diurnal_shape(), dtype=float)
    return arr / arr.mean()


@dataclass
class GpuType:
    """A GPU type (new or owned copies share it)."""

    gpu: str
    memory_gb: float
    form_factor: str
    idle_kw: float
    tdp_kw: float
    embodied_kg: float
    lifetime: int
    capex_usd: float
    architecture: str = ""  # GPU generation (gpus.csv ``architecture``), e.g. ampere, hopper


@dataclass
class HostItem:
    """A host platform that can be bought new, or a pool of owned hosts of a platform."""

    item: str
    platform: str
    owned: bool
    cpu: str
    cores_per_socket: int
    sockets: tuple[int, int]
    dimm_gb: float
    dimms: tuple[int, int]
    ssd_tb: float
    ssds: tuple[int, int]
    gpu_slots: int
    form_factor: str
    base_kw: float
    cpu_idle_kw: float
    cpu_tdp_kw: float
    dimm_kw: float
    ssd_kw: float
    emb_base: float
    emb_cpu: float
    emb_dram_gb: float
    emb_ssd_tb: float
    embodied_scale: float
    lifetime: int
    capex_base: float
    capex_cpu: float
    capex_dimm: float
    capex_ssd: float
    # GPU generations the host's GPU baseboard/slots accept (hosts.csv ``gpu_architectures``);
    # empty: the catalog does not say, compatibility by form factor only
    gpu_architectures: tuple[str, ...] = ()
    psu_factor: float = 1.0  # wall / DC power: 1 + PSU loss (static powers above include it)
    fan_per_w: float = 0.0  # fan W per W of dynamic CPU/GPU power
    dram_kw_per_gbs: float = 0.0  # DIMM dynamic power per GB/s of memory traffic (DC)
    cpu_idle_dc_kw: float = 0.0  # socket idle power before the PSU loss
    mem_bw_gbs: float = 0.0  # peak memory bandwidth per socket

    @property
    def dyn_factor(self) -> float:
        """Wall power per DC watt of dynamic (load) power: fans' share and PSU loss."""
        return self.psu_factor * (1.0 + self.fan_per_w)


def _text(value: object) -> str:
    """A catalog text cell ('' for a missing or empty one)."""
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def gpu_fits_host(gpu: GpuType, host: HostItem) -> bool:
    """Whether ``gpu`` can be mounted in ``host``.

    The form factors must match (``sxm``/``pcie``) and the GPU's architecture must be one of
    the host's ``gpu_architectures``: SXM baseboards are generation-specific (an HGX A100
    baseboard takes SXM4 A100 modules, an HGX H100/H200 baseboard SXM5 Hopper modules),
    while PCIe slots take cards of several generations. A catalog without these columns
    falls back to the form factor alone.
    """
    if host.gpu_slots <= 0 or gpu.form_factor != host.form_factor:
        return False
    if not gpu.architecture or not host.gpu_architectures:
        return True
    return gpu.architecture in host.gpu_architectures


@dataclass
class ModelData:
    """Everything the formulation needs, in canonical units."""

    scenario: Scenario
    catalog_path: Path
    years: list[int]
    slots: list[int]
    slot_hours: float  # hours of the day in one slot
    ci: dict[tuple[int, int], float]  # kgCO2e/kWh per (year, slot)
    ci_hourly: np.ndarray  # 24 values (year 1), kgCO2e/kWh
    ci_source: str
    pue: float
    llms: list[str]
    gpus: dict[str, GpuType]
    hosts: dict[str, HostItem]
    # new-purchase cohorts: (gpu, year bought, lifetime) and (host item, year, lifetime)
    gpu_cohorts: list[tuple[str, int, int]]
    host_cohorts: list[tuple[str, int, int]]
    cohort_overhead: dict[tuple[str, str, int], float]  # (kind, id, L) -> spares factor >= 1
    owned_gpus: dict[str, dict[str, float]]  # pool id -> {gpu, count, years_available}
    owned_gpu_years: dict[str, list[int]]
    owned_host_years: dict[str, list[int]]
    owned_host_count: dict[str, int]
    host_gpu: list[tuple[str, str]]  # (host item, gpu or NO_GPU) allowed pairings
    host_lifetimes: dict[str, list[int]]
    replicas: list[tuple[str, str, int]]  # (llm, gpu, tp)
    pools: list[str]
    class_pool: dict[str, str]
    points: list[tuple[str, str, int, int, str]]  # (llm, gpu, tp, batch, class)
    cap: dict[tuple[str, str, int, int, str], float]  # output tokens/s per replica
    gpu_power_kw: dict[tuple[str, str, int, int, str], float]  # per GPU at this point
    latency_s: dict[tuple[str, str, int, int, str], float]  # ttft/O + tpot, per output token
    ttft_s: dict[tuple[str, str, int, int, str], float]
    tpot_s: dict[tuple[str, str, int, int, str], float]
    # tokens/s per (llm, year, slot): the slot's peak-hour demand x burst headroom
    online_demand: dict[tuple[str, int, int], float]
    offline_demand: dict[tuple[str, int], float]  # tokens per day per (llm, year)
    offline_slot_hours: dict[tuple[str, int], float]  # window hours of (llm, slot)
    cpu_points: list[tuple[str, str, int]]  # (llm, host item, batch)
    cpu_cap: dict[tuple[str, str, int], float]  # tokens/s per socket
    cpu_dyn_kw: dict[tuple[str, str, int], float]  # socket power above idle while serving
    llm_weights_gb: dict[str, float]
    llm_kv_bytes: dict[str, float]  # KV-cache bytes per token
    reused_dram_gb: float
    reused_ssd_tb: float
    electricity_usd_per_kwh: float
    reused_dram_kw_per_gb: float = 0.0  # DC, from the catalog's host_components table
    reused_ssd_kw_per_tb: float = 0.0
    gpu_dyn_factor: dict[str, float] = field(default_factory=dict)  # wall W per GPU DC W
    notes: list[str] = field(default_factory=list)
    one_gpu_type: bool = False  # Rightsize off: every model on the same GPU type
    # burst headroom factor applied to online_demand per (llm, year, slot)
    online_headroom: dict[tuple[str, int, int], float] = field(default_factory=dict)
    scenario_file: str = "<scenario>"  # for error messages (file: field path: reason)

    @property
    def hours_per_year(self) -> float:
        """Hours represented by one year of the representative day."""
        return DAYS_PER_YEAR * 24.0

    def slot_weight(self) -> float:
        """Hours per year that one slot of the representative day stands for."""
        return DAYS_PER_YEAR * self.slot_hours

    def offline_duty(self, llm: str, slot: int) -> float:
        """Share of ``slot``'s hours inside ``llm``'s offline window (0..1).

        Offline variables are the rate *while running*; work runs only in the window hours
        of a slot, so a slot is credited ``rate x window hours`` tokens per day and its
        dynamic power is averaged over the slot with this duty factor.
        """
        return self.offline_slot_hours.get((llm, slot), 0.0) / self.slot_hours


def _gpu_type(cat: Catalog, gpu: str, source: str, file: str) -> GpuType:
    if gpu not in cat.gpus.index:
        raise ScenarioError(file, f"hardware.gpus.{gpu}", _unknown("GPU", gpu, cat.gpus.index))
    r = cat.row("gpus", gpu)
    return GpuType(
        gpu=gpu,
        memory_gb=float(r["memory_gb"]),
        form_factor=str(r["form_factor"]),
        idle_kw=float(r["idle_w"]) / 1e3,
        tdp_kw=float(r["tdp_w"]) / 1e3,
        embodied_kg=cat.embodied_kg("gpu", gpu, source),
        lifetime=int(r["lifetime_years"]),
        capex_usd=float(r["capex_usd"]),
        architecture=_text(r.get("architecture")).strip().lower(),
    )


def _unknown(kind: str, name: str, known: pd.Index) -> str:
    import difflib

    close = difflib.get_close_matches(name, [str(k) for k in known], n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return f"unknown {kind} '{name}' (not in the catalog){hint}"


def _host_item(
    cat: Catalog,
    platform: str,
    source: tuple[str, str],
    owned: bool,
    reduce: bool,
    scale: float,
    file: str,
    field_path: str,
) -> HostItem:
    if platform not in cat.hosts.index:
        raise ScenarioError(file, field_path, _unknown("host", platform, cat.hosts.index))
    r = cat.row("hosts", platform)

    def rng(lo: str, hi: str) -> tuple[int, int]:
        top = int(r[hi])
        return (int(r[lo]), top) if reduce and not owned else (top, top)

    def opt(col: str) -> float:
        v = r.get(col)
        return 0.0 if v is None or pd.isna(v) else float(v)

    src, part_src = source
    psu = 1.0 + opt("psu_loss_frac")
    dimm_gb = float(r["dimm_gb"])
    return HostItem(
        item=f"owned:{platform}" if owned else platform,
        platform=platform,
        owned=owned,
        cpu=str(r["cpu"]),
        cores_per_socket=int(r["cores_per_socket"]),
        sockets=rng("min_sockets", "max_sockets"),
        dimm_gb=dimm_gb,
        dimms=rng("min_dimms", "max_dimms"),
        ssd_tb=float(r["ssd_tb"]),
        ssds=rng("min_ssds", "max_ssds"),
        gpu_slots=int(r["gpu_slots"]),
        form_factor=str(r["gpu_form_factor"]),
        base_kw=psu * float(r["base_w"]) / 1e3,
        cpu_idle_kw=psu * float(r["cpu_idle_w"]) / 1e3,
        cpu_tdp_kw=float(r["cpu_tdp_w"]) / 1e3,
        dimm_kw=psu * float(r["dimm_w"]) / 1e3,
        ssd_kw=psu * float(r["ssd_w"]) / 1e3,
        emb_base=cat.embodied_kg("host_base", platform, part_src),
        emb_cpu=cat.embodied_kg("cpu", str(r["cpu"]), src),
        emb_dram_gb=cat.embodied_kg("dram", str(r["dram_type"]), part_src),
        emb_ssd_tb=cat.embodied_kg("ssd", "ssd", part_src),
        embodied_scale=scale,
        lifetime=int(r["lifetime_years"]),
        capex_base=float(r["capex_base_usd"]),
        capex_cpu=float(r["capex_cpu_usd"]),
        capex_dimm=float(r["capex_dimm_usd"]),
        capex_ssd=float(r["capex_ssd_usd"]),
        gpu_architectures=tuple(
            a.strip().lower() for a in _text(r.get("gpu_architectures")).split(";") if a.strip()
        ),
        psu_factor=psu,
        fan_per_w=opt("fan_w_per_w"),
        dram_kw_per_gbs=opt("dram_w_per_gbs") / 1e3,
        cpu_idle_dc_kw=float(r["cpu_idle_w"]) / 1e3,
        mem_bw_gbs=opt("mem_bw_gbs_per_socket"),
    )


HOST_PART_SOURCE = {"fab_only": "act", "whole_part": "lca"}


def _reused_power(cat: Catalog, s: Scenario, file: str) -> tuple[float, float]:
    """kW per GB of reused DRAM and per TB of reused SSD, from ``host_components.csv``."""
    if not s.pillars.reuse or (s.inventory.dram_gb <= 0 and s.inventory.ssd_tb <= 0):
        return 0.0, 0.0
    if cat.host_components is None:
        raise CatalogError(
            str(cat.path / "host_components.csv"),
            "",
            "reused DRAM/SSD (inventory.dram_gb, inventory.ssd_tb) need the host_components "
            "table for their power",
        )
    from ecoserve_opt.catalog.host_power import reused_power_kw

    try:
        dram, ssd, _note = reused_power_kw(cat.host_components)
    except (KeyError, ValueError) as exc:
        raise CatalogError(
            str(cat.path / "host_components.csv"), "", str(exc.args[0] if exc.args else exc)
        ) from None
    return dram, ssd


def _cpu_traffic_gbs(
    cap: float, batch: int, weights_gb: float, kv_bytes: float, n_in: int, n_out: int
) -> float:
    """Memory traffic (GB/s) of one socket serving ``cap`` tokens/s at ``batch``.

    Each decode step reads the weights once and each sequence's KV cache (mean context
    ``n_in + n_out/2``): steps/s = cap / batch.
    """
    per_step = weights_gb + batch * (n_in + n_out / 2.0) * kv_bytes / 1e9
    return cap / batch * per_step


def _grid(s: Scenario, cat: Catalog, base: Path, file: str) -> tuple[np.ndarray, str]:
    from ecoserve_opt import grid

    g = s.grid
    cfe = None
    if g.intensity is not None:
        mean, src = g.intensity, "scenario grid.intensity"
    else:
        fld = "grid.region" if g.region else "grid.country"
        table = cat.grid_regions if g.region is not None else cat.grid_countries
        if table is None:
            name = "grid_regions.csv" if g.region is not None else "grid_countries.csv"
            raise CatalogError(
                str(cat.path / name), "", f"catalog table not found (needed by {fld})"
            )
        try:
            mean, src = grid.annual_intensity(
                region=g.region, country=g.country, year=g.year, catalog_dir=cat.path
            )
        except KeyError as exc:
            raise ScenarioError(file, fld, str(exc.args[0]) if exc.args else str(exc)) from None
        if g.region is not None and "cfe_share" in table.columns:
            wanted = g.region.strip().lower()
            regions = table.index.get_level_values("region")
            rows = table[[str(r).lower() == wanted for r in regions]].droplevel("region")
            yr = g.year if g.year is not None else int(rows.index.max())
            val = rows["cfe_share"].to_dict().get(yr)
            if val is not None and not pd.isna(val):
                cfe = float(val)
    if g.hourly_csv is not None:
        try:
            hourly = grid.load_hourly_csv(base / g.hourly_csv)
        except (OSError, ValueError) as exc:
            raise ScenarioError(file, "grid.hourly_csv", str(exc)) from None
        src += f"; hourly profile from {g.hourly_csv}"
    else:
        hourly = grid.hourly_profile(mean, shape=g.hourly_shape, hours=24, cfe_share=cfe)
        src += f"; hourly shape '{g.hourly_shape}'"
    return np.asarray(hourly, dtype=float), src


def _operating_points(
    s: Scenario,
    cat: Catalog,
    gpus: dict[str, GpuType],
    file: str,
) -> tuple[
    list[tuple[str, str, int, int, str]],
    dict[tuple[str, str, int, int, str], dict[str, float]],
]:
    """Per (llm, gpu, tp, batch, class): capacity, power, latency for the class's lengths.

    TTFT and TPOT are made non-decreasing in the batch size (running maximum over the
    batches of one (llm, gpu, tp)): a larger batch never prefills or decodes faster; the
    few measured rows that say otherwise are measurement noise, and keeping them would let
    the model pick a physically impossible faster point.
    """
    prof = select_engine(cat.profiles.reset_index(), s.profiles.engine, file)
    prof = prof[prof["gpu"].isin(list(gpus)) & prof["tp"].isin(s.hardware.tp_degrees)]
    if s.hardware.batches is not None:
        prof = prof[prof["batch"].isin(s.hardware.batches)]
    llm_spec, gpu_spec = _roofline_specs(cat)
    out: dict[tuple[str, str, int, int, str], dict[str, float]] = {}
    for llm, spec in s.llms.items():
        llm_row = cat.row("llms", llm)
        weights = float(llm_row["weights_gb"])
        kvb = float(llm_row.get("kv_bytes_per_token", 0.0))
        rows = prof[prof["llm"] == llm]
        for cls in CLASSES:
            dem = getattr(spec, cls)
            if dem is None:
                continue
            n_in, n_out = dem.input_tokens, dem.output_tokens
            floor: dict[tuple[str, int], tuple[float, float]] = {}  # running max over batch
            for key, grp in rows.groupby(["gpu", "tp", "batch"]):  # batches ascending
                gpu, tp, batch = key  # type: ignore[misc]
                g = gpus[str(gpu)]
                tp_i, b_i = int(tp), int(batch)  # type: ignore[call-overload]
                mem_need = weights / tp_i + b_i * (n_in + n_out) * kvb / tp_i / 1e9
                if mem_need > KV_MEMORY_FRACTION * g.memory_gb:
                    continue
                ref = _gpu_reference(llm_spec.get(llm), gpu_spec.get(str(gpu)), tp_i, b_i)
                point = _profile_point(grp, n_in, n_out, b_i, ref, g.tdp_kw)
                if point is None:
                    continue
                ttft, tpot, power_kw, _cap = point
                lo_ttft, lo_tpot = floor.get((str(gpu), tp_i), (0.0, 0.0))
                ttft, tpot = max(ttft, lo_ttft), max(tpot, lo_tpot)
                floor[(str(gpu), tp_i)] = (ttft, tpot)
                cap = b_i * n_out / (ttft + n_out * tpot)
                if cls == "online" and (ttft > dem.ttft_slo or tpot > dem.tpot_slo):
                    continue
                out[(llm, str(gpu), tp_i, b_i, cls)] = {
                    "cap": cap,
                    "power_kw": max(power_kw, g.idle_kw),
                    "latency": ttft / n_out + tpot,
                    "ttft": ttft,
                    "tpot": tpot,
                }
    return sorted(out), out


#: (ttft_ms, tpot_ms, power_w) of an operating point at a prompt length, from a model.
Reference = Callable[[float], tuple[float, float, float]]


def _roofline_specs(cat: Catalog) -> tuple[dict[str, Any], dict[str, Any]]:
    """Roofline specs of the catalog's LLMs and GPUs ({} when its columns are missing)."""
    from ecoserve_opt.perf.roofline import gpu_specs, llm_specs

    try:
        return llm_specs(cat.llms), gpu_specs(cat.gpus)
    except (KeyError, ValueError, TypeError):
        return {}, {}


def _gpu_reference(llm: Any, gpu: Any, tp: int, batch: int) -> Reference | None:
    """The calibrated GPU roofline of one (llm, gpu, tp, batch) as a function of the prompt
    length (catalog output length), or ``None`` without specs."""
    if llm is None or gpu is None:
        return None
    from ecoserve_opt.perf.roofline import estimate_gpu

    def ref(prompt: float) -> tuple[float, float, float]:
        e = estimate_gpu(llm, gpu, tp, batch, max(1, round(prompt)))
        return e.ttft_ms, e.tpot_ms, e.power_w

    return ref


def _cpu_reference(llm: Any, cpu: Any, batch: int) -> Reference | None:
    """The CPU-socket roofline of one (llm, cpu, batch), or ``None`` without specs."""
    if llm is None or cpu is None:
        return None
    from ecoserve_opt.perf.roofline import estimate_cpu

    def ref(prompt: float) -> tuple[float, float, float]:
        e = estimate_cpu(llm, cpu, batch, max(1, round(prompt)))
        return e.ttft_ms, e.tpot_ms, e.power_w

    return ref


def _profile_point(
    grp: pd.DataFrame,
    n_in: int,
    n_out: int,
    batch: int,
    ref: Reference | None = None,
    max_kw: float | None = None,
) -> tuple[float, float, float, float] | None:
    """TTFT (s), TPOT (s), power (kW) and output tokens/s of one replica (or CPU socket) at
    prompt length ``n_in``; ``None`` when the latencies are not positive.

    Inside the rows' prompt range: linear interpolation. Outside it (and for a single row),
    the nearest row is scaled by the reference model's ratio between ``n_in`` and that row's
    prompt length (``ref``: the calibrated roofline), so only what depends on the prompt
    changes (prefill time grows with it, TPOT mildly through attention over the KV cache,
    power stays near the row's); without a reference TTFT scales with the prompt and TPOT
    and power are the row's. Latencies are made non-decreasing in the prompt length (running
    maximum over the rows: measured and roofline rows may disagree by a few %) and power
    never exceeds ``max_kw`` (the GPU's TDP; CPU socket rows are taken as given).

    Capacity = batch x O / (TTFT + O x TPOT): a batch of requests is prefilled, then decodes
    its O tokens.
    """
    x = grp["prompt_tokens"].to_numpy(float)
    order = np.argsort(x, kind="stable")
    x = x[order]
    ys = (
        np.maximum.accumulate(grp["ttft_ms"].to_numpy(float)[order]),
        np.maximum.accumulate(grp["tpot_ms"].to_numpy(float)[order]),
        grp["power_w"].to_numpy(float)[order],
    )
    if len(x) > 1 and x[0] <= n_in <= x[-1]:
        ttft_ms, tpot_ms, power_w = (float(np.interp(n_in, x, y)) for y in ys)
    else:
        j = 0 if n_in < x[0] else len(x) - 1
        if ref is not None:
            at, row = ref(n_in), ref(x[j])
            ttft_ms, tpot_ms, power_w = (
                float(y[j]) * (a / r if r > 0 else 1.0) for y, a, r in zip(ys, at, row, strict=True)
            )
        else:
            ttft_ms = float(ys[0][j]) * (n_in / x[j] if x[j] > 0 else 1.0)
            tpot_ms, power_w = float(ys[1][j]), float(ys[2][j])
    ttft, tpot, power_kw = ttft_ms / 1e3, tpot_ms / 1e3, power_w / 1e3
    if max_kw is not None:
        power_kw = min(power_kw, max_kw)
    if ttft <= 0 or tpot <= 0:
        return None
    return ttft, tpot, power_kw, batch * n_out / (ttft + n_out * tpot)


def _prune_dominated_lifetimes(
    cohorts: list[tuple[str, int, int]],
    kind: str,
    overhead: dict[tuple[str, str, int], float],
    n_years: int,
) -> list[tuple[str, int, int]]:
    """Drop lifetime options that can never be better.

    A cohort bought in year y0 whose lifetime L reaches past the horizon
    (y0 + L - 1 >= n_years) serves every remaining year whatever L is; such options differ
    only in the per-year charge overhead(L)/L, which scales both embodied carbon and capex.
    Among them only the cheapest (ties: the longest) can be chosen by any objective, so the
    others are removed. Exact, and it shrinks the host deployment sets (indexed by L).
    """
    best: dict[tuple[str, int], tuple[float, int]] = {}
    for item, y0, L in cohorts:
        if y0 + L - 1 >= n_years:
            key = (overhead[(kind, item, L)] / L, -L)
            best[(item, y0)] = min(best.get((item, y0), key), key)
    out = []
    for item, y0, L in cohorts:
        if y0 + L - 1 >= n_years and (overhead[(kind, item, L)] / L, -L) != best[(item, y0)]:
            continue
        out.append((item, y0, L))
    return out


def burst_headroom(on: OnlineDemand, requests_per_s: float) -> float:
    """Burst headroom of an online demand at a sized rate of ``requests_per_s``.

    ``burst_headroom: auto`` (the default) derives it from minute-level peaks: for a trace
    workload, the trace's measured minute peak-to-mean
    (:func:`ecoserve_opt.workload.minute_peak_to_mean`); for a rate (replayed as Poisson
    arrivals), :func:`ecoserve_opt.workload.poisson_minute_headroom`. A number is used as is.
    The factor multiplies the sized (peak-hour) online demand of each slot, so capacity
    covers the busiest minutes; served energy is counted on the sized demand, as for the
    peak hour (an overestimate, see docs/simulate.md).
    """
    from ecoserve_opt.workload import poisson_minute_headroom, summarise

    if not isinstance(on.burst_headroom, str):
        return float(on.burst_headroom)
    if on.workload is not None:
        return summarise(on.workload).minute_peak_to_mean
    return poisson_minute_headroom(requests_per_s)


def resolve_workloads(s: Scenario) -> Scenario:
    """Fill online demand given as ``workload: <trace>`` from the bundled trace summary.

    The trace's request rate (times ``rate_scale``), mean input/output lengths and diurnal
    shape are used wherever the scenario does not set the field itself.
    """
    llms = {}
    for name, spec in s.llms.items():
        on = spec.online
        if on is None or on.workload is None:
            llms[name] = spec
            continue
        from ecoserve_opt.workload import summarise

        w = summarise(on.workload)
        given = on.model_fields_set
        upd: dict[str, object] = {}
        if "input_tokens" not in given:
            upd["input_tokens"] = max(1, round(w.mean_input_tokens))
        if "output_tokens" not in given:
            upd["output_tokens"] = max(1, round(w.mean_output_tokens))
        if on.requests_per_s is None and on.tokens_per_s is None:
            upd["requests_per_s"] = w.requests_per_s * on.rate_scale
        if "diurnal" not in given:
            upd["diurnal"] = list(w.diurnal)
        llms[name] = spec.model_copy(update={"online": on.model_copy(update=upd)})
    return s.model_copy(update={"llms": llms})


def build_data(loaded: LoadedScenario, catalog: Catalog | None = None) -> ModelData:
    """Turn a validated scenario into :class:`ModelData` (raises ScenarioError on bad refs)."""
    s = resolve_workloads(loaded.scenario)
    file = str(loaded.path) if loaded.path else "<scenario>"
    if catalog is None:
        cat_dir = None if s.catalog == "default" else loaded.base_dir / s.catalog
        catalog = load_catalog(cat_dir)
    cat = catalog
    part_src = HOST_PART_SOURCE.get(s.host_embodied_method, s.embodied_source)
    src = (s.embodied_source, part_src)
    pil = s.pillars
    years = list(range(1, s.years + 1))
    n_slots = s.time_slots
    slot_hours = 24.0 / n_slots
    slots = list(range(n_slots))

    for llm in s.llms:
        if llm not in cat.llms.index:
            raise ScenarioError(file, f"llms.{llm}", _unknown("LLM", llm, cat.llms.index))

    # --- grid --------------------------------------------------------------------------
    hourly, ci_src = _grid(s, cat, loaded.base_dir, file)
    ci: dict[tuple[int, int], float] = {}
    for y in years:
        fac = trend_factor(s.grid.trend_per_year, y - years[0])
        for sl in slots:
            hrs = hourly[int(sl * slot_hours) : int((sl + 1) * slot_hours)]
            ci[(y, sl)] = float(hrs.mean()) * fac

    # --- GPUs ----------------------------------------------------------------------------
    # Rightsize off does not drop candidates: the formulation then picks ONE GPU type for
    # all models (``one_gpu_type``), with the TP degree per model free.
    candidate_gpus = list(dict.fromkeys(s.hardware.gpus))
    owned_gpu_spec = list(s.inventory.gpus) if pil.reuse else []
    gpu_ids = list(dict.fromkeys([*candidate_gpus, *[o.gpu for o in owned_gpu_spec]]))
    gpus: dict[str, GpuType] = {}
    for gid in gpu_ids:
        gpus[gid] = _gpu_type(cat, gid, s.embodied_source, file)
    for i, o in enumerate(s.inventory.gpus):
        if o.gpu not in cat.gpus.index:
            raise ScenarioError(
                file, f"inventory.gpus.{i}.gpu", _unknown("GPU", o.gpu, cat.gpus.index)
            )

    avail = dict(s.hardware.available_from)

    def first_year(kind: str, item: str) -> int:
        if item in avail:
            return avail[item]
        return int(cat.row("gpus" if kind == "gpu" else "hosts", item)["generation_year"])

    rec = s.recycle
    ovh = rec.overhead_per_extra_year
    cohort_overhead: dict[tuple[str, str, int], float] = {}
    gpu_cohorts: list[tuple[str, int, int]] = []
    common_life = min(gpus[g].lifetime for g in candidate_gpus)
    for gid in candidate_gpus:
        g = gpus[gid]
        lifes = (
            sorted({g.lifetime + e for e in rec.gpu_extra_years}) if pil.recycle else [g.lifetime]
        )
        for L in lifes:
            cohort_overhead[("gpu", gid, L)] = 1.0 + ovh * max(0, L - g.lifetime)
        for y in years:
            if first_year("gpu", gid) <= s.start_year + y - 1:
                gpu_cohorts.extend((gid, y, L) for L in lifes)

    owned_gpus: dict[str, dict[str, float]] = {}
    owned_gpu_years: dict[str, list[int]] = {}
    ext = rec.owned_extra_years if pil.recycle else 0
    for i, o in enumerate(owned_gpu_spec):
        pid = f"owned{i}:{o.gpu}"
        life = gpus[o.gpu].lifetime + ext
        owned_gpus[pid] = {"gpu": o.gpu, "count": o.count}  # type: ignore[dict-item]
        owned_gpu_years[pid] = [y for y in years if o.age_years + (y - 1) < life]

    # --- hosts ---------------------------------------------------------------------------
    hosts: dict[str, HostItem] = {}
    host_lifetimes: dict[str, list[int]] = {}
    host_cohorts: list[tuple[str, int, int]] = []
    for hid in dict.fromkeys(s.hardware.hosts):
        h = _host_item(cat, hid, src, False, pil.reduce, 1.0, file, f"hardware.hosts.{hid}")
        hosts[hid] = h
        if pil.recycle:
            # decoupled refresh: a host may also retire with the shortest-lived GPU
            lifes = sorted({common_life} | {h.lifetime + e for e in rec.host_extra_years})
        else:
            # Recycle off: every item keeps its own catalog lifetime
            lifes = [h.lifetime]
        host_lifetimes[hid] = lifes
        for L in lifes:
            cohort_overhead[("host", hid, L)] = 1.0 + ovh * max(0, L - h.lifetime)
        for y in years:
            if first_year("host", hid) <= s.start_year + y - 1:
                host_cohorts.extend((hid, y, L) for L in lifes)
    gpu_cohorts = _prune_dominated_lifetimes(gpu_cohorts, "gpu", cohort_overhead, len(years))
    host_cohorts = _prune_dominated_lifetimes(host_cohorts, "host", cohort_overhead, len(years))
    for hid in list(host_lifetimes):
        host_lifetimes[hid] = sorted({L for h, _y0, L in host_cohorts if h == hid})
    owned_host_years: dict[str, list[int]] = {}
    owned_host_count: dict[str, int] = {}
    share = s.inventory.embodied_residual_share
    if pil.reuse:
        for i, oh in enumerate(s.inventory.hosts):
            h = _host_item(cat, oh.host, src, True, False, share, file, f"inventory.hosts.{i}.host")
            if h.item in hosts:
                raise ScenarioError(
                    file, f"inventory.hosts.{i}.host", f"host '{oh.host}' is listed twice"
                )
            hosts[h.item] = h
            host_lifetimes[h.item] = [h.lifetime]
            life = h.lifetime + ext
            owned_host_years[h.item] = [y for y in years if oh.age_years + (y - 1) < life]
            owned_host_count[h.item] = oh.count
    else:
        for i, oh in enumerate(s.inventory.hosts):
            if oh.host not in cat.hosts.index:
                raise ScenarioError(
                    file, f"inventory.hosts.{i}.host", _unknown("host", oh.host, cat.hosts.index)
                )

    host_gpu: list[tuple[str, str]] = []
    for hid, h in hosts.items():
        host_gpu.append((hid, NO_GPU))
        if h.gpu_slots > 0:
            host_gpu.extend((hid, gid) for gid in gpus if gpu_fits_host(gpus[gid], h))
    # a GPU type no candidate host can take is never bought (check_hosts warns about it)
    mountable = {g for _h, g in host_gpu}
    gpu_cohorts = [c for c in gpu_cohorts if c[0] in mountable]

    # --- serving configurations ----------------------------------------------------------
    pts, info = _operating_points(s, cat, gpus, file)
    # a replica's TP group must fit inside one host: tp <= largest slot count for that GPU
    max_slots: dict[str, int] = {}
    for hid, gid in host_gpu:
        if gid != NO_GPU:
            max_slots[gid] = max(max_slots.get(gid, 0), hosts[hid].gpu_slots)
    pts = [p for p in pts if p[2] <= max_slots.get(p[1], 0)]
    replicas = sorted({(p[0], p[1], p[2]) for p in pts})
    pools = ["shared"] if s.share_online_offline else ["online", "offline"]
    class_pool = {c: ("shared" if s.share_online_offline else c) for c in CLASSES}

    # --- demand --------------------------------------------------------------------------
    online_demand: dict[tuple[str, int, int], float] = {}
    online_headroom: dict[tuple[str, int, int], float] = {}
    offline_demand: dict[tuple[str, int], float] = {}
    offline_slot_hours: dict[tuple[str, int], float] = {}
    for llm, spec in s.llms.items():
        for y in years:
            grow = (1.0 + s.demand_growth_per_year) ** (y - 1)
            if spec.online is not None:
                shape = _diurnal(spec.online.diurnal)
                rate = spec.online.output_tokens_per_s * grow
                for sl in slots:
                    seg = shape[int(sl * slot_hours) : int((sl + 1) * slot_hours)]
                    peak = rate * float(seg.max())
                    head = burst_headroom(spec.online, peak / spec.online.output_tokens)
                    online_demand[(llm, y, sl)] = peak * head
                    online_headroom[(llm, y, sl)] = head
            if spec.offline is not None:
                offline_demand[(llm, y)] = spec.offline.tokens_per_day * grow
        if spec.offline is not None:
            a, b = spec.offline.window
            hours_in = [(h % 24) for h in (range(a, b) if a < b else range(a, b + 24))]
            for sl in slots:
                lo, hi = sl * slot_hours, (sl + 1) * slot_hours
                offline_slot_hours[(llm, sl)] = float(sum(1 for h in hours_in if lo <= h < hi))

    # --- host-CPU offline serving (Reuse pillar, EcoServe's idle-CPU reuse) --------------
    cpu_points: list[tuple[str, str, int]] = []
    cpu_cap: dict[tuple[str, str, int], float] = {}
    cpu_dyn: dict[tuple[str, str, int], float] = {}
    if pil.reuse_host_cpus and cat.cpu_profiles is not None:
        from ecoserve_opt.perf.roofline import cpu_specs

        cp = cat.cpu_profiles.reset_index()
        llm_spec, _ = _roofline_specs(cat)
        try:
            cpu_spec = cpu_specs(cat.hosts)
        except (KeyError, ValueError, TypeError):
            cpu_spec = {}
        for llm, spec in s.llms.items():
            if spec.offline is None:
                continue
            n_in, n_out = spec.offline.input_tokens, spec.offline.output_tokens
            for hid, h in hosts.items():
                rows = cp[(cp["llm"] == llm) & (cp["cpu"] == h.cpu)]
                for bkey, grp in rows.groupby("batch"):
                    batch = int(bkey)  # type: ignore[arg-type]
                    ref = _cpu_reference(llm_spec.get(llm), cpu_spec.get(h.cpu), batch)
                    point = _profile_point(grp, n_in, n_out, batch, ref)
                    if point is None:
                        continue
                    key = (llm, hid, batch)
                    cpu_points.append(key)
                    cpu_cap[key] = point[3]
                    traffic = _cpu_traffic_gbs(
                        point[3],
                        batch,
                        float(cat.row("llms", llm)["weights_gb"]),
                        float(cat.row("llms", llm).get("kv_bytes_per_token", 0.0)),
                        n_in,
                        n_out,
                    )
                    if h.mem_bw_gbs > 0:
                        traffic = min(traffic, h.mem_bw_gbs)
                    dc = max(point[2] - h.cpu_idle_dc_kw, 0.0) + h.dram_kw_per_gbs * traffic
                    cpu_dyn[key] = dc * h.dyn_factor
    weights = {llm: float(cat.row("llms", llm)["weights_gb"]) for llm in s.llms}
    reused_kw = _reused_power(cat, s, file)
    # GPU load power reaches the wall through the fans and PSU of its host; a GPU type may
    # sit in several host types, so the largest factor among them is used (conservative).
    gpu_dyn_factor = {
        gid: max([hosts[h].dyn_factor for h, g in host_gpu if g == gid], default=1.0)
        for gid in gpus
    }

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
        gpus=gpus,
        hosts=hosts,
        gpu_cohorts=gpu_cohorts,
        host_cohorts=host_cohorts,
        cohort_overhead=cohort_overhead,
        owned_gpus=owned_gpus,
        owned_gpu_years=owned_gpu_years,
        owned_host_years=owned_host_years,
        owned_host_count=owned_host_count,
        host_gpu=host_gpu,
        host_lifetimes=host_lifetimes,
        replicas=replicas,
        pools=pools,
        class_pool=class_pool,
        points=pts,
        cap={p: info[p]["cap"] for p in pts},
        gpu_power_kw={p: info[p]["power_kw"] for p in pts},
        latency_s={p: info[p]["latency"] for p in pts},
        ttft_s={p: info[p]["ttft"] for p in pts},
        tpot_s={p: info[p]["tpot"] for p in pts},
        online_demand=online_demand,
        online_headroom=online_headroom,
        offline_demand=offline_demand,
        offline_slot_hours=offline_slot_hours,
        cpu_points=sorted(cpu_points),
        cpu_cap=cpu_cap,
        cpu_dyn_kw=cpu_dyn,
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
    )
    if not math.isfinite(sum(data.cap.values())):
        raise CatalogError(str(cat.path / "profiles.csv"), "", "non-finite capacity computed")
    return data
