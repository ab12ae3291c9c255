"""Hardware sections of the data: GPU types, host items and their cohorts.

* **Rightsize** -- the candidate GPU types (all of them; the one-type choice is made by the
  formulation when the pillar is off);
* **Reduce** -- host items with a component range (sockets, DIMMs, SSDs) from need to the
  full SKU (off, or owned: the full SKU);
* **Recycle** -- lifetime options per GPU/host cohort with their spares factor and, with
  steady-state lifetime accounting, obsolescence share; options no grid intensity can make
  optimal pruned (off: the catalog lifetime only);
* **Reuse** -- owned GPU pools and hosts from ``inventory:`` with the years they are usable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypeVar

import pandas as pd

from ecoserve_opt.catalog import Catalog
from ecoserve_opt.data.keys import CohortKind, GpuCohort, HostCohort, HostGpu
from ecoserve_opt.data.model import NO_GPU, GpuType, HostItem, gpu_fits_host
from ecoserve_opt.exceptions import CatalogError, ScenarioError
from ecoserve_opt.lifetime import (
    SOURCED_FAILURES,
    FailureRates,
    ageing_factor,
    lower_envelope,
    relative_obsolescence,
    spares_factor,
)
from ecoserve_opt.schema.scenario import Scenario

C = TypeVar("C", GpuCohort, HostCohort)


def _text(value: object) -> str:
    """A catalog text cell ('' for a missing or empty one)."""
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


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


def _prune_dominated_lifetimes(
    cohorts: list[C],
    kind: str,
    overhead: dict[tuple[str, str, int], float],
    n_years: int,
    obsolescence: dict[tuple[str, str, int], float] | None = None,
) -> list[C]:
    """Drop lifetime options that can never be better.

    A cohort bought in year y0 whose lifetime L reaches past the horizon
    (y0 + L - 1 >= n_years) serves every remaining year whatever L is; such options differ
    only in the per-year charge: overhead(L)/L on embodied carbon and capex, plus, with
    steady-state lifetime accounting, the obsolescence share (relative to the catalog life)
    times the unit's energy and the grid intensity. Per unit of embodied carbon that charge
    is the line ``overhead(L)/L + share(L) x`` in ``x`` >= 0 (proportional to the grid
    intensity, which sweeps change without rebuilding; a mix of components and years is the
    same line at a weighted mean ``x``), so only the options on the lower envelope of these
    lines can be chosen by any objective at any intensity
    (:func:`ecoserve_opt.lifetime.lower_envelope`); the others are removed. Without the
    obsolescence term this keeps the cheapest ``overhead(L)/L`` (ties: the longest). Exact,
    and it shrinks the host deployment sets (indexed by L).
    """
    slope = obsolescence or {}
    groups: dict[tuple[str, int], list[tuple[int, float, float]]] = {}
    for item, y0, L in cohorts:
        if y0 + L - 1 >= n_years:
            key = CohortKind(kind, item, L)
            groups.setdefault((item, y0), []).append((L, overhead[key] / L, slope.get(key, 0.0)))
    keep = {k: set(lower_envelope(v)) for k, v in groups.items()}
    return [c for c in cohorts if c[1] + c[2] - 1 < n_years or c[2] in keep[(c[0], c[1])]]


def obsolescence_shares(
    s: Scenario,
    overhead: dict[tuple[str, str, int], float],
    gpus: dict[str, GpuType],
    hosts: dict[str, HostItem],
) -> dict[tuple[str, str, int], float]:
    """Recycle, steady-state lifetime accounting: per lifetime option (``CohortKind``) its
    obsolescence share relative to the catalog lifetime (:mod:`ecoserve_opt.lifetime`),
    from ``recycle.gpu_efficiency_gain`` / ``host_efficiency_gain``. Empty with Recycle off
    or ``lifetime_accounting: horizon``; zero shares (catalog lifetimes) are left out."""
    rec = s.recycle
    if not s.pillars.recycle or rec.lifetime_accounting != "steady_state":
        return {}
    out: dict[tuple[str, str, int], float] = {}
    for key in overhead:
        kind, item, life = key
        if kind == "gpu":
            share = relative_obsolescence(
                life, gpus[item].lifetime, rec.gpu_efficiency_gain, rec.gpu_power_degradation
            )
        else:
            share = relative_obsolescence(
                life, hosts[item].lifetime, rec.host_efficiency_gain, rec.host_power_degradation
            )
        if share != 0.0:
            out[key] = share
    return out


def _first_year(s: Scenario, cat: Catalog, kind: str, item: str) -> int:
    """First calendar year ``item`` can be bought (``hardware.available_from`` or the
    catalog's generation year)."""
    avail = s.hardware.available_from
    if item in avail:
        return avail[item]
    return int(cat.row("gpus" if kind == "gpu" else "hosts", item)["generation_year"])


def _bought_in(s: Scenario, cat: Catalog, kind: str, item: str, years: list[int]) -> list[int]:
    """Planning years in which ``item`` is on the market."""
    first = _first_year(s, cat, kind, item)
    return [y for y in years if first <= s.start_year + y - 1]


def failure_rates(s: Scenario, kind: str) -> FailureRates:
    """Failure rates of a new GPU (``kind`` gpu) or host for ``recycle.ageing: sourced``:
    the scenario's ``gpu_afr_by_age``/``host_afr_by_age`` if given, else the sourced ones
    (:data:`ecoserve_opt.lifetime.SOURCED_FAILURES`)."""
    custom = s.recycle.gpu_afr_by_age if kind == "gpu" else s.recycle.host_afr_by_age
    base = SOURCED_FAILURES[kind]
    if custom is None:
        return base
    return FailureRates(tuple(custom), base.fail_in_place, f"scenario recycle.{kind}_afr_by_age")


def _overhead(s: Scenario, kind: str, life: int, catalog_life: int) -> float:
    """Replacement (spares) factor of a lifetime option on its embodied carbon, by
    ``recycle.ageing``: sourced failure rates by age, the flat overhead per year beyond the
    catalog's, or none."""
    mode = s.recycle.ageing
    if mode == "none" or not s.pillars.recycle:
        return 1.0
    if mode == "flat":
        return spares_factor(life, catalog_life, s.recycle.overhead_per_extra_year)
    return ageing_factor(life, catalog_life, failure_rates(s, kind))


@dataclass
class GpuSection:
    """GPU types and the GPU sets: cohorts ``GC`` (Recycle), owned pools ``OG`` (Reuse)."""

    gpus: dict[str, GpuType]
    candidates: list[str]  # the GPU types that may be bought (Rightsize)
    cohorts: list[GpuCohort]
    overhead: dict[tuple[str, str, int], float]  # CohortKind -> spares factor
    owned: dict[str, dict[str, float]]  # pool id -> {gpu, count}
    owned_years: dict[str, list[int]]


def gpu_section(s: Scenario, cat: Catalog, file: str, years: list[int]) -> GpuSection:
    """GPU types (candidates and owned ones), new-GPU cohorts and owned GPU pools."""
    pil = s.pillars
    # Rightsize off does not drop candidates: the formulation then picks ONE GPU type for
    # all models (``one_gpu_type``), with the TP degree per model free.
    candidates = list(dict.fromkeys(s.hardware.gpus))
    owned_spec = list(s.inventory.gpus) if pil.reuse else []
    gpu_ids = list(dict.fromkeys([*candidates, *[o.gpu for o in owned_spec]]))
    gpus = {gid: _gpu_type(cat, gid, s.embodied_source, file) for gid in gpu_ids}
    for i, o in enumerate(s.inventory.gpus):
        if o.gpu not in cat.gpus.index:
            raise ScenarioError(
                file, f"inventory.gpus.{i}.gpu", _unknown("GPU", o.gpu, cat.gpus.index)
            )
    rec = s.recycle
    overhead: dict[tuple[str, str, int], float] = {}
    cohorts: list[GpuCohort] = []
    for gid in candidates:
        g = gpus[gid]
        lifes = (
            sorted({g.lifetime + e for e in rec.gpu_extra_years}) if pil.recycle else [g.lifetime]
        )
        for L in lifes:
            overhead[CohortKind("gpu", gid, L)] = _overhead(s, "gpu", L, g.lifetime)
        for y in _bought_in(s, cat, "gpu", gid, years):
            cohorts.extend(GpuCohort(gid, y, L) for L in lifes)
    owned: dict[str, dict[str, float]] = {}
    owned_years: dict[str, list[int]] = {}
    ext = rec.owned_extra_years if pil.recycle else 0
    for i, o in enumerate(owned_spec):
        pid = f"owned{i}:{o.gpu}"
        life = gpus[o.gpu].lifetime + ext
        owned[pid] = {"gpu": o.gpu, "count": o.count}  # type: ignore[dict-item]
        owned_years[pid] = [y for y in years if o.age_years + (y - 1) < life]
    return GpuSection(gpus, candidates, cohorts, overhead, owned, owned_years)


@dataclass
class HostSection:
    """Host items and the host sets: cohorts ``HC`` (Recycle, Reduce), owned hosts ``OH``."""

    hosts: dict[str, HostItem]
    lifetimes: dict[str, list[int]]
    cohorts: list[HostCohort]
    owned_years: dict[str, list[int]]
    owned_count: dict[str, int]


def host_section(
    s: Scenario,
    cat: Catalog,
    file: str,
    years: list[int],
    common_life: int,
    overhead: dict[tuple[str, str, int], float],
) -> HostSection:
    """New host items with their lifetime options (``overhead`` gains their spares factors)
    and, with Reuse, the owned hosts of the inventory."""
    pil = s.pillars
    part_src = HOST_PART_SOURCE.get(s.host_embodied_method, s.embodied_source)
    src = (s.embodied_source, part_src)
    hosts: dict[str, HostItem] = {}
    lifetimes: dict[str, list[int]] = {}
    cohorts: list[HostCohort] = []
    for hid in dict.fromkeys(s.hardware.hosts):
        h = _host_item(cat, hid, src, False, pil.reduce, 1.0, file, f"hardware.hosts.{hid}")
        hosts[hid] = h
        if pil.recycle:
            # decoupled refresh: a host may also retire with the shortest-lived GPU
            lifes = sorted({common_life} | {h.lifetime + e for e in s.recycle.host_extra_years})
        else:
            # Recycle off: every item keeps its own catalog lifetime
            lifes = [h.lifetime]
        lifetimes[hid] = lifes
        for L in lifes:
            overhead[CohortKind("host", hid, L)] = _overhead(s, "host", L, h.lifetime)
        for y in _bought_in(s, cat, "host", hid, years):
            cohorts.extend(HostCohort(hid, y, L) for L in lifes)
    return HostSection(hosts, lifetimes, cohorts, {}, {})


def add_owned_hosts(
    s: Scenario, cat: Catalog, file: str, years: list[int], sec: HostSection
) -> None:
    """Reuse: the inventory's hosts as items ``owned:<platform>`` (full SKU, residual
    embodied share) with the years they are still usable; off, only checked to exist."""
    part_src = HOST_PART_SOURCE.get(s.host_embodied_method, s.embodied_source)
    src = (s.embodied_source, part_src)
    ext = s.recycle.owned_extra_years if s.pillars.recycle else 0
    share = s.inventory.embodied_residual_share
    for i, oh in enumerate(s.inventory.hosts):
        fld = f"inventory.hosts.{i}.host"
        if not s.pillars.reuse:
            if oh.host not in cat.hosts.index:
                raise ScenarioError(file, fld, _unknown("host", oh.host, cat.hosts.index))
            continue
        h = _host_item(cat, oh.host, src, True, False, share, file, fld)
        if h.item in sec.hosts:
            raise ScenarioError(file, fld, f"host '{oh.host}' is listed twice")
        sec.hosts[h.item] = h
        sec.lifetimes[h.item] = [h.lifetime]
        life = h.lifetime + ext
        sec.owned_years[h.item] = [y for y in years if oh.age_years + (y - 1) < life]
        sec.owned_count[h.item] = oh.count


def host_gpu_pairs(hosts: dict[str, HostItem], gpus: dict[str, GpuType]) -> list[HostGpu]:
    """Allowed (host item, GPU type) pairings, ``none`` (a host without GPUs) first."""
    pairs: list[HostGpu] = []
    for hid, h in hosts.items():
        pairs.append(HostGpu(hid, NO_GPU))
        if h.gpu_slots > 0:
            pairs.extend(HostGpu(hid, gid) for gid in gpus if gpu_fits_host(gpus[gid], h))
    return pairs
