r"""Sparse index sets.

Only valid combinations become set members:

* :math:`\mathcal{C}^{gpu} = \{(g, y_0, L)\}` new-GPU cohorts (type :math:`g` bought in year
  :math:`y_0` with planned lifetime :math:`L`), only where :math:`g` is available in :math:`y_0`;
* :math:`\mathcal{C}^{host} = \{(h, y_0, L)\}` new-host cohorts, likewise;
* :math:`\mathcal{D} = \{(h, g, L, y)\}` deployments: hosts of item :math:`h` with lifetime
  class :math:`L` carrying GPU type :math:`g` (or ``none``) in year :math:`y`; owned items
  only in the years they are still usable;
* :math:`\mathcal{R} = \{(l, g, t, p, q)\}` replicas of LLM :math:`l` on :math:`t` GPUs of
  type :math:`g` in pool :math:`p` at numeric precision :math:`q` (``bf16`` unless the LLM's
  ``precisions`` allow more), only where the model fits, without the types one replica
  of a smaller-or-equal TP degree or another precision replaces with no loss
  (``solver.prune``, data/hull.py);
* :math:`\mathcal{K} = \{(l, g, t, b, c, q)\}` operating points (batch :math:`b`, class
  :math:`c`, precision :math:`q`), online points only where the SLOs hold, without the
  points off the lower convex hull of their replica type (``solver.prune``, data/hull.py);
* :math:`\mathcal{K}^{ph} = \{(l, g, t, b, \phi, \pi)\}` phase points (phase :math:`\phi`,
  KV path :math:`\pi`) and :math:`\mathcal{R}^{ph} = \{(l, g, t, \phi)\}` phase pools,
  only with ``pillars.split_phases`` (data/phases.py).

:func:`add_sets` declares them on the model (``GC``, ``HC``, ``OG``, ``OH``, ``D``, ``HLY``,
``R``, ``K``, ``KC``, ``KP``, ``RP``) and returns an :class:`Index`: the same members, in
the same order, as labelled keys (:mod:`ecoserve_opt.data.keys`) for the blocks to iterate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyomo.core as pyo

from ecoserve_opt.data import ModelData
from ecoserve_opt.data.keys import (
    CpuPoint,
    Deployment,
    GpuCohort,
    HostCohort,
    HostLifeYear,
    OwnedGpuYear,
    OwnedHostYear,
    PhasePoint,
    PhaseReplica,
    Point,
    PoolReplica,
)


@dataclass(frozen=True)
class Index:
    """The model's index sets as lists of labelled keys (Pyomo stores plain tuples)."""

    gc: list[GpuCohort]
    hc: list[HostCohort]
    og: list[OwnedGpuYear]
    oh: list[OwnedHostYear]
    dep: list[Deployment]
    hly: list[HostLifeYear]
    rep: list[PoolReplica]
    k: list[Point]
    kc: list[CpuPoint]
    kp: list[PhasePoint] = field(default_factory=list)  # phase points (split_phases)
    rp: list[PhaseReplica] = field(default_factory=list)  # phase pools


def index_of(d: ModelData, prune: bool = True, no_latency: bool = False) -> Index:
    """The index sets of ``d`` (see module docstring); with ``prune`` the operating points
    without the dominated ones (``d.dominated``, data/hull.py; with ``no_latency``
    ``d.dominated_no_latency``, compared without the latency)."""
    dropped = (d.dominated_no_latency if no_latency else d.dominated) if prune else frozenset()
    gone = d.dominated_replicas if prune else frozenset()
    dep: list[Deployment] = []
    for h, g in d.host_gpu:
        item = d.hosts[h]
        ys = d.owned_host_years.get(h, []) if item.owned else d.years
        for L in d.host_lifetimes[h]:
            dep.extend(Deployment(h, g, L, y) for y in ys)
    return Index(
        gc=[GpuCohort(*c) for c in d.gpu_cohorts],
        hc=[HostCohort(*c) for c in d.host_cohorts],
        og=[OwnedGpuYear(o, y) for o, ys in d.owned_gpu_years.items() for y in ys],
        oh=[OwnedHostYear(h, y) for h, ys in d.owned_host_years.items() for y in ys],
        dep=dep,
        hly=sorted({HostLifeYear(k.host, k.life, k.year) for k in dep}),
        rep=[
            PoolReplica(r.llm, r.gpu, r.tp, p, r.precision)
            for r in d.replicas
            if r not in gone
            for p in d.pools
        ],
        k=[Point(*p) for p in d.points if p not in dropped],
        kc=[CpuPoint(*p) for p in d.cpu_points],
        kp=[PhasePoint(*p) for p in d.phase_points],
        rp=sorted({PhasePoint(*p).replica for p in d.phase_points}),
    )


def add_sets(
    m: pyo.ConcreteModel, d: ModelData, prune: bool = True, no_latency: bool = False
) -> Index:
    """Declare the sparse index sets on ``m`` and return them as labelled keys."""
    ix = index_of(d, prune, no_latency)
    m.Y = pyo.Set(initialize=d.years, ordered=True)
    m.S = pyo.Set(initialize=d.slots, ordered=True)
    m.G = pyo.Set(initialize=sorted(d.gpus), ordered=True)
    m.H = pyo.Set(initialize=list(d.hosts), ordered=True)
    m.L = pyo.Set(initialize=d.llms, ordered=True)
    m.GC = pyo.Set(initialize=ix.gc, dimen=3, ordered=True)
    m.HC = pyo.Set(initialize=ix.hc, dimen=3, ordered=True)
    m.OG = pyo.Set(initialize=ix.og, dimen=2, ordered=True)
    m.OH = pyo.Set(initialize=ix.oh, dimen=2, ordered=True)
    m.D = pyo.Set(initialize=ix.dep, dimen=4, ordered=True)
    m.HLY = pyo.Set(initialize=ix.hly, dimen=3, ordered=True)
    m.R = pyo.Set(initialize=ix.rep, dimen=5, ordered=True)
    m.K = pyo.Set(initialize=ix.k, dimen=6, ordered=True)
    m.KC = pyo.Set(initialize=ix.kc, dimen=3, ordered=True)
    m.KP = pyo.Set(initialize=ix.kp, dimen=6, ordered=True)
    m.RP = pyo.Set(initialize=ix.rp, dimen=4, ordered=True)
    return ix
