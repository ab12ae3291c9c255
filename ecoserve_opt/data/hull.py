r"""Operating points and replica types: exact pruning of the dominated ones (``solver.prune``,
no Pyomo).

A served rate :math:`x_{kys}` of operating point :math:`k = (l, g, t, b, c, q)` appears in
exactly four places of the model (docs/formulation.md, "Exact pruning of operating points"):

* the demand row of its LLM and class (online :math:`\ge`, offline :math:`\ge` or, with
  Shift offline off, :math:`=` per slot), coefficient 1;
* the time share of its replica type, :math:`\sum_k u_{kys} x_{kys} \le n`, with
  :math:`u_{kys} = f_{kys}/\kappa_k` (headroom factor over capacity);
* the power balance, coefficient :math:`\delta\,\phi_g\,t\,e_k` with
  :math:`e_k = (P_k - P^{idle}_g)/\kappa_k` (duty :math:`\delta` and wall factor
  :math:`\phi_g` the same for every point of a replica type and class);
* online only, the mean latency (performance objective and latency cap), coefficient
  :math:`w\,\ell_k`.

Within a group :math:`G` of points of one replica type (llm, gpu, tp, precision) and class,
a point :math:`k` is *dominated* when a convex combination of the other points is no worse
in every one of these coefficients: :math:`\lambda \ge 0`, :math:`\sum_j \lambda_j = 1`,
:math:`\sum_j \lambda_j e_j \le e_k`, :math:`\sum_j \lambda_j \ell_j \le \ell_k` (online)
and :math:`\sum_j \lambda_j u_{jys} \le u_{kys}` in every year and slot. Then any solution
serving :math:`x_{kys}` at :math:`k` can serve :math:`\lambda_j x_{kys}` at each :math:`j`
instead: the demand rows are unchanged, the replica time shares and every metric
(energy, carbon, cost, latency; GPU-hours do not read rates) do not increase, all integer
variables stay as they are. So dropping :math:`k` changes the optimum of no objective, cap,
epsilon-constraint front, lexicographic stage or fixed-fleet re-solve.

Removing a dominated point does not change the set :math:`\mathrm{conv}(G) + \mathbb{R}_+^r`
(:math:`r` the number of coefficients), so the points are tested one after the other
against the points still kept; what remains are that set's vertices (the lower convex
hull). Every dominance is *proved* in exact rational arithmetic on the data's floats
(``fractions.Fraction``): numpy only proposes a certificate :math:`\lambda`. Certificates
are sought on up to three points (complete where a group has at most three distinct
coefficient rows: every point of the set's boundary lies on a face spanned by at most
three vertices); with more rows (online headroom factors that differ between the points
and between slots) the test is sufficient only, so it may keep a dominated point but never
drops an undominated one.

:func:`dominated_replicas` applies the same test across replica types: a type
:math:`(l, g, t, q)` goes when one replica of another type :math:`(l, g, t', q')` with
:math:`t' \le t` beats each of its kept points (docs/formulation.md, "Exact pruning of
replica types"; replicas move one for one, so integrality, GPUs and per-replica host needs
are kept).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import TypeVar

import numpy as np

from ecoserve_opt.data.keys import Point, Replica
from ecoserve_opt.data.model import GpuType

Num = TypeVar("Num", float, Fraction)
CapFactors = dict[tuple[str, str, int, int, str, str, int, int], float]

#: float screening: a proposed certificate may violate a row by this much (relative to the
#: row's scale) before its exact check; the exact check decides
SCREEN_TOL = 1e-9


def coefficient_rows(
    points: Sequence[Point],
    info: dict[Point, dict[str, float]],
    cap_factor: CapFactors,
    gpus: dict[str, GpuType],
    years: Sequence[int],
    slots: Sequence[int],
    latency: bool = True,
) -> tuple[np.ndarray, Callable[[int], list[Fraction]]]:
    r"""The coefficients of each point of one group (same replica type and class), as floats
    (one row per point) and exactly (``exact(i)``, rationals of the data's floats):
    :math:`1/\kappa` (the time share where every point of the group has the same headroom
    factor :math:`f_{ys}`, or none: a common positive factor changes no comparison),
    :math:`f_{kys}/\kappa_k` for every (year, slot) where the factors differ, :math:`e_k`,
    and :math:`\ell_k` for online points (unless ``latency`` is false)."""
    online = latency and points[0].cls == "online"
    cap = np.array([info[p]["cap"] for p in points])
    f = np.array(
        [[cap_factor.get((*p, y, s), 1.0) for y in years for s in slots] for p in points]
    ).reshape(len(points), -1)
    differ = np.flatnonzero((f != f[0]).any(axis=0))
    load = [info[p]["power_kw"] - gpus[p.gpu].idle_kw for p in points]
    cols = [1.0 / cap, *(f[:, j] / cap for j in differ), np.array(load) / cap]
    if online:
        cols.append(np.array([info[p]["latency"] for p in points]))
    values = np.column_stack(cols)

    def exact(i: int) -> list[Fraction]:
        p = points[i]
        c = Fraction(info[p]["cap"])
        row = [1 / c, *(Fraction(float(f[i, j])) / c for j in differ)]
        row.append((Fraction(info[p]["power_kw"]) - Fraction(gpus[p.gpu].idle_kw)) / c)
        if online:
            row.append(Fraction(info[p]["latency"]))
        return row

    return values, exact


def _proves(
    rows: Mapping[int, Sequence[Num]] | Sequence[Sequence[Num]],
    k: int,
    support: tuple[int, ...],
    tol: Num,
) -> bool:
    """Whether a convex combination of ``support`` is no worse than ``k`` in every row, up
    to ``tol`` (exact with Fractions and ``tol = 0``; floats only screen). One point:
    componentwise; two: the interval of the weight; three: the vertices of the weight
    triangle where two rows are tight (its edges are the pairs, tested on their own)."""
    vk = rows[k]
    if len(support) == 1:
        return all(a <= b + tol for a, b in zip(rows[support[0]], vk, strict=True))
    if len(support) == 2:
        a, b = rows[support[0]], rows[support[1]]
        lo, hi = 0 * tol, 1 + 0 * tol
        for ai, bi, ki in zip(a, b, vk, strict=True):
            # lam * a_i + (1 - lam) * b_i <= k_i  <=>  lam * (a_i - b_i) <= k_i - b_i
            da, rhs = ai - bi, ki - bi + tol
            if da > tol:
                hi = min(hi, rhs / da)
            elif da < -tol:
                lo = max(lo, rhs / da)
            elif rhs < 0:
                return False
        return lo <= hi + tol
    a, b, c = (rows[j] for j in support)
    for i, j in itertools.combinations(range(len(vk)), 2):
        # lam_a (a - c) + lam_b (b - c) = k - c on rows i and j, lam_c = 1 - lam_a - lam_b
        m11, m12, r1 = a[i] - c[i], b[i] - c[i], vk[i] - c[i]
        m21, m22, r2 = a[j] - c[j], b[j] - c[j], vk[j] - c[j]
        det = m11 * m22 - m12 * m21
        if det == 0 or abs(det) < tol:
            continue
        la = (r1 * m22 - m12 * r2) / det
        lb = (m11 * r2 - r1 * m21) / det
        lc = 1 - la - lb
        if la < -tol or lb < -tol or lc < -tol:
            continue
        if all(la * x + lb * y + lc * z <= w + tol for x, y, z, w in zip(a, b, c, vk, strict=True)):
            return True
    return False


def _pair_screen(v: np.ndarray, k: int, others: list[int]) -> list[tuple[int, int]]:
    """The pairs of ``others`` whose weight interval (see :func:`_proves`) is nonempty in
    floats, up to :data:`SCREEN_TOL` (rows scaled to a maximum of 1)."""
    pairs = list(itertools.combinations(others, 2))
    if not pairs:
        return []
    a = v[[i for i, _ in pairs]]
    b = v[[j for _, j in pairs]]
    da, rhs = a - b, v[k] - b + SCREEN_TOL
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = rhs / da
    hi = np.where(da > SCREEN_TOL, ratio, np.inf).min(axis=1, initial=1.0)
    lo = np.where(da < -SCREEN_TOL, ratio, -np.inf).max(axis=1, initial=0.0)
    flat_bad = ((np.abs(da) <= SCREEN_TOL) & (rhs < 0)).any(axis=1)
    ok = (lo <= hi + SCREEN_TOL) & ~flat_bad
    return [pairs[i] for i in np.flatnonzero(ok)]


def _dominated(values: np.ndarray, exact: Callable[[int], list[Fraction]]) -> list[int]:
    n, r = values.shape
    if n < 2:
        return []
    v = values / np.where(np.abs(values).max(axis=0) > 0, np.abs(values).max(axis=0), 1.0)
    rows: dict[int, list[Fraction]] = {}

    def proves(k: int, t: tuple[int, ...]) -> bool:
        for i in (k, *t):
            if i not in rows:
                rows[i] = exact(i)
        return _proves(rows, k, t, Fraction(0))

    vl = v.tolist()
    kept = list(range(n))
    dropped = []
    for k in kept[:]:
        others = [j for j in kept if j != k]
        singles = [(j,) for j in others if (v[j] <= v[k] + SCREEN_TOL).all()]
        hit = any(proves(k, t) for t in singles)
        hit = hit or any(proves(k, t) for t in _pair_screen(v, k, others))
        if not hit and r <= 3:
            hit = any(
                _proves(vl, k, t, SCREEN_TOL) and proves(k, t)
                for t in itertools.combinations(others, 3)
            )
        if hit:
            kept.remove(k)
            dropped.append(k)
    return dropped


def dominated_in_group(rows: list[list[Fraction]]) -> list[int]:
    """Indices of the points of one group (their exact coefficient ``rows``) proved
    dominated by the points kept, testing in order (module docstring); the others span
    the same set.

    Every support of one or two points is tried, and of three where there are at most
    three rows; floats (rows scaled to a maximum of 1) screen the supports with a small
    tolerance and only the supports they pass are proved in exact arithmetic.
    """
    values = np.array([[float(x) for x in row] for row in rows]).reshape(len(rows), -1)
    return _dominated(values, rows.__getitem__)


def dominated_points(
    points: Sequence[Point],
    info: dict[Point, dict[str, float]],
    cap_factor: CapFactors,
    gpus: dict[str, GpuType],
    years: Sequence[int],
    slots: Sequence[int],
    latency: bool = True,
) -> frozenset[Point]:
    """The operating points that a convex combination of the other points of their replica
    type and class dominates in every coefficient the model reads (module docstring); with
    ``latency`` false, in every coefficient but the latency (``solver.prune_latency``: exact
    only for a model whose objective and caps do not read the latency)."""
    groups: dict[tuple[object, str], list[Point]] = {}
    for p in points:
        groups.setdefault((p.replica, p.cls), []).append(p)
    out: set[Point] = set()
    for pts in groups.values():
        pts = sorted(pts, key=lambda p: p.batch)
        values, exact = coefficient_rows(pts, info, cap_factor, gpus, years, slots, latency)
        out.update(pts[i] for i in _dominated(values, exact))
    return frozenset(out)


# --- replica types dominated by another TP degree or precision of the same GPU ---------------


def _replica_row_parts(
    p: Point,
    info: dict[Point, dict[str, float]],
    cap_factor: CapFactors,
    gpus: dict[str, GpuType],
    ys: Sequence[tuple[int, int]],
) -> tuple[list[float], float, float | None]:
    """Per point: its headroom factors over ``ys`` (1 offline), :math:`t\\,(P - P^{idle})`
    and the latency (online; None offline)."""
    f = [cap_factor.get((*p, y, s), 1.0) for y, s in ys] if p.cls == "online" else [1.0]
    load = p.tp * (info[p]["power_kw"] - gpus[p.gpu].idle_kw)
    return f, load, info[p]["latency"] if p.cls == "online" else None


def _beaten(
    k: Point,
    cands: Sequence[Point],
    info: dict[Point, dict[str, float]],
    cap_factor: CapFactors,
    gpus: dict[str, GpuType],
    ys: Sequence[tuple[int, int]],
) -> bool:
    r"""Whether a convex combination of ``cands`` (points of another replica type, same
    class) is proved no worse than ``k`` per token/s: replica time share
    :math:`f_{ys}/\kappa` in every year and slot, load energy :math:`t\,(P - P^{idle})/\kappa`
    and (online) latency. Columns of equal headroom factors are compared once; floats screen
    supports of one and two points (three where there are at most three rows), and each
    dominance is proved in exact arithmetic (:func:`_proves`)."""
    pts = [k, *cands]
    parts = [_replica_row_parts(p, info, cap_factor, gpus, ys) for p in pts]
    f = np.array([fp for fp, _, _ in parts])
    f = np.unique(f, axis=1) if f.shape[1] > 1 else f
    cap = np.array([info[p]["cap"] for p in pts])
    cols = [*(f[:, j] / cap for j in range(f.shape[1])), np.array([ld for _, ld, _ in parts]) / cap]
    if k.cls == "online":
        cols.append(np.array([float(lat or 0.0) for _, _, lat in parts]))
    values = np.column_stack(cols)
    r = values.shape[1]
    v = values / np.where(np.abs(values).max(axis=0) > 0, np.abs(values).max(axis=0), 1.0)
    rows: dict[int, list[Fraction]] = {}

    def exact(i: int) -> list[Fraction]:
        p = pts[i]
        c = Fraction(info[p]["cap"])
        row = [Fraction(float(x)) / c for x in f[i]]
        row.append(p.tp * (Fraction(info[p]["power_kw"]) - Fraction(gpus[p.gpu].idle_kw)) / c)
        if p.cls == "online":
            row.append(Fraction(info[p]["latency"]))
        return row

    def proves(t: tuple[int, ...]) -> bool:
        for i in (0, *t):
            if i not in rows:
                rows[i] = exact(i)
        return _proves(rows, 0, t, Fraction(0))

    others = list(range(1, len(pts)))
    if any(proves((j,)) for j in others if (v[j] <= v[0] + SCREEN_TOL).all()):
        return True
    if any(proves(t) for t in _pair_screen(v, 0, others)):
        return True
    if r <= 3:
        vl = v.tolist()
        return any(
            _proves(vl, 0, t, SCREEN_TOL) and proves(t) for t in itertools.combinations(others, 3)
        )
    return False


def dominated_replicas(
    points: Sequence[Point],
    info: dict[Point, dict[str, float]],
    cap_factor: CapFactors,
    gpus: dict[str, GpuType],
    years: Sequence[int],
    slots: Sequence[int],
    dominated: frozenset[Point] = frozenset(),
) -> frozenset[Replica]:
    r"""The replica types :math:`r = (l, g, t, q)` that one replica of another type
    :math:`r' = (l, g, t', q')` of the same LLM and GPU type on no more GPUs
    (:math:`t' \le t`, any precision) replaces with no loss (docs/formulation.md, "Exact
    pruning of replica types"): every operating point of :math:`r` that is not in
    ``dominated`` (its own lower hull, :func:`dominated_points`) is beaten, per token/s, by
    a convex combination of points of :math:`r'` of the same class (:func:`_beaten`), and
    :math:`r'` has points of every class :math:`r` has.

    Then :math:`n_{r'} + n_r` replicas of :math:`r'` serve what :math:`n_{r'}` and :math:`n_r`
    served: the integer count moves one for one, so integrality is kept, the GPUs the
    replicas take do not increase (:math:`t' n \le t n`, same type), and the staged weight
    copies and checkpoints (per replica, the same for every TP degree and precision) do not
    change. Types are tested one after the other (larger TP first) against the types still
    kept, so of two equal types one stays.
    """
    ys = [(y, s) for y in years for s in slots]
    by_rep: dict[Replica, list[Point]] = {}
    for p in points:
        if p not in dominated:
            by_rep.setdefault(p.replica, []).append(p)
    groups: dict[tuple[str, str], list[Replica]] = {}
    for rep in sorted(by_rep):
        groups.setdefault((rep.llm, rep.gpu), []).append(rep)
    out: set[Replica] = set()
    # per replica type and class, its points' coefficients in floats (one row per point)
    # for a quick necessary test: a convex combination is at least the smallest value of
    # every coefficient, so a point below that minimum in some coefficient is not beaten;
    # first on the load energy and latency, then (built on demand) on the time shares
    cheap: dict[tuple[Replica, str], np.ndarray] = {}
    full: dict[tuple[Replica, str], np.ndarray] = {}
    for rep, pts in by_rep.items():
        for cls in ("online", "offline"):
            mine = [p for p in pts if p.cls == cls]
            if mine:
                cheap[(rep, cls)] = np.array(
                    [
                        [
                            p.tp * (info[p]["power_kw"] - gpus[p.gpu].idle_kw) / info[p]["cap"],
                            info[p]["latency"] if cls == "online" else 0.0,
                        ]
                        for p in mine
                    ]
                )

    def shares(rep: Replica, cls: str) -> np.ndarray:
        if (rep, cls) not in full:
            full[(rep, cls)] = np.array(
                [
                    [
                        x / info[p]["cap"]
                        for x in _replica_row_parts(p, info, cap_factor, gpus, ys)[0]
                    ]
                    for p in by_rep[rep]
                    if p.cls == cls
                ]
            )
        return full[(rep, cls)]

    def below_floor(theirs: np.ndarray, mine: np.ndarray) -> bool:
        floor = theirs.min(axis=0)
        return bool(((floor - mine) > SCREEN_TOL * np.maximum(np.abs(mine), 1e-300)).any())

    def beats(r2: Replica, rep: Replica) -> bool:
        for cls in ("online", "offline"):
            if (rep, cls) not in cheap:
                continue
            if (r2, cls) not in cheap or below_floor(cheap[(r2, cls)], cheap[(rep, cls)]):
                return False
        for cls in ("online", "offline"):
            if (rep, cls) in cheap and below_floor(shares(r2, cls), shares(rep, cls)):
                return False
        for k in by_rep[rep]:
            cands = [j for j in by_rep[r2] if j.cls == k.cls]
            if not _beaten(k, cands, info, cap_factor, gpus, ys):
                return False
        return True

    for reps in groups.values():
        for rep in sorted(reps, key=lambda x: (-x.tp, x.precision)):
            if any(
                r2 != rep and r2 not in out and r2.tp <= rep.tp and beats(r2, rep) for r2 in reps
            ):
                out.add(rep)
    return frozenset(out)
