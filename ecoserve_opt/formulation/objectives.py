r"""Objectives and epsilon-constraint caps.

Four objectives are declared, one active at a time: ``carbon`` (operational + embodied,
kgCO2e, EcoServe's), ``energy`` (facility kWh), ``cost`` (amortised capex + electricity, USD)
and ``performance`` (mean online per-token latency, s). Each metric
:math:`f \in \{carbon, cost, energy, latency, gpu\_hours\}` also has a cap
:math:`f \le \varepsilon_f` with a mutable :math:`\varepsilon_f`, deactivated until set:
this is the epsilon-constraint method for Pareto fronts.

Scaling. HiGHS judges optimality with absolute tolerances (dual feasibility 1e-7): an
objective whose coefficients are near that tolerance is declared optimal while improving
directions remain. The mean latency has coefficients :math:`\sim 10^{-7}` (seconds per token
divided by the total token rate), so every objective and cap row is multiplied by a power of
ten :math:`\lambda_f` that centres its coefficients on 1 (geometric mean of the smallest and
largest :math:`|a|`). Objective values and bounds are divided by :math:`\lambda_f` again in
:mod:`ecoserve_opt.solve`, so everything reported stays in metric units.
"""

from __future__ import annotations

import math

import pyomo.environ as pyo
from pyomo.repn import generate_standard_repn

METRICS = ("carbon", "cost", "energy", "latency", "gpu_hours")
OBJECTIVES = {"carbon": "carbon", "energy": "energy", "cost": "cost", "performance": "latency"}


SLACK_PENALTY = 1e3  # objective units per unmet token/s (online per slot, offline daily mean)


def coefficient_scale(expr: object) -> float:
    """Power of ten that centres the linear coefficients of ``expr`` on 1.

    ``10**-round(log10(sqrt(min|a| * max|a|)))``; 1 for an expression without variables.
    """
    repn = generate_standard_repn(expr, compute_values=True, quadratic=False)
    mags = [abs(float(c)) for c in repn.linear_coefs if c]
    if not mags:
        return 1.0
    centre = math.sqrt(min(mags) * max(mags))
    return float(10.0 ** -round(math.log10(centre)))


def metric_scales(m: pyo.ConcreteModel) -> dict[str, float]:
    """Scale factor of every metric (see module docstring), computed once per model."""
    scales: dict[str, float] | None = getattr(m, "metric_scale", None)
    if scales is None:
        scales = {metric: coefficient_scale(getattr(m, metric).expr) for metric in METRICS}
        m.metric_scale = scales
    return scales


def objective_scale(m: pyo.ConcreteModel) -> float:
    """Scale of the active objective (1 when none or unscaled)."""
    scales: dict[str, float] = getattr(m, "objective_scales", {})
    for obj in m.component_objects(pyo.Objective, active=True):
        return scales.get(obj.local_name, 1.0)
    return 1.0


def add_objective(m: pyo.ConcreteModel, name: str, metric: str, active: bool = False) -> None:
    """Declare objective ``obj_<name>`` minimising ``metric`` (scaled), inactive by default."""
    lam = metric_scales(m)[metric]
    obj = pyo.Objective(expr=lam * getattr(m, metric), sense=pyo.minimize)
    setattr(m, f"obj_{name}", obj)
    if not hasattr(m, "objective_scales"):
        m.objective_scales = {}
    m.objective_scales[f"obj_{name}"] = lam
    if not active:
        obj.deactivate()


def add_objectives(m: pyo.ConcreteModel, objective: str, slack: bool = False) -> None:
    """Declare all objectives (only ``objective`` active) and the metric caps.

    In slack mode unmet demand is penalised so heavily that any servable token is served.
    """
    scales = metric_scales(m)
    unmet = 0.0
    if slack:
        unmet = SLACK_PENALTY * (sum(m.unmet_online.values()) + sum(m.unmet_offline.values()))
    m.objective_scales = {}
    for name, metric in OBJECTIVES.items():
        lam = scales[metric]
        # the slack penalty is per objective unit after scaling (it only has to dominate)
        obj = pyo.Objective(expr=lam * getattr(m, metric) + unmet, sense=pyo.minimize)
        setattr(m, f"obj_{name}", obj)
        m.objective_scales[f"obj_{name}"] = lam
        if name != objective:
            obj.deactivate()
    add_objective(m, "gpu_hours", "gpu_hours")  # for sweeps and Pareto fronts
    for metric in METRICS:
        lam = scales[metric]
        cap = pyo.Param(initialize=0.0, mutable=True)
        setattr(m, f"cap_{metric}", cap)
        con = pyo.Constraint(expr=lam * getattr(m, metric) <= lam * cap)
        setattr(m, f"cap_{metric}_con", con)
        con.deactivate()


def set_objective(m: pyo.ConcreteModel, objective: str) -> None:
    """Activate ``objective`` (carbon/energy/cost/performance), deactivate the others."""
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; choose {', '.join(OBJECTIVES)}")
    for obj in m.component_objects(pyo.Objective):
        obj.deactivate()
    getattr(m, f"obj_{objective}").activate()


def set_cap(m: pyo.ConcreteModel, metric: str, value: float | None) -> None:
    """Cap ``metric`` at ``value`` (``None`` removes the cap)."""
    con = getattr(m, f"cap_{metric}_con")
    if value is None:
        con.deactivate()
    else:
        getattr(m, f"cap_{metric}").set_value(float(value))
        con.activate()
