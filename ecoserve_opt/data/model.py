"""The model's input as plain data: :class:`ModelData` and its items (no Pyomo).

Everything the formulation needs is precomputed in canonical units as plain dicts keyed by
the labelled tuples of :mod:`ecoserve_opt.data.keys`, so the formulation only declares sets,
variables and constraints. Only valid combinations become keys (sparse index sets).

Conventions: power kW, energy kWh, time h (latency s), carbon kgCO2e, money USD,
throughput output tokens/s per replica.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ecoserve_opt.data.keys import (
    CpuPoint,
    GpuCohort,
    HostCohort,
    HostGpu,
    PhasePoint,
    Point,
    Replica,
)
from ecoserve_opt.schema.scenario import Scenario

DAYS_PER_YEAR = 365.0
NO_GPU = "none"
CLASSES = ("online", "offline")
KV_MEMORY_FRACTION = 0.9


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
    ci: dict[tuple[int, int], float]  # kgCO2e/kWh per YearSlot
    ci_hourly: np.ndarray  # 24 values (year 1), kgCO2e/kWh
    ci_source: str
    pue: float
    llms: list[str]
    gpus: dict[str, GpuType]
    hosts: dict[str, HostItem]
    # new-purchase cohorts: (gpu, year bought, lifetime) and (host item, year, lifetime)
    gpu_cohorts: list[GpuCohort]
    host_cohorts: list[HostCohort]
    cohort_overhead: dict[tuple[str, str, int], float]  # CohortKind -> replacement factor
    owned_gpus: dict[str, dict[str, float]]  # pool id -> {gpu, count, years_available}
    owned_gpu_years: dict[str, list[int]]
    owned_host_years: dict[str, list[int]]
    owned_host_count: dict[str, int]
    host_gpu: list[HostGpu]  # (host item, gpu or NO_GPU) allowed pairings
    host_lifetimes: dict[str, list[int]]
    replicas: list[Replica]  # (llm, gpu, tp, precision)
    pools: list[str]
    class_pool: dict[str, str]
    points: list[Point]  # (llm, gpu, tp, batch, class, precision)
    cap: dict[Point, float]  # per Point: output tokens/s per replica
    gpu_power_kw: dict[Point, float]  # per GPU at this point
    latency_s: dict[Point, float]  # ttft/O + tpot, per output token
    ttft_s: dict[Point, float]
    tpot_s: dict[Point, float]
    # tokens/s per OnlineDemandKey (llm, year, slot): the slot's peak-hour demand (headroom
    # is on capacity: online_capacity_factor)
    online_demand: dict[tuple[str, int, int], float]
    offline_demand: dict[tuple[str, int], float]  # tokens per day per OfflineDemandKey
    offline_slot_hours: dict[tuple[str, int], float]  # window hours per WindowSlot
    cpu_points: list[CpuPoint]  # (llm, host item, batch)
    cpu_cap: dict[tuple[str, str, int], float]  # per CpuPoint: tokens/s per socket
    cpu_dyn_kw: dict[tuple[str, str, int], float]  # socket power above idle while serving
    llm_weights_gb: dict[str, float]
    llm_kv_bytes: dict[str, float]  # KV-cache bytes per token
    reused_dram_gb: float
    reused_ssd_tb: float
    electricity_usd_per_kwh: float
    reused_dram_kw_per_gb: float = 0.0  # DC, from the catalog's host_components table
    reused_ssd_kw_per_tb: float = 0.0
    gpu_dyn_factor: dict[str, float] = field(default_factory=dict)  # wall W per GPU DC W
    # Recycle, steady-state lifetime accounting: (kind, id, L) -> obsolescence share
    # relative to the catalog lifetime (absent: no charge), and the wall power per GPU of
    # each type that the charge applies to (idle + load share x (TDP - idle))
    obsolescence: dict[tuple[str, str, int], float] = field(default_factory=dict)
    gpu_unit_kw: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    one_gpu_type: bool = False  # Rightsize off: every model on the same GPU type
    # busiest minute's arrival rate over the peak hour's, per (llm, year, slot)
    online_headroom: dict[tuple[str, int, int], float] = field(default_factory=dict)
    # capacity factor f >= 1 per (llm, gpu, tp, batch, "online", precision, year, slot): an
    # online point uses f x its load of a replica's capacity (headroom on capacity only, see
    # ecoserve_opt/queueing.py); missing keys mean 1
    online_capacity_factor: dict[tuple[str, str, int, int, str, str, int, int], float] = field(
        default_factory=dict
    )
    scenario_file: str = "<scenario>"  # for error messages (file: field path: reason)
    # Phase-level Rightsize (pillars.split_phases; data/phases.py): prefill/decode points
    phase_points: list[PhasePoint] = field(default_factory=list)
    phase_cap: dict[PhasePoint, float] = field(default_factory=dict)  # output tokens/s
    phase_power_kw: dict[PhasePoint, float] = field(default_factory=dict)  # per GPU
    phase_ttft_s: dict[PhasePoint, float] = field(default_factory=dict)  # prefill + transfer
    phase_tpot_s: dict[PhasePoint, float] = field(default_factory=dict)
    phase_transfer_s: dict[PhasePoint, float] = field(default_factory=dict)
    # online headroom on phase-pool capacity per (*phase point, year, slot); missing: 1
    phase_capacity_factor: dict[tuple[str, str, int, int, str, str, int, int], float] = field(
        default_factory=dict
    )
    # operating points a convex combination of the other points of their replica type and
    # class dominates in every coefficient the model reads (solver.prune; data/hull.py):
    # the formulation leaves their served rates out (same optimum); empty when off
    dominated: frozenset[Point] = frozenset()
    # the same compared without the latency row (solver.prune_latency); empty when off
    dominated_no_latency: frozenset[Point] = frozenset()
    # replica types one replica of another TP degree or precision of the same LLM and GPU
    # replaces with no loss (solver.prune; data/hull.py): the formulation leaves out their
    # replica counts; their points are in ``dominated`` (and ``dominated_no_latency``)
    dominated_replicas: frozenset[Replica] = frozenset()

    @property
    def hours_per_year(self) -> float:
        """Hours represented by one year of the representative day."""
        return DAYS_PER_YEAR * 24.0

    def slot_weight(self) -> float:
        """Hours per year that one slot of the representative day stands for."""
        return DAYS_PER_YEAR * self.slot_hours

    def capacity_factor(self, point: Point, year: int, slot: int) -> float:
        """Online headroom factor (>= 1) of ``point`` in ``year``/``slot``: one token/s there
        takes this many times its share of a replica's capacity (1 offline, without headroom)."""
        return self.online_capacity_factor.get((*point, year, slot), 1.0)

    def offline_duty(self, llm: str, slot: int) -> float:
        """Share of ``slot``'s hours inside ``llm``'s offline window (0..1).

        Offline variables are the rate *while running*; work runs only in the window hours
        of a slot, so a slot is credited ``rate x window hours`` tokens per day and its
        dynamic power is averaged over the slot with this duty factor.
        """
        return self.offline_slot_hours.get((llm, slot), 0.0) / self.slot_hours
