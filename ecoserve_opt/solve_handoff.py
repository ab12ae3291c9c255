"""The hand-off of a Pyomo model to HiGHS, part of :mod:`ecoserve_opt.solve` (imported only
there): Pyomo's persistent ``highs`` interface with its per-constraint work done in bulk.

Pyomo's ``pyomo.contrib.solver`` ``Highs`` walks every constraint expression twice (its
variable and named-expression collector, then ``generate_standard_repn``), evaluates each
bound through ``ConstraintData.lower``/``body``/``upper`` (re-deriving the relation each
time), adds each constraint's new columns in a call of their own and builds each column's
bounds through a general routine: 12-13 CPU-s on the fleet-scale benchmark (274k columns,
1.1M non-zeros). :class:`PersistentHighs` is the same interface (a subclass: the same
``solve``, ``update``, Param updates, solution loading, duals) whose ``add_constraints``
reads a constraint whose sides are flat ``LinearExpression``s (or single variables) of
unfixed variables in one pass over their terms and sends all rows of a batch to HiGHS in
one ``addRows`` call, after all their new columns in one ``addVars`` call (about half the
CPU time; docs/performance.md, "Bulk hand-off").

What it fills in is exactly what the stock interface fills in, so everything that reads it
later works unchanged:

* the persistent bookkeeping of ``PersistentSolverUtils.add_constraints`` and
  ``add_variables`` (``_active_constraints``, ``_named_expressions``,
  ``_vars_referenced_by_con``, ``_referenced_variables``, ``_vars``; new variables in the
  order of their first appearance, as the stock collector walks the relation);
* the rows as ``generate_standard_repn(body, compute_values=False)`` gives them (repeated
  variables merged in order of first appearance, plain zero coefficients dropped, the
  constant moved to the bounds) and ``Highs._add_constraints`` writes them, including the
  mutable-parameter helpers (``_MutableLinearCoefficient``, ``_MutableConstraintBounds``)
  that later ``update_parameters`` calls use, so a changed mutable Param still reaches
  HiGHS;
* the columns as ``Highs._process_domain_and_bounds`` gives them (mutable variable bounds
  go through it, and keep their ``_MutableVarBounds`` helper).

Any other constraint (a body of another expression type, a fixed variable in it, named
expressions) takes the stock per-constraint route, in its place in the row order.
``tests/unit/test_handoff.py`` compares the model HiGHS receives with the stock
interface's, column by column and row by row, and checks Param updates after the hand-off.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pyomo.common.numeric_types import native_numeric_types, native_types
from pyomo.contrib.solver.common.util import (
    IncompatibleModelError,
    collect_vars_and_named_exprs,
)
from pyomo.contrib.solver.solvers.highs import (
    Highs,
    _MutableConstraintBounds,
    _MutableLinearCoefficient,
)
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression
from pyomo.core.expr.numvalue import is_constant, value
from pyomo.repn import generate_standard_repn

_INF = float("inf")
#: one parsed constraint: (con, variables by id in Pyomo's collector order, flat row or
#: None for the stock route, lower, body, upper)
_Parsed = tuple[Any, dict[int, Any], Any, Any, Any, Any]


def _flat_linear(body: Any) -> tuple[dict[int, Any], dict[int, Any], Any, bool] | None:
    """``(variables by id, coefficients by id, constant, plain)`` of a flat linear ``body`` exactly
    as ``generate_standard_repn(body, compute_values=False)`` merges them (variables in order
    of first appearance, the order Pyomo's variable collector also gives); ``None`` when the
    body is not a ``LinearExpression`` (or a variable, or a monomial) of constants,
    variables and monomials, or has a fixed variable."""
    cls = body.__class__
    if cls is LinearExpression:
        args = body.args
    elif cls is MonomialTermExpression or (cls not in native_types and body.is_variable_type()):
        args = (body,)
    else:
        return None
    coefs: dict[int, Any] = {}
    by_id: dict[int, Any] = {}
    const: Any = 0
    nums = native_numeric_types
    plain = True
    for arg in args:
        acls = arg.__class__
        if acls is MonomialTermExpression:
            c, v = arg.args
            if c.__class__ not in nums:
                plain = False
        elif acls in nums:
            const += arg
            continue
        elif arg.is_variable_type():
            c, v = 1, arg
        elif not arg.is_potentially_variable():  # a constant expression (mutable Params)
            const += arg
            continue
        else:
            return None
        if v.fixed:
            return None
        i = id(v)
        if i in coefs:
            coefs[i] += c
        else:
            coefs[i] = c
            by_id[i] = v
    return by_id, coefs, const, plain


def _fast_route(expr: Any, body: Any) -> tuple[dict[int, Any], Any] | None:
    """``(variables by id in the collector's order, (coefficients, constant, plain))`` when
    the constraint can take the fast route: the body is a flat ``LinearExpression`` (or a
    variable) and each side of the relation is flat too (or free of variables)."""
    if body.__class__ is not LinearExpression and (
        body.__class__ in native_types or not body.is_variable_type()
    ):
        return None  # generate_standard_repn takes its general route for these
    row = None
    variables: dict[int, Any] = {}
    for side in expr.args:
        if side.__class__ in native_types or not side.is_potentially_variable():
            continue  # a constant side (a bound)
        flat = _flat_linear(side)
        if flat is None:
            return None
        if side is body:
            row = flat
        if variables:
            for i, v in flat[0].items():
                variables.setdefault(i, v)
        else:
            variables = flat[0]
    if row is None:  # the body is lhs - rhs: its own (merged) row
        row = _flat_linear(body)
        if row is None:
            return None
    return variables, row[1:]


class PersistentHighs(Highs):  # type: ignore[misc]
    """Pyomo's persistent HiGHS interface with a bulk hand-off (module docstring)."""

    def add_variables(self, variables: list[Any]) -> None:
        if variables:  # the stock interface makes two highspy calls even for none
            super().add_variables(variables)

    def add_constraints(self, cons: list[Any]) -> None:
        if not self._treat_fixed_vars_as_params or not cons:
            super().add_constraints(cons)
            return
        refs = self._referenced_variables
        named = self._named_expressions
        active = self._active_constraints
        by_con = self._vars_referenced_by_con
        parsed: list[_Parsed] = []
        new_vars: list[Any] = []
        for con in cons:
            if con in named:
                raise ValueError(f"Constraint {con.name} has already been added")
            expr = con.expr
            active[con] = expr
            fast = None
            try:
                lower, body, upper = con.to_bounded_expression()
            except ValueError:  # e.g. a range with variable bounds: the stock route says why
                lower = body = upper = None
            else:
                fast = _fast_route(expr, body)
            if fast is None:
                named_exprs, var_list, _fixed, external = collect_vars_and_named_exprs(expr)
                named[con] = [(e, e.expr) for e in named_exprs]
                if external:
                    self._external_functions[con] = external
                variables = {id(v): v for v in var_list}
                row = None
            else:
                variables, row = fast
                named[con] = []
            # PersistentSolverUtils: the variables each constraint references, and new
            # variables registered as add_variables registers them (added to HiGHS below)
            for i, v in variables.items():
                r = refs.get(i)
                if r is None:
                    r = refs[i] = [{}, {}, None]
                    new_vars.append(v)
                r[0][con] = None
            by_con[con] = list(variables.values())
            parsed.append((con, variables, row, lower, body, upper))
        if new_vars:
            info = self._vars
            intervals: dict[int, Any] = {}  # domain -> interval (domains are shared sets)
            for v in new_vars:
                dom = v.domain
                iv = intervals.get(id(dom))
                if iv is None:
                    iv = intervals[id(dom)] = dom.get_interval()
                info[id(v)] = (v, v._lb, v._ub, v.fixed, iv, v.value)
            self._add_variables(new_vars)
        self._add_rows(parsed)

    def _add_constraints(self, cons: list[Any]) -> None:
        """The stock route's rows (``super().add_constraints`` calls it), in one call."""
        self._add_rows([(con, {}, None, *con.to_bounded_expression()) for con in cons])

    def _add_rows(self, parsed: list[_Parsed]) -> None:
        """``Highs._add_constraints`` for constraints already taken apart: one ``addRows``."""
        self._sol = None
        if self._last_results_object is not None:
            self._last_results_object.solution_loader.invalidate()
        h = self._solver_model
        col = self._pyomo_var_to_solver_var_map
        row_of = self._pyomo_con_to_solver_con_map
        con_of = self._solver_con_to_pyomo_con_map
        helpers = self._mutable_helpers
        nums = native_numeric_types
        n = len(row_of)
        lbs: list[float] = []
        ubs: list[float] = []
        starts: list[int] = []
        index: list[int] = []
        values: list[float] = []
        for con, _variables, row, lower, body, upper in parsed:
            starts.append(len(values))
            if row is None:
                repn = generate_standard_repn(body, quadratic=False, compute_values=False)
                if repn.nonlinear_expr is not None:
                    raise IncompatibleModelError(
                        "Highs interface does not support expressions of degree "
                        f"{repn.polynomial_degree()}"
                    )
                lin = zip(repn.linear_vars, repn.linear_coefs, strict=True)
                pairs: Any = ((id(v), c) for v, c in lin)
                const = repn.constant
                flat = False
            else:
                coefs, const, plain = row
                vals = coefs.values()
                if plain and 0 not in vals:  # the common case: numbers, none zero
                    index.extend(map(col.__getitem__, coefs))
                    values.extend(vals)
                    pairs = ()
                else:
                    pairs = coefs.items()
                flat = True
            for i, c in pairs:
                if c.__class__ in nums:
                    if flat and not c:
                        continue  # generate_standard_repn drops plain zeros
                    index.append(col[i])
                    values.append(c)
                    continue
                cv = value(c)
                if not is_constant(c):
                    helpers.setdefault(con, []).append(
                        _MutableLinearCoefficient(
                            pyomo_con=con,
                            pyomo_var_id=i,
                            con_map=row_of,
                            var_map=col,
                            expr=c,
                            highs=h,
                        )
                    )
                    if cv == 0:
                        continue
                index.append(col[i])
                values.append(cv)
            lb = _bound(con, lower, const, True)
            ub = _bound(con, upper, const, False)
            if lb.__class__ in nums and ub.__class__ in nums:
                lbs.append(lb)
                ubs.append(ub)
            else:
                if not is_constant(lb) or not is_constant(ub):
                    helpers.setdefault(con, []).append(
                        _MutableConstraintBounds(
                            lower_expr=lb, upper_expr=ub, pyomo_con=con, con_map=row_of, highs=h
                        )
                    )
                lbs.append(value(lb))
                ubs.append(value(ub))
            row_of[con] = n
            con_of[n] = con
            n += 1
        h.addRows(
            len(lbs),
            np.array(lbs, dtype=np.double),
            np.array(ubs, dtype=np.double),
            len(values),
            np.array(starts),
            np.array(index),
            np.array(values, dtype=np.double),
        )

    def _add_variables(self, variables: list[Any]) -> None:
        """``Highs._add_variables`` with the common case (no mutable bound, not fixed) inline."""
        self._sol = None
        if self._last_results_object is not None:
            self._last_results_object.solution_loader.invalidate()
        import highspy

        inf = highspy.kHighsInf
        cont, integ = highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger
        info = self._vars
        col = self._pyomo_var_to_solver_var_map
        nums = native_numeric_types
        n = len(col)
        first = n
        lbs: list[float] = []
        ubs: list[float] = []
        types: list[Any] = []
        for v in variables:
            i = id(v)
            _v, vlb, vub, fixed, (dlb, dub, step), _val = info[i]
            if (
                fixed
                or (vlb is not None and vlb.__class__ not in nums)
                or (vub is not None and vub.__class__ not in nums)
                or step not in (0, 1)
            ):
                lb, ub, vtype = self._process_domain_and_bounds(i)
            else:
                lb = -inf if dlb is None else dlb
                ub = inf if dub is None else dub
                if vlb is not None:
                    lb = max(vlb, lb)
                if vub is not None:
                    ub = min(vub, ub)
                vtype = integ if step == 1 else cont
            lbs.append(lb)
            ubs.append(ub)
            types.append(vtype)
            col[i] = n
            n += 1
        h = self._solver_model
        h.addVars(len(lbs), np.array(lbs, dtype=np.double), np.array(ubs, dtype=np.double))
        h.changeColsIntegrality(len(types), np.arange(first, n), np.array(types))


def _bound(con: Any, bound: Any, const: Any, lower: bool) -> Any:
    """A row bound as ``Highs._add_constraints`` forms it: ``bound - constant``, or an
    infinite one when the constraint has none (``ConstraintData.has_lb``/``has_ub``)."""
    import highspy

    inf = highspy.kHighsInf
    if bound is None:
        return -inf if lower else inf
    if bound.__class__ in native_numeric_types and -_INF < bound < _INF:
        pass  # a finite number: has_lb/has_ub hold
    elif not (con.has_lb() if lower else con.has_ub()):  # raises for a wrong infinity/nan
        return -inf if lower else inf
    return bound - const


__all__ = ["PersistentHighs"]
