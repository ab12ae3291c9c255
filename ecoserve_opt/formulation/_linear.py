"""Fast linear-expression construction for the formulation's hot loops.

``sum(c * v for ...)`` builds a Python object per term and re-normalises the running sum;
``pyomo.environ.Expression`` components inside constraints are walked again for every
constraint that uses them (by the persistent solver's variable collection and by
``generate_standard_repn``). The blocks therefore collect ``(coefficient, variable)`` terms
in plain lists and build one flat :class:`~pyomo.core.expr.numeric_expr.LinearExpression`
per constraint, which Pyomo's writers and the HiGHS hand-off read on their fast path.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain
from typing import Any

from pyomo.core.expr.numeric_expr import LinearExpression
from pyomo.core.expr.numeric_expr import MonomialTermExpression as _monomial


class Terms:
    """An accumulator of linear terms ``sum_i c_i v_i + constant``."""

    __slots__ = ("coefs", "constant", "variables")

    def __init__(self) -> None:
        self.coefs: list[Any] = []
        self.variables: list[Any] = []
        self.constant: Any = 0.0

    def add(self, coef: Any, var: Any) -> Terms:
        """Add ``coef * var`` (skipped when ``coef`` is a plain zero)."""
        if (coef.__class__ is float or coef.__class__ is int) and coef == 0:
            return self
        self.coefs.append(coef)
        self.variables.append(var)
        return self

    def extend(self, terms: Iterable[tuple[Any, Any]]) -> Terms:
        """Add several ``(coef, var)`` pairs (each as :meth:`add` adds it)."""
        coefs, variables = self.coefs, self.variables
        for c, v in terms:
            if (c.__class__ is float or c.__class__ is int) and c == 0:
                continue
            coefs.append(c)
            variables.append(v)
        return self

    def add_terms(self, other: Terms, scale: float = 1.0) -> Terms:
        """Add ``scale`` times another accumulator."""
        if scale == 1.0:
            self.coefs.extend(other.coefs)
        else:
            self.coefs.extend(scale * c for c in other.coefs)
        self.variables.extend(other.variables)
        self.constant = self.constant + scale * other.constant
        return self

    def __len__(self) -> int:
        return len(self.variables)

    def expr(self, *extra: tuple[Any, Any]) -> LinearExpression:
        """The flat linear expression, plus ``extra`` ``(coef, var)`` terms (not stored).

        Unit coefficients become bare variables (no monomial object is created for them).
        """
        c0 = self.constant
        args: list[Any] = [] if (c0.__class__ is float or c0.__class__ is int) and c0 == 0 else [c0]
        args.extend(
            [
                v if (c.__class__ is float or c.__class__ is int) and c == 1 else _monomial((c, v))
                for c, v in chain(zip(self.coefs, self.variables, strict=True), extra)
            ]
        )
        return LinearExpression(args)


def lin(terms: Iterable[tuple[Any, Any]], constant: Any = 0.0) -> LinearExpression:
    """A flat linear expression from ``(coef, var)`` pairs."""
    t = Terms().extend(terms)
    t.constant = constant
    return t.expr()


def var_data(var: Any) -> dict[Any, Any]:
    """The data objects of a constructed indexed ``Var`` by index: what ``var[index]``
    returns for an index it has (``IndexedComponent.__getitem__`` looks there first), without
    the per-call work, for the loops over the ~165k serving columns of a fleet-scale model."""
    data: dict[Any, Any] = var._data
    return data
