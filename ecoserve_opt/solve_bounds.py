r"""Exact bounds on the integer columns from a known incumbent (``solver.cutoff_bounds``).

With a feasible solution of objective :math:`U` in hand (the verified heuristic MIP start,
ecoserve_opt/heuristics.py), every solution worth finding has objective :math:`\le U`. The
LP relaxation's duals turn that into bounds on the columns, in three steps:

1. **Implied bounds.** Activity-based bound propagation over the rows (each row's minimum
   and maximum activity over the column bounds bounds each of its columns) gives finite
   bounds to the continuous columns that have none; every feasible point meets them.
2. **Lagrangian bound.** For any row duals :math:`y` (those of the LP relaxation, with a
   dual on an infinite row side set to 0) let :math:`d = c - A^\top y`. For every
   feasible :math:`x` (rows :math:`\ell^r \le Ax \le u^r`, columns within the bounds of
   step 1)

   .. math:: c^\top x + c_0 = L(y) + \sum_i s_i(x) + \sum_j t_j(x), \qquad
      L(y) = c_0 + \sum_{y_i>0} y_i \ell^r_i + \sum_{y_i<0} y_i u^r_i
      + \sum_j \min(d_j \ell_j, d_j u_j),

   with :math:`s_i = y_i (a_i x - \ell^r_i)` (:math:`y_i>0`) or
   :math:`y_i (a_i x - u^r_i)` (:math:`y_i<0`), and :math:`t_j = d_j x_j - \min(d_j
   \ell_j, d_j u_j)`, every term :math:`\ge 0`. So a solution with objective
   :math:`\le U` has every single term :math:`\le G = U - L(y)`:

   * reduced-cost bounds :math:`x_j \le \ell_j + G/d_j` (:math:`d_j > 0`),
     :math:`x_j \ge u_j - G/|d_j|` (:math:`d_j < 0`);
   * row-slack bounds :math:`a_i x \le \ell^r_i + G/y_i` (:math:`y_i > 0`),
     :math:`a_i x \ge u^r_i - G/|y_i|` (:math:`y_i < 0`).

   :math:`L(y)` is computed here from :math:`y` and the matrix, not taken from the LP
   solver, so it is a valid lower bound whatever the LP's tolerances (at the LP optimum it
   equals the LP bound).
3. **Propagation** of the tightened rows and columns (step 1 again), then integer columns
   rounded inwards.

Only the integer columns' bounds are handed to HiGHS, never below or above the incumbent's
value, and with a safety margin on :math:`G` (relative :data:`MARGIN` plus the rounding
error of the sums). The optimum has objective :math:`\le U`, so it meets every bound: the
bounded model has the same optimum, HiGHS's dual bound on it is a valid bound on the
model, and the 1% gap means the same. What it buys: HiGHS's root cost grows with the
integer domains (docs/performance.md, "Tightening and pruning"), and the exact demand bounds
of ``solver.tighten`` leave domains of thousands where these leave tens.

The bounds hold only for the objective and parameters they were computed with, so
``solve.py`` applies them to one solve and restores the model's own bounds right after it
(sweeps re-solve with changed parameters).

This module does no I/O and never imports HiGHS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecoserve_opt.heuristics import LpArrays

#: Relative safety margin on the objective window :math:`G` (of :math:`\max(1, |U|)`).
MARGIN = 1e-6
#: Propagation rounds at most (each is a few vectorised passes over the non-zeros; on the
#: paper scenario 5 rounds give the domains of 30 to within 10% on the widest column).
MAX_ROUNDS = 8
#: A propagated bound is kept only if it moves by more than this (relative), so the
#: rounds stop when the changes become small.
MIN_CHANGE = 1e-3
#: Integrality tolerance when rounding a bound inwards (floor(u + tol), ceil(l - tol)).
INT_TOL = 1e-6


@dataclass(frozen=True)
class CutoffBounds:
    """New bounds for some integer columns (HiGHS indices), or why there are none."""

    cols: np.ndarray  # int32 column indices whose bounds move
    lower: np.ndarray
    upper: np.ndarray
    window: float  # G = U - L(y), objective units
    lagrangian: float  # L(y)
    reason: str = "ok"

    @property
    def count(self) -> int:
        """Number of columns whose bounds move."""
        return len(self.cols)


def _none(reason: str) -> CutoffBounds:
    empty = np.zeros(0)
    return CutoffBounds(np.zeros(0, dtype=np.int32), empty, empty, 0.0, -np.inf, reason)


def _relax(b: np.ndarray, sign: float) -> np.ndarray:
    """Move computed bounds outwards by a relative 1e-9 (floating-point error)."""
    with np.errstate(invalid="ignore"):
        return b + sign * 1e-9 * np.maximum(1.0, np.abs(b))


def propagate(
    a: LpArrays,
    lower: np.ndarray,
    upper: np.ndarray,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    max_rounds: int = MAX_ROUNDS,
) -> tuple[np.ndarray, np.ndarray]:
    """Activity-based bound propagation: column bounds implied by the rows (step 1).

    For a row :math:`\\ell^r \\le \\sum_k a_k x_k \\le u^r` and a column :math:`j` in it,
    :math:`a_j x_j \\le u^r - \\min \\sum_{k \\ne j} a_k x_k` and
    :math:`a_j x_j \\ge \\ell^r - \\max \\sum_{k \\ne j} a_k x_k` over the current bounds.
    Integer columns are rounded inwards. Every point within the given bounds that meets the
    rows meets the returned bounds.
    """
    rows, cols, val = a.rows, a.cols, a.value
    m = len(row_lower)
    lo, up = lower.astype(float), upper.astype(float)
    pos = val > 0
    for _ in range(max_rounds):
        with np.errstate(invalid="ignore"):
            mn = np.where(pos, val * lo[cols], val * up[cols])
            mx = np.where(pos, val * up[cols], val * lo[cols])
        mn_inf, mx_inf = ~np.isfinite(mn), ~np.isfinite(mx)
        mnf, mxf = np.where(mn_inf, 0.0, mn), np.where(mx_inf, 0.0, mx)
        min_act, max_act = np.bincount(rows, mnf, m), np.bincount(rows, mxf, m)
        n_min, n_max = np.bincount(rows, mn_inf, m)[rows], np.bincount(rows, mx_inf, m)[rows]
        # activity of the other entries of the row (infinite if any other one is)
        rest_min = np.where(
            mn_inf,
            np.where(n_min == 1, min_act[rows], -np.inf),
            np.where(n_min == 0, min_act[rows] - mnf, -np.inf),
        )
        rest_max = np.where(
            mx_inf,
            np.where(n_max == 1, max_act[rows], np.inf),
            np.where(n_max == 0, max_act[rows] - mxf, np.inf),
        )
        # rounding error of the activity sums: relative to the sum of absolute terms
        err = 1e-12 * np.bincount(rows, np.abs(mnf) + np.abs(mxf), m)[rows]
        with np.errstate(invalid="ignore", divide="ignore"):
            hi = row_upper[rows] - rest_min + err
            lw = row_lower[rows] - rest_max - err
            ub = np.where(pos, hi / val, lw / val)
            lb = np.where(pos, lw / val, hi / val)
        ub = _relax(np.where(np.isnan(ub), np.inf, ub), 1.0)
        lb = _relax(np.where(np.isnan(lb), -np.inf, lb), -1.0)
        new_up, new_lo = up.copy(), lo.copy()
        np.minimum.at(new_up, cols, ub)
        np.maximum.at(new_lo, cols, lb)
        new_up = np.where(a.integer, np.floor(new_up + INT_TOL), new_up)
        new_lo = np.where(a.integer, np.ceil(new_lo - INT_TOL), new_lo)
        with np.errstate(invalid="ignore"):
            up_moves = new_up < up - MIN_CHANGE * np.maximum(1.0, np.abs(new_up))
            lo_moves = new_lo > lo + MIN_CHANGE * np.maximum(1.0, np.abs(new_lo))
        if not (up_moves.any() or lo_moves.any()):
            break
        up = np.where(up_moves, new_up, up)
        lo = np.where(lo_moves, new_lo, lo)
    return lo, up


def cutoff_bounds(
    a: LpArrays, row_dual: np.ndarray, cutoff: float, keep: np.ndarray
) -> CutoffBounds:
    """Bounds on the integer columns of ``a`` met by every solution with objective at
    most ``cutoff`` (module docstring), from the row duals ``row_dual`` of its LP
    relaxation (HiGHS's sign convention: :math:`d = c - A^\\top y`). ``keep`` (the
    incumbent, one value per column) always stays within the returned bounds."""
    if len(row_dual) != len(a.row_lower) or len(keep) != len(a.col_lower):
        return _none("duals or incumbent of the wrong length")
    if not np.isfinite(cutoff):
        return _none("no finite incumbent objective")
    lo, up = propagate(a, a.col_lower, a.col_upper, a.row_lower, a.row_upper)
    y = np.where(
        ((row_dual > 0) & np.isfinite(a.row_lower)) | ((row_dual < 0) & np.isfinite(a.row_upper)),
        row_dual,
        0.0,
    )
    d = a.cost - np.bincount(a.cols, y[a.rows] * a.value, len(a.cost))
    with np.errstate(invalid="ignore"):
        col_min = np.where(d > 0, d * lo, np.where(d < 0, d * up, 0.0))
    side = np.where(y > 0, a.row_lower, a.row_upper)
    row_side = np.where(y != 0, y * np.where(np.isfinite(side), side, 0.0), 0.0)
    if not np.all(np.isfinite(col_min)):
        return _none("a column with a non-zero reduced cost has no finite bound on that side")
    terms = np.concatenate([col_min, row_side, [a.offset]])
    lagrangian = float(terms.sum())
    # safety: a relative margin on U and the rounding error of the sums
    slack = MARGIN * max(1.0, abs(cutoff)) + 1e-12 * float(np.abs(terms).sum())
    window = max(cutoff - lagrangian, 0.0) + slack
    with np.errstate(divide="ignore", invalid="ignore"):
        up = np.where(d > 0, np.minimum(up, _relax(lo + window / d, 1.0)), up)
        lo = np.where(d < 0, np.maximum(lo, _relax(up - window / -d, -1.0)), lo)
        row_up = np.where(y > 0, np.minimum(a.row_upper, a.row_lower + window / y), a.row_upper)
        row_lo = np.where(y < 0, np.maximum(a.row_lower, a.row_upper + window / y), a.row_lower)
    up = np.where(a.integer, np.floor(up + INT_TOL), up)
    lo = np.where(a.integer, np.ceil(lo - INT_TOL), lo)
    lo, up = propagate(a, lo, up, _relax(row_lo, -1.0), _relax(row_up, 1.0))
    lo = np.minimum(np.maximum(lo, a.col_lower), keep)
    up = np.maximum(np.minimum(up, a.col_upper), keep)
    moved = a.integer & ((lo > a.col_lower) | (up < a.col_upper))
    cols = np.flatnonzero(moved).astype(np.int32)
    return CutoffBounds(cols, lo[cols], up[cols], window, lagrangian)
