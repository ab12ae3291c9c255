"""Precision: drop the replica configurations another precision dominates (exact pruning).

When an LLM allows several precisions (``llms.<name>.precisions``), every (llm, gpu, tp)
has one replica configuration per precision (data/profiles.py). On a GPU with FP8 tensor
cores the FP8 replica is usually at least as good as the 16-bit one at every batch, and
keeping both only doubles the integer replica variables. A replica ``r`` of precision
``q`` is dropped when a kept replica ``r'`` of the same (llm, gpu, tp) at another precision
has, for every (batch, class) point ``k`` of ``r``, the point ``k'`` with the same batch and
class, and ``k'`` is no worse on any quantity the model reads:

* replica capacity used per token/s, :math:`f_{k'ys}/\\kappa_{k'} \\le f_{kys}/\\kappa_k` in
  every year and slot (online headroom factor ``f``, 1 offline);
* GPU load energy per token, :math:`(P_{k'} - P^{idle}_g)/\\kappa_{k'} \\le (P_k -
  P^{idle}_g)/\\kappa_k`;
* latency per token (performance objective), :math:`\\ell_{k'} \\le \\ell_k`.

Everything else a replica touches (its GPUs, their hosts, staged weights and checkpoints,
which the model sizes at 16 bit for every precision) is the same for ``r`` and ``r'``.
So any solution using ``r`` maps to one using ``r'`` with the same replica counts and served
rates and no worse objective (carbon, energy, cost or latency) or constraint: the optimum
is unchanged (tested against the unpruned model). Comparisons are exact (no tolerance); of
two identical replicas the one later in sorted order is kept.
"""

from __future__ import annotations

from dataclasses import replace

from ecoserve_opt.data.keys import Point, Replica
from ecoserve_opt.data.model import GpuType
from ecoserve_opt.data.profiles import ServingSection

CapFactors = dict[tuple[str, str, int, int, str, str, int, int], float]


def drop_dominated_precisions(
    sv: ServingSection,
    cap_factor: CapFactors,
    gpus: dict[str, GpuType],
    years: list[int],
    slots: list[int],
) -> tuple[ServingSection, CapFactors]:
    """``sv`` without the dominated replicas (module docstring) and their points; the
    capacity factors of the kept points."""
    by_rep: dict[Replica, dict[tuple[int, str], Point]] = {}
    for p in sv.points:
        by_rep.setdefault(p.replica, {})[(p.batch, p.cls)] = p
    groups: dict[tuple[str, str, int], list[Replica]] = {}
    for r in sorted(by_rep):
        groups.setdefault((r.llm, r.gpu, r.tp), []).append(r)
    if all(len(g) == 1 for g in groups.values()):
        return sv, cap_factor
    info = sv.info

    def usage(p: Point, y: int, s: int) -> float:
        return cap_factor.get((*p, y, s), 1.0) / info[p]["cap"]

    def no_worse(a: Point, b: Point) -> bool:
        """Point ``a`` is no worse than ``b`` on every quantity the model reads."""
        ia, ib = info[a], info[b]
        idle = gpus[a.gpu].idle_kw
        if ia["latency"] > ib["latency"]:
            return False
        if (ia["power_kw"] - idle) / ia["cap"] > (ib["power_kw"] - idle) / ib["cap"]:
            return False
        return all(usage(a, y, s) <= usage(b, y, s) for y in years for s in slots)

    def dominates(r2: Replica, r: Replica) -> bool:
        pts2 = by_rep[r2]
        return all(k in pts2 and no_worse(pts2[k], p) for k, p in by_rep[r].items())

    dropped: set[Replica] = set()
    for group in groups.values():
        for r in group:
            if any(r2 != r and r2 not in dropped and dominates(r2, r) for r2 in group):
                dropped.add(r)
    if not dropped:
        return sv, cap_factor
    points = [p for p in sv.points if p.replica not in dropped]
    keep = set(points)
    out = replace(
        sv,
        points=points,
        info={p: v for p, v in info.items() if p in keep},
        replicas=[r for r in sv.replicas if r not in dropped],
    )
    factors = {k: v for k, v in cap_factor.items() if Point(*k[:6]) in keep}
    return out, factors
