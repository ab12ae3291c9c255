r"""Sparse index sets.

Only valid combinations become set members:

* :math:`\mathcal{C}^{gpu} = \{(g, y_0, L)\}` new-GPU cohorts (type :math:`g` bought in year
  :math:`y_0` with planned lifetime :math:`L`), only where :math:`g` is available in :math:`y_0`;
* :math:`\mathcal{C}^{host} = \{(h, y_0, L)\}` new-host cohorts, likewise;
* :math:`\mathcal{D} = \{(h, g, L, y)\}` deployments: hosts of item :math:`h` with lifetime
  class :math:`L` carrying GPU type :math:`g` (or ``none``) in year :math:`y`; owned items
  only in the years they are still usable;
* :math:`\mathcal{R} = \{(l, g, t, p)\}` replicas of LLM :math:`l` on :math:`t` GPUs of type
  :math:`g` in pool :math:`p`, only where the model fits;
* :math:`\mathcal{K} = \{(l, g, t, b, c)\}` operating points (batch :math:`b`, class :math:`c`),
  online points only where the SLOs hold.
"""

from __future__ import annotations

import pyomo.environ as pyo

from ecoserve_opt.data import ModelData


def add_sets(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Declare the sparse index sets on ``m`` (see module docstring)."""
    m.Y = pyo.Set(initialize=d.years, ordered=True)
    m.S = pyo.Set(initialize=d.slots, ordered=True)
    m.G = pyo.Set(initialize=sorted(d.gpus), ordered=True)
    m.H = pyo.Set(initialize=list(d.hosts), ordered=True)
    m.L = pyo.Set(initialize=d.llms, ordered=True)
    m.GC = pyo.Set(initialize=d.gpu_cohorts, dimen=3, ordered=True)
    m.HC = pyo.Set(initialize=d.host_cohorts, dimen=3, ordered=True)
    m.OG = pyo.Set(
        initialize=[(o, y) for o, ys in d.owned_gpu_years.items() for y in ys],
        dimen=2,
        ordered=True,
    )
    m.OH = pyo.Set(
        initialize=[(h, y) for h, ys in d.owned_host_years.items() for y in ys],
        dimen=2,
        ordered=True,
    )
    dep: list[tuple[str, str, int, int]] = []
    for h, g in d.host_gpu:
        item = d.hosts[h]
        ys = d.owned_host_years.get(h, []) if item.owned else d.years
        for L in d.host_lifetimes[h]:
            dep.extend((h, g, L, y) for y in ys)
    m.D = pyo.Set(initialize=dep, dimen=4, ordered=True)
    m.HLY = pyo.Set(initialize=sorted({(h, L, y) for h, _g, L, y in dep}), dimen=3, ordered=True)
    m.R = pyo.Set(
        initialize=[(l_, g, t, p) for (l_, g, t) in d.replicas for p in d.pools],
        dimen=4,
        ordered=True,
    )
    m.K = pyo.Set(initialize=d.points, dimen=5, ordered=True)
    m.KC = pyo.Set(initialize=d.cpu_points, dimen=3, ordered=True)
