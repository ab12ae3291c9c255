r"""Host covers: the day and online covers of formulation/cuts.py carried over to the hosts
that mount the GPUs (``solver.cuts``).

The covering rows of formulation/cuts.py round the *replicas* an LLM needs; the LP
relaxation still mounts the GPUs of those replicas on fractional hosts (4.05 hosts of 8
H100s for 32.4 GPUs on ``scenarios/ecoserve_paper.yaml``), and each host brings embodied
carbon and idle power. The rows here are implied by the model and rounded by the same
mixed-integer rounding (MIR), so every integer-feasible solution satisfies them.

**Aggregation.** Fix a year :math:`y` and a GPU type :math:`g^*`. For every LLM :math:`l`
with a replica type on :math:`g^*` take one of its covering rows (a day or online cover of
formulation/cuts.py, before rounding)
:math:`\sum_r a_r n_{ry} + \sum_j e_j v_j \ge \sigma \beta_l` and the largest coefficient
per GPU of :math:`g^*` in it, :math:`\rho_l = \max_{r: g(r) = g^*} a_r / t_r` (:math:`t_r`
the TP degree). Scaled by :math:`w_l = 1/\rho_l` each row counts *GPUs of* :math:`g^*`
*worth of service*, and the sum over the LLMs is a valid row. A replica type on
:math:`g^*` has :math:`w_l a_r \le t_r`, and the GPUs the replicas of all LLMs use on
:math:`g^*` are at most the mounted ones (``gpus_for_replicas``), which are at most the
slots of the hosts carrying :math:`g^*` (``gpu_slots``):

.. math::
    \sum_l w_l \sum_{r: g(r) = g^*} a_r n_{ry} \le \sum_{r: g(r) = g^*} t_r n_{ry}
        \le \sum_{h, L} \mathrm{slots}_h\, z_{h g^* L y},

so the *host cover*

.. math::
    \sum_{h, L} \mathrm{slots}_h\, z_{h g^* L y}
    + \sum_l w_l \sum_{r: g(r) \ne g^*} a_r n_{ry} + \sum_l w_l \sum_j e_j v_j
    \ \ge\ \sigma \sum_l w_l \beta_l

holds for every feasible point (replicas on other GPU types keep their own columns). It
is rounded as in formulation/cuts.py with the slots of each host type carrying
:math:`g^*` as divisor: for hosts of 8 slots the host counts get coefficient 1 and the
right-hand side becomes the whole hosts that the GPU-equivalents need.

**Which rows.** Per year and GPU type with host deployments, each LLM contributes the
covering row that needs the most GPUs of :math:`g^*` (largest :math:`\beta_l/\rho_l` at
the scenario's demand scale; the choice affects strength, not validity); identical rows
are added once. Built with the covers of formulation/cuts.py (never in slack mode; phase
pools get the covers formulation/cuts.py gives them).

Component ``cover_host`` (indexed by row number).
"""

from __future__ import annotations

from typing import Any

import pyomo.core as pyo

from ecoserve_opt.data import NO_GPU, ModelData
from ecoserve_opt.data.keys import Deployment
from ecoserve_opt.formulation.cuts import Cover, mir_constraint
from ecoserve_opt.formulation.sets import Index

#: A host cover before rounding: integer coefficients keyed ``("z", deployment)`` (hosts)
#: or ``("n", replica type + year)`` (replicas), continuous ``(coef, var)`` terms, the
#: right-hand side at demand scale 1 and the divisor.
HostRow = tuple[dict[tuple[str, tuple[Any, ...]], float], list[tuple[float, Any]], float, float]


def per_gpu(row: Cover, gpu: str) -> float:
    r""":math:`\rho`: the largest coefficient per GPU of type ``gpu`` in ``row`` (0 if
    none of its replica types is on ``gpu``)."""
    return max((a / r.tp for r, a in row.coefs.items() if r.gpu == gpu), default=0.0)


def chosen_covers(covers: list[Cover], gpu: str, year: int) -> list[tuple[float, Cover]]:
    r"""Per LLM, the covering row of ``year`` that needs the most GPUs of ``gpu`` with its
    weight :math:`w_l = 1/\rho_l` (module docstring)."""
    best: dict[str, tuple[float, float, Cover]] = {}
    for c in covers:
        rho = per_gpu(c, gpu)
        if c.year != year or rho <= 0 or c.rhs <= 0:
            continue
        (l_,) = {r.llm for r in c.coefs}
        if l_ not in best or c.rhs / rho > best[l_][0]:
            best[l_] = (c.rhs / rho, 1.0 / rho, c)
    return [(w, c) for _need, w, c in (best[l_] for l_ in sorted(best))]


def host_covers(d: ModelData, ix: Index, covers: list[Cover]) -> list[HostRow]:
    """The host covers (module docstring), both kinds, per year and GPU type with host
    deployments; identical rows once."""
    deps: dict[tuple[str, int], list[Deployment]] = {}
    for k in ix.dep:
        if k.gpu != NO_GPU:
            deps.setdefault((k.gpu, k.year), []).append(k)
    rows: list[HostRow] = []
    seen: set[tuple[object, ...]] = set()
    for g_star, y in sorted(deps):
        chosen = chosen_covers(covers, g_star, y)
        if not chosen:
            continue
        rhs = sum(w * c.rhs for w, c in chosen)
        cont = [(w * e, v) for w, c in chosen for e, v in c.cont]
        slots = {("z", tuple(k)): float(d.hosts[k.host].gpu_slots) for k in deps[(g_star, y)]}
        for coefs in (_replica_side(chosen, g_star, y), _host_side(d, deps, chosen, g_star, y)):
            coefs.update(slots)
            for div in sorted(set(slots.values())):
                key = (
                    y,
                    round(rhs / div, 9),
                    *sorted((k, round(a / div, 9)) for k, a in coefs.items()),
                )
                if div > 0 and key not in seen:
                    seen.add(key)
                    rows.append((coefs, cont, rhs, div))
    return rows


def _replica_side(
    chosen: list[tuple[float, Cover]], g_star: str, y: int
) -> dict[tuple[str, tuple[Any, ...]], float]:
    """Replicas on other GPU types keep their columns: :math:`w_l a_r n_{ry}`."""
    out: dict[tuple[str, tuple[Any, ...]], float] = {}
    for w, c in chosen:
        for r, a in c.coefs.items():
            if r.gpu != g_star:
                key = ("n", (*r, y))
                out[key] = out.get(key, 0.0) + w * a
    return out


def _host_side(
    d: ModelData,
    deps: dict[tuple[str, int], list[Deployment]],
    chosen: list[tuple[float, Cover]],
    g_star: str,
    y: int,
) -> dict[tuple[str, tuple[Any, ...]], float]:
    r"""Replicas on another GPU type :math:`g` bounded by its hosts' slots:
    :math:`\pi_g\, \mathrm{slots}_h z_{hgLy}` with :math:`\pi_g = \max w_l a_r / t_r`
    over the rows' replica types on :math:`g`."""
    pi: dict[str, float] = {}
    for w, c in chosen:
        for r, a in c.coefs.items():
            if r.gpu != g_star:
                pi[r.gpu] = max(pi.get(r.gpu, 0.0), w * a / r.tp)
    return {
        ("z", tuple(k)): p * d.hosts[k.host].gpu_slots
        for g, p in sorted(pi.items())
        for k in deps.get((g, y), [])
    }


def add_host_cuts(m: pyo.ConcreteModel, d: ModelData, ix: Index, covers: list[Cover]) -> None:
    """Add the rounded host covers ``cover_host`` built from ``covers`` (module docstring)."""
    m.cover_host = pyo.Constraint(pyo.Any)
    for i, (coefs, cont, rhs, c) in enumerate(host_covers(d, ix, covers)):
        ints = [(a, m.z[k] if kind == "z" else m.n_rep[k]) for (kind, k), a in coefs.items()]
        m.cover_host[i] = mir_constraint(m.demand_scale, ints, cont, rhs, c)
