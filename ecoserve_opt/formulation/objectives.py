r"""Objectives, epsilon-constraint caps and fleet fixing (pure Pyomo, no solver).

Five objectives are declared, one active at a time: ``carbon`` (operational + embodied,
kgCO2e, EcoServe's), ``energy`` (facility kWh), ``cost`` (amortised capex + electricity, USD),
``performance`` (mean online per-token latency, s; ``latency`` is an alias) and ``gpu_hours``.
Each metric :math:`f \in \{carbon, cost, energy, latency, gpu\_hours\}` also has a cap
:math:`f \le \varepsilon_f` with a mutable :math:`\varepsilon_f`, deactivated until set:
this is the epsilon-constraint method for Pareto fronts, and the second stage of a
lexicographic solve (:meth:`ecoserve_opt.api.Built.solve`).

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
from collections.abc import Sequence
from typing import Any

import pyomo.core as pyo
from pyomo.repn import generate_standard_repn

from ecoserve_opt.exceptions import EcoserveError
from ecoserve_opt.vocabulary import METRICS as _METRICS

#: Metric names (model expressions ``m.<metric>``), from the vocabulary.
METRICS = tuple(_METRICS)
#: Objective name -> the metric (model expression) it minimises.
OBJECTIVES = {m.objective: m.name for m in _METRICS.values()}
#: Accepted objective spellings that name another objective.
OBJECTIVE_ALIASES = {"latency": "performance"}
#: Integer fleet variables (GPUs and hosts bought or reused, hosts deployed, components):
#: what a fixed-fleet study keeps constant while the operation is re-optimised.
FLEET_VARS = (
    "buy_gpu",
    "buy_host",
    "use_owned_gpu",
    "use_owned_host",
    "z",
    "sockets_var",
    "dimms_var",
    "ssds_var",
)

# Second stage of a lexicographic solve: primary <= best * (1 + LEX_REL_TOL) + LEX_ABS_TOL.
# 1e-6 relative (not 1e-7): HiGHS's default primal feasibility tolerance is 1e-7, so a cap
# that tight can cut off the first stage's own solution after round-off and make the second
# stage infeasible; 1e-6 always keeps it feasible and is still far below any MIP gap used
# here (>= 1e-4), so the second stage never trades a significant amount of the primary.
LEX_REL_TOL = 1e-6
# The absolute term only guards a zero optimum; metric values can be small (a mean latency
# is ~1e-2 s/token), so it stays far below LEX_REL_TOL of any of them.
LEX_ABS_TOL = 1e-12
#: Epsilon caps given by a study are relaxed by this much against solver round-off.
CAP_REL_SLACK = 1e-9

SLACK_PENALTY = 1e3  # objective units per unmet token/s (online per slot, offline daily mean)


#: Coefficients below this fraction of an expression's largest do not set its scale.
NEGLIGIBLE_REL = 1e-12


def coefficient_scale(expr: object) -> float:
    """Power of ten that centres the linear coefficients of ``expr`` on 1.

    ``10**-round(log10(sqrt(min|a| * max|a|)))`` over the coefficients within
    :data:`NEGLIGIBLE_REL` of the largest (smaller ones are numerically zero beside it: a
    grid intensity of 1e-300 kg/kWh must not pull the scale to 1e150); 1 for an expression
    without variables.
    """
    repn = generate_standard_repn(expr, compute_values=True, quadratic=False)
    mags = [abs(float(c)) for c in repn.linear_coefs if c]
    if not mags:
        return 1.0
    top = max(mags)
    mags = [a for a in mags if a >= top * NEGLIGIBLE_REL]
    centre = math.sqrt(min(mags) * top)
    return float(10.0 ** -round(math.log10(centre)))


def metric_scales(m: pyo.ConcreteModel) -> dict[str, float]:
    """Scale factor of every metric (see module docstring): the ``scale_<metric>`` Params
    :func:`add_objectives` declares, computed from the expressions when not yet declared."""
    out: dict[str, float] = {}
    for metric in METRICS:
        p = getattr(m, f"scale_{metric}", None)
        out[metric] = (
            float(pyo.value(p)) if p is not None else coefficient_scale(getattr(m, metric).expr)
        )
    return out


def objective_scale(m: pyo.ConcreteModel) -> float:
    """Scale of the active objective (1 when none, unscaled or not one of ``obj_<name>``)."""
    for obj in m.component_objects(pyo.Objective, active=True):
        metric = OBJECTIVES.get(obj.local_name.removeprefix("obj_"))
        p = getattr(m, f"scale_{metric}", None) if metric else None
        return float(pyo.value(p)) if p is not None else 1.0
    return 1.0


def add_objectives(m: pyo.ConcreteModel, objective: str, slack: bool = False) -> None:
    r"""Declare all objectives (only ``objective`` active) and the metric caps.

    .. math:: \min f_o, \qquad f \le \varepsilon_f \ \ (\text{deactivated until set})

    In slack mode unmet demand is penalised so heavily that any servable token is served.
    """
    objective = canonical_objective(objective)
    scales = metric_scales(m)
    unmet = 0.0
    if slack:
        unmet = SLACK_PENALTY * (sum(m.unmet_online.values()) + sum(m.unmet_offline.values()))
    for metric in METRICS:  # each metric's scale, a named (immutable) Param of the model
        setattr(m, f"scale_{metric}", pyo.Param(initialize=scales[metric]))
    for name, metric in OBJECTIVES.items():
        lam = scales[metric]
        # the slack penalty is per objective unit after scaling (it only has to dominate)
        obj = pyo.Objective(expr=lam * getattr(m, metric) + unmet, sense=pyo.minimize)
        setattr(m, f"obj_{name}", obj)
        if name != objective:
            obj.deactivate()
    for metric in METRICS:
        lam = scales[metric]
        cap = pyo.Param(initialize=0.0, mutable=True)
        setattr(m, f"cap_{metric}", cap)
        con = pyo.Constraint(expr=lam * getattr(m, metric) <= lam * cap)
        setattr(m, f"cap_{metric}_con", con)
        con.deactivate()


def canonical_objective(objective: str) -> str:
    """The objective's canonical name (``latency`` -> ``performance``); error if unknown."""
    name = OBJECTIVE_ALIASES.get(objective, objective)
    if name not in OBJECTIVES:
        known = ", ".join([*OBJECTIVES, *OBJECTIVE_ALIASES])
        raise EcoserveError(f"unknown objective {objective!r} ({known})")
    return name


def objective_metric(objective: str) -> str:
    """The metric an objective minimises (``performance`` -> ``latency``)."""
    return OBJECTIVES[canonical_objective(objective)]


def set_objective(m: pyo.ConcreteModel, objective: str) -> str:
    """Activate ``objective``, deactivate the others; returns its canonical name."""
    name = canonical_objective(objective)
    if name == "performance":
        _refuse_latency(m, "the performance objective")
    for obj in m.component_objects(pyo.Objective):
        obj.deactivate()
    getattr(m, f"obj_{name}").activate()
    return name


def set_cap(m: pyo.ConcreteModel, metric: str, value: float | None) -> None:
    """Cap ``metric`` at ``value`` (``None`` removes the cap)."""
    if metric == "latency" and value is not None:
        _refuse_latency(m, "a latency cap")
    con = getattr(m, f"cap_{metric}_con")
    if value is None:
        con.deactivate()
    else:
        getattr(m, f"cap_{metric}").set_value(float(value))
        con.activate()


def _refuse_latency(m: pyo.ConcreteModel, what: str) -> None:
    """Error if ``m`` was built without the operating points only latency favours."""
    if getattr(m, "latency_blind", False):
        raise EcoserveError(
            f"solver.prune_latency: this model was built without the operating points that "
            f"only their lower latency keeps, so {what} would not be exact; build it with "
            f"objective 'performance' or with solver.prune_latency: false"
        )


def get_cap(m: pyo.ConcreteModel, metric: str) -> float | None:
    """The active cap on ``metric`` (``None`` if uncapped)."""
    if not getattr(m, f"cap_{metric}_con").active:
        return None
    return float(pyo.value(getattr(m, f"cap_{metric}")))


def lexicographic_cap(best: float, rel_tol: float = LEX_REL_TOL) -> float:
    """Cap on the primary metric in the second stage of a lexicographic solve.

    ``rel_tol`` is :data:`LEX_REL_TOL` (numerical) unless a model choice widens it (the
    ``performance`` objective's ``latency_tolerance``); never tighter than LEX_REL_TOL.
    """
    return best + abs(best) * max(rel_tol, LEX_REL_TOL) + LEX_ABS_TOL


def study_cap(value: float) -> float:
    """An epsilon cap given by a study, relaxed against solver round-off."""
    return float(value) * (1 + CAP_REL_SLACK) + 1e-12


def fix_fleet(m: pyo.ConcreteModel) -> list[Any]:
    """Fix the integer fleet variables at their current values (rounded); returns them."""
    fixed = []
    for name in FLEET_VARS:
        comp = getattr(m, name, None)
        if comp is None:
            continue
        for v in comp.values():
            if not v.fixed:
                v.fix(round(v.value or 0.0))
                fixed.append(v)
    return fixed


def unfix(variables: Sequence[Any]) -> None:
    """Undo :func:`fix_fleet`."""
    for v in variables:
        v.unfix()
