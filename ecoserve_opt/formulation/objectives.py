r"""Objectives and epsilon-constraint caps.

Four objectives are declared, one active at a time: ``carbon`` (operational + embodied,
kgCO2e, EcoServe's), ``energy`` (facility kWh), ``cost`` (amortised capex + electricity, USD)
and ``performance`` (mean online per-token latency, s). Each metric
:math:`f \in \{carbon, cost, energy, latency, gpu\_hours\}` also has a cap
:math:`f \le \varepsilon_f` with a mutable :math:`\varepsilon_f`, deactivated until set:
this is the epsilon-constraint method for Pareto fronts.
"""

from __future__ import annotations

import pyomo.environ as pyo

METRICS = ("carbon", "cost", "energy", "latency", "gpu_hours")
OBJECTIVES = {"carbon": "carbon", "energy": "energy", "cost": "cost", "performance": "latency"}


SLACK_PENALTY = 1e3  # objective units per unmet token/s (online per slot, offline daily mean)


def add_objectives(m: pyo.ConcreteModel, objective: str, slack: bool = False) -> None:
    """Declare all objectives (only ``objective`` active) and the metric caps.

    In slack mode unmet demand is penalised so heavily that any servable token is served.
    """
    unmet = 0.0
    if slack:
        unmet = SLACK_PENALTY * (sum(m.unmet_online.values()) + sum(m.unmet_offline.values()))
    for name, metric in OBJECTIVES.items():
        obj = pyo.Objective(expr=getattr(m, metric) + unmet, sense=pyo.minimize)
        setattr(m, f"obj_{name}", obj)
        if name != objective:
            obj.deactivate()
    for metric in METRICS:
        cap = pyo.Param(initialize=0.0, mutable=True)
        setattr(m, f"cap_{metric}", cap)
        con = pyo.Constraint(expr=getattr(m, metric) <= cap)
        setattr(m, f"cap_{metric}_con", con)
        con.deactivate()


def set_objective(m: pyo.ConcreteModel, objective: str) -> None:
    """Activate ``objective`` (carbon/energy/cost/performance), deactivate the others."""
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; choose {', '.join(OBJECTIVES)}")
    for name in OBJECTIVES:
        getattr(m, f"obj_{name}").activate() if name == objective else getattr(
            m, f"obj_{name}"
        ).deactivate()


def set_cap(m: pyo.ConcreteModel, metric: str, value: float | None) -> None:
    """Cap ``metric`` at ``value`` (``None`` removes the cap)."""
    con = getattr(m, f"cap_{metric}_con")
    if value is None:
        con.deactivate()
    else:
        getattr(m, f"cap_{metric}").set_value(float(value))
        con.activate()
