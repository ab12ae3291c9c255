r"""Exact upper bounds on the integer fleet variables (``tighten``, on by default).

The bounds come from :func:`ecoserve_opt.data.bounds.integer_bounds` (the argument that
they cut no optimum is there and in docs/formulation.md, "Exact integer bounds"). Each is
set as the variable's upper bound, an expression of the mutable ``demand_scale``
:math:`\sigma`, so a re-solve at another demand scale moves the bounds with it:

.. math::

   n_{lgtpy} &\le \sigma a_{lgtpy} + 1 \\
   z_{hgLy} &\le Z_{hgy}(\sigma) \quad (g \ne \text{none}),\qquad
   z_{hgLy} \le \bar N_h \quad (h \text{ owned}) \\
   B^{host}_{h y_0 L} &\le \max_{y \in \mathrm{life}} \Big(\sum_{g \ne \text{none}} Z_{hgy}
       + Z^{none}_{hy}\Big)(\sigma) \\
   z_{h,\text{none},Ly} &\le \sum_{(h, y_0, L) \ni y} \overline{B}^{host}_{h y_0 L},
   \qquad k, m, q \le \overline{k}_h \bar z, \ldots

GPU cohorts :math:`B^{gpu}` are not bounded: they cost nothing under the energy objective
unless mounted, and with a finite bound HiGHS returned idle purchases at that bound (a tie
the unbounded model resolves at zero). No constraint rows are added (bounds only), so the
LP relaxation can only rise where a bound cuts a fractional point; the optimum is
unchanged.
"""

from __future__ import annotations

from typing import Any

import pyomo.core as pyo
from pyomo.core.expr.numeric_expr import NPV_MaxExpression

from ecoserve_opt.data import NO_GPU, ModelData
from ecoserve_opt.data.bounds import Affine, IntegerBounds, MaxAffine, integer_bounds
from ecoserve_opt.formulation.fleet import COMPONENTS
from ecoserve_opt.formulation.sets import Index


def _affine(m: pyo.ConcreteModel, a: Affine) -> Any:
    return a.const if a.slope == 0 else a.slope * m.demand_scale + a.const


def _max(m: pyo.ConcreteModel, terms: MaxAffine) -> Any:
    """The largest of ``terms`` at the model's demand scale, as a fixed expression."""
    if all(t.slope == 0 for t in terms):
        return max(t.const for t in terms)
    if len(terms) == 1:
        return _affine(m, terms[0])
    return NPV_MaxExpression(tuple(_affine(m, t) for t in terms))


def _sum(parts: list[Any]) -> Any:
    total: Any = 0.0
    for p in parts:
        total = total + p
    return total


def add_integer_bounds(
    m: pyo.ConcreteModel, d: ModelData, ix: Index, b: IntegerBounds | None = None
) -> IntegerBounds:
    """Set the exact upper bounds (module docstring) on ``n_rep``, ``z``,
    ``buy_host`` and the component counts of ``m``; returns the bounds used."""
    b = integer_bounds(d) if b is None else b
    for key, a in b.replicas.items():
        m.n_rep[key].setub(_affine(m, a))
    # GPU cohorts stay unbounded: under the energy objective an unmounted GPU costs nothing,
    # and HiGHS then parked such free columns at their bound (idle purchases in the report)
    host_ub: dict[Any, Any] = {}
    for hc in ix.hc:
        years = [y for y in d.years if hc.year <= y < hc.year + hc.life]
        if not years or any((hc.host, y) not in b.item_hosts for y in years):
            continue
        per_year = [_sum([_max(m, t) for t in b.item_hosts[(hc.host, y)]]) for y in years]
        cohort_ub = per_year[0] if len(per_year) == 1 else NPV_MaxExpression(tuple(per_year))
        m.buy_host[hc].setub(cohort_ub)
        host_ub[hc] = cohort_ub
    for k in ix.dep:
        it = d.hosts[k.host]
        ub: Any = None
        if it.owned:
            ub = d.owned_host_count[k.host]
        elif k.gpu != NO_GPU and (k.host, k.gpu, k.year) in b.gpu_hosts:
            ub = _max(m, b.gpu_hosts[(k.host, k.gpu, k.year)])
        elif k.gpu == NO_GPU:
            cohorts = [
                c
                for c in ix.hc
                if c.host == k.host and c.life == k.life and c.year <= k.year < c.year + c.life
            ]
            if cohorts and all(c in host_ub for c in cohorts):
                ub = _sum([host_ub[c] for c in cohorts])
            elif not cohorts:
                ub = 0.0
        if ub is None:
            continue
        m.z[k].setub(ub)
        for name in COMPONENTS:
            var = getattr(m, f"{name}_var")
            if k in var:
                var[k].setub(getattr(it, name)[1] * ub)
    return b
