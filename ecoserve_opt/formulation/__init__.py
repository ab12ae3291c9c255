"""The MILP formulation (pure Pyomo, no I/O). See docs/formulation.md for the full math.

``build_model(data)`` returns a ``ConcreteModel`` with stable component names:
fleet (``buy_gpu``, ``buy_host``, ``z``, ``sockets``/``dimms``/``ssds``, ``gpus_on``),
serving (``n_rep``, ``x``, ``xc``), accounting (``P``, ``operational``, ``embodied``,
``carbon``, ``cost``, ``energy``, ``latency``) and objectives/caps.
"""

from __future__ import annotations

from collections.abc import Callable

import pyomo.core as pyo
from pyomo.common.gc_manager import PauseGC

from ecoserve_opt.data import ModelData
from ecoserve_opt.formulation.bounds import add_integer_bounds
from ecoserve_opt.formulation.carbon import add_carbon
from ecoserve_opt.formulation.cuts import add_cuts
from ecoserve_opt.formulation.fleet import add_fleet
from ecoserve_opt.formulation.host_cuts import add_host_cuts
from ecoserve_opt.formulation.objectives import add_objectives, set_cap, set_objective
from ecoserve_opt.formulation.serving import add_serving
from ecoserve_opt.formulation.sets import add_sets

__all__ = ["build_model", "set_cap", "set_objective"]


def build_model(
    data: ModelData,
    objective: str | None = None,
    extra_constraints: Callable[[pyo.ConcreteModel, ModelData], None] | None = None,
    slack: bool = False,
    tighten: bool | None = None,
    cuts: bool | None = None,
    prune: bool | None = None,
    host_cuts: bool | None = None,
) -> pyo.ConcreteModel:
    """Build the fleet-design MILP for ``data``.

    ``extra_constraints(model, data)`` is called last (PyPSA's ``extra_functionality``).
    ``tighten`` (default: the scenario's ``solver.tighten``, on) sets the exact integer
    bounds of formulation/bounds.py; off gives the plain model (same optimum).
    ``cuts`` (default: ``solver.cuts``, off) adds the rounded covering rows of
    formulation/cuts.py (valid inequalities, same optimum; never in slack mode);
    ``host_cuts`` (default: ``solver.host_cuts``, off) with them the host covers of
    formulation/host_cuts.py.
    ``prune`` (default: the scenario's ``solver.prune``, on) leaves out the dominated
    operating points of ``data.dominated`` (data/hull.py; same optimum); off builds every
    point.
    With the scenario's ``solver.prune_latency`` and an objective other than
    ``performance`` the points of ``data.dominated_no_latency`` go instead, and the model
    refuses the performance objective and latency caps (``m.latency_blind``).
    """
    m = pyo.ConcreteModel(name=data.scenario.name)
    # Building creates millions of small objects and no garbage cycles: pausing the cyclic
    # garbage collector roughly halves the build time of large models.
    obj = objective or data.scenario.objective
    pruned = data.scenario.solver.prune if prune is None else prune
    blind = pruned and data.scenario.solver.prune_latency and obj not in ("performance", "latency")
    m.latency_blind = bool(blind and data.dominated_no_latency)
    with PauseGC():
        ix = add_sets(m, data, pruned, m.latency_blind)
        fleet = add_fleet(m, data, ix)
        sx = add_serving(m, data, ix, fleet, slack=slack)
        if data.scenario.solver.tighten if tighten is None else tighten:
            add_integer_bounds(m, data, ix)
        if not slack and (data.scenario.solver.cuts if cuts is None else cuts):
            covers = add_cuts(m, data, ix)
            if data.scenario.solver.host_cuts if host_cuts is None else host_cuts:
                add_host_cuts(m, data, ix, covers)
        add_carbon(m, data, ix, sx)
        add_objectives(m, "performance" if obj == "performance" else obj, slack=slack)
    if extra_constraints is not None:
        extra_constraints(m, data)
    return m
