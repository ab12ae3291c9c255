"""Validated scenario + catalog -> :class:`ModelData` (canonical units, no Pyomo).

Everything the formulation needs is precomputed here as plain dicts keyed by labelled
tuples (:mod:`ecoserve_opt.data.keys`), so the formulation only declares sets, variables and
constraints. Only valid combinations become keys (sparse index sets): an (llm, gpu, tp)
replica exists only if the model fits the GPU's memory at some batch, and an online
operating point only if it meets the LLM's SLOs.

Modules: ``model.py`` (:class:`ModelData`, items, constants), ``keys.py`` (one NamedTuple
per index set), ``build.py`` (:func:`build_data`, one section per pillar), and the sections
``intensity.py`` (grid), ``hardware.py`` (GPUs, hosts, cohorts, inventory), ``profiles.py``
(operating points, CPU serving points), ``demand.py`` (online/offline demand).

Conventions: power kW, energy kWh, time h (latency s), carbon kgCO2e, money USD,
throughput output tokens/s per replica.
"""

from __future__ import annotations

from ecoserve_opt.data.build import build_data
from ecoserve_opt.data.demand import _diurnal, burst_headroom, resolve_workloads
from ecoserve_opt.data.hardware import HOST_PART_SOURCE, _gpu_type, _host_item
from ecoserve_opt.data.model import (
    CLASSES,
    DAYS_PER_YEAR,
    KV_MEMORY_FRACTION,
    NO_GPU,
    GpuType,
    HostItem,
    ModelData,
    gpu_fits_host,
)
from ecoserve_opt.data.profiles import (
    Reference,
    _cpu_reference,
    _gpu_reference,
    _operating_points,
    _profile_point,
    _roofline_specs,
)

__all__ = [
    "CLASSES",
    "DAYS_PER_YEAR",
    "HOST_PART_SOURCE",
    "KV_MEMORY_FRACTION",
    "NO_GPU",
    "GpuType",
    "HostItem",
    "ModelData",
    "Reference",
    "_cpu_reference",
    "_diurnal",
    "_gpu_reference",
    "_gpu_type",
    "_host_item",
    "_operating_points",
    "_profile_point",
    "_roofline_specs",
    "build_data",
    "burst_headroom",
    "gpu_fits_host",
    "resolve_workloads",
]
