"""The fast construction of the formulation's linear rows (issue 20, build at fleet scale:
``_linear.Terms`` filling its lists in one loop and building all monomials in one
comprehension, ``_linear.var_data`` instead of ``m.x[k]`` in the serving and power rows,
the capacity factor looked up by serving key) builds exactly the model of the plain path:
the model HiGHS receives (columns in the same order, bounds, integrality, costs, rows,
non-zeros) is compared with one built by the plain code kept here, on a bundled scenario
and a synthetic one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pyomo.contrib.solver.solvers.highs import Highs
from pyomo.core.expr.numeric_expr import LinearExpression
from pyomo.core.expr.numeric_expr import MonomialTermExpression as _monomial

from benchmarks.generate import get_size, write_scenario
from ecoserve_opt import build, load_scenario
from ecoserve_opt.data.keys import Serve
from ecoserve_opt.formulation import (
    _linear,
    build_model,
    carbon,
    cpu_serving,
    cuts,
    fleet,
    phases,
    serving,
    staging,
)
from ecoserve_opt.paths import bundled_scenarios
from tests.unit.test_handoff import _lp


class _PlainTerms(_linear.Terms):
    """``_linear.Terms`` as it was before the fast construction: one ``add`` per term and
    one expression argument appended per term (the rest is inherited unchanged)."""

    __slots__ = ()

    def extend(self, terms: Iterable[tuple[Any, Any]]) -> _PlainTerms:
        for c, v in terms:
            self.add(c, v)
        return self

    def expr(self, *extra: tuple[Any, Any]) -> LinearExpression:
        args: list[Any] = []
        if not (self.constant.__class__ in (float, int) and self.constant == 0):
            args.append(self.constant)
        for c, v in zip(self.coefs, self.variables, strict=True):
            args.append(v if c.__class__ in (float, int) and c == 1 else _monomial((c, v)))
        for c, v in extra:
            args.append(v if c.__class__ in (float, int) and c == 1 else _monomial((c, v)))
        return LinearExpression(args)


class _PlainLookup:
    """``var[k]`` through Pyomo's ``__getitem__`` (what ``var_data`` replaces)."""

    def __init__(self, var: Any) -> None:
        self.var = var

    def __getitem__(self, k: Any) -> Any:
        return self.var[k]


class _PlainFactors(dict[Any, float]):
    """The capacity factors asked for as ``ModelData.capacity_factor(k.point, y, s)``
    asks (for a serving key, the key rebuilt from its point, year and slot)."""

    def get(self, k: Any, default: Any = None) -> Any:
        if hasattr(k, "point"):  # a serving key (replica_capacity): its point, year, slot
            k = (*k.point, k.year, k.slot)
        return super().get(k, default)


def _plain(monkeypatch: pytest.MonkeyPatch) -> None:
    for mod in (_linear, carbon, cpu_serving, cuts, fleet, phases, serving, staging):
        if hasattr(mod, "Terms"):
            monkeypatch.setattr(mod, "Terms", _PlainTerms)
        if hasattr(mod, "var_data"):
            monkeypatch.setattr(mod, "var_data", _PlainLookup)


def _handed(model: Any) -> dict[str, Any]:
    h = Highs()
    h.set_instance(model)
    return _lp(h, model)


@pytest.mark.parametrize("case", ["ecoserve_paper", "synthetic"])
def test_fast_build_gives_the_plain_model(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if case == "synthetic":
        path = write_scenario(get_size("XS"), tmp_path / "xs")
    else:
        path = bundled_scenarios()[case]
    loaded = load_scenario(path, overrides={"solver.cuts": True})
    fast = build(loaded)
    got = _handed(fast.model)
    data = replace(
        fast.data, online_capacity_factor=_PlainFactors(fast.data.online_capacity_factor)
    )
    with monkeypatch.context() as mp:
        _plain(mp)
        want = _handed(build_model(data, objective=fast.objective))
    assert got["col_cost"].size > 300
    assert got["a_value"].size > 1000
    for key, arr in want.items():
        np.testing.assert_array_equal(got[key], arr, err_msg=key)
        if arr.dtype.kind == "f":  # the same bits, signed zeros included
            np.testing.assert_array_equal(np.signbit(got[key]), np.signbit(arr), err_msg=key)


def test_replica_capacity_coefficients_are_the_capacity_factor_over_the_capacity() -> None:
    """Each served-rate term of ``replica_capacity`` is ``capacity_factor(point, year, slot)
    / cap[point]``, bit for bit (the rows look the factor up by serving key)."""
    loaded = load_scenario(bundled_scenarios()["default"])
    built = build(loaded)
    m, d = built.model, built.data
    seen = headroom = 0
    for con in m.replica_capacity.values():
        for arg in con.body.args:
            c, v = arg.args if isinstance(arg, _monomial) else (1, arg)
            if v.parent_component() is not m.x:
                continue
            k = Serve(*v.index())
            want = d.capacity_factor(k.point, k.year, k.slot) / d.cap[k.point]
            assert c == want, k
            seen += 1
            headroom += d.capacity_factor(k.point, k.year, k.slot) != 1.0
    assert seen == len(m.x)
    assert headroom > 0  # factors other than 1 are among them
