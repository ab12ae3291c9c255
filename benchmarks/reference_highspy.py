"""Reference: the same MILP assembled without Pyomo (Python lists/numpy -> highspy).

This is the floor the Pyomo path is compared against in docs/performance.md: the carbon
objective of ``ecoserve_opt.formulation`` (all blocks the generated scenarios use: fleet,
components, serving, host-CPU offline serving, power balance, embodied carbon) assembled as
COO triplets straight from :class:`~ecoserve_opt.data.ModelData`, converted to a CSC matrix
with numpy/scipy and passed to HiGHS in one ``passModel`` call. No expression objects exist.

It supports what the benchmark scenarios use (no slack mode, ``shift_offline`` on, objective
``carbon``) and checks itself: ``--check`` solves the LP relaxation of both the reference and
the Pyomo model and compares the objectives.

Usage::

    python benchmarks/reference_highspy.py --size M           # time data, assemble, pass
    python benchmarks/reference_highspy.py --size XS --check  # same LP optimum as Pyomo?
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

try:  # imported as part of the benchmarks package (tests) or run as a script
    from benchmarks import generate as gen
except ImportError:  # pragma: no cover
    import generate as gen  # type: ignore[no-redef]

INF = float("inf")


class Matrix:
    """Columns and rows collected as Python lists (COO), then handed to HiGHS at once."""

    def __init__(self) -> None:
        self.col: dict[tuple[Any, ...], int] = {}
        self.lb: list[float] = []
        self.ub: list[float] = []
        self.cost: list[float] = []
        self.integer: list[int] = []
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.vals: list[float] = []
        self.rlb: list[float] = []
        self.rub: list[float] = []

    def var(
        self, key: tuple[Any, ...], lb: float = 0.0, ub: float = INF, integer: bool = False
    ) -> int:
        """Add a column; returns its index."""
        j = len(self.lb)
        self.col[key] = j
        self.lb.append(lb)
        self.ub.append(ub)
        self.cost.append(0.0)
        self.integer.append(1 if integer else 0)
        return j

    def row(self, terms: list[tuple[int, float]], lb: float, ub: float) -> None:
        """Add a row ``lb <= sum(v * x_j) <= ub``."""
        i = len(self.rlb)
        for j, v in terms:
            if v == 0:
                continue
            self.rows.append(i)
            self.cols.append(j)
            self.vals.append(v)
        self.rlb.append(lb)
        self.rub.append(ub)

    def to_highs(self, relax: bool = False) -> Any:
        """A ``highspy.Highs`` holding the model (CSC), passed in one call."""
        import highspy
        import scipy.sparse as sp

        n, m = len(self.lb), len(self.rlb)
        a = sp.csc_matrix(
            (np.asarray(self.vals), (np.asarray(self.rows), np.asarray(self.cols))), shape=(m, n)
        )
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, m
        lp.col_cost_ = np.asarray(self.cost)
        lp.col_lower_ = np.asarray(self.lb)
        lp.col_upper_ = np.asarray(self.ub)
        lp.row_lower_ = np.asarray(self.rlb)
        lp.row_upper_ = np.asarray(self.rub)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = a.indptr
        lp.a_matrix_.index_ = a.indices
        lp.a_matrix_.value_ = a.data
        if not relax:
            lp.integrality_ = [
                highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
                for i in self.integer
            ]
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.passModel(lp)
        return h


def assemble(d: Any) -> Matrix:
    """The carbon-objective MILP of ``ecoserve_opt.formulation`` for ``d`` (ModelData)."""
    from ecoserve_opt.data import NO_GPU
    from ecoserve_opt.data.keys import Point

    s = d.scenario
    if not s.pillars.shift_offline:
        raise NotImplementedError("reference covers shift_offline=True only")
    mx = Matrix()
    hn = s.host_needs
    dep: list[tuple[str, str, int, int]] = []
    for h, g in d.host_gpu:
        ys = d.owned_host_years.get(h, []) if d.hosts[h].owned else d.years
        for L in d.host_lifetimes[h]:
            dep.extend((h, g, L, y) for y in ys)
    # ---- fleet columns
    bg = {c: mx.var(("bg", *c), integer=True) for c in d.gpu_cohorts}
    bh = {c: mx.var(("bh", *c), integer=True) for c in d.host_cohorts}
    og = {
        (o, y): mx.var(("og", o, y), ub=float(d.owned_gpus[o]["count"]), integer=True)
        for o, ys in d.owned_gpu_years.items()
        for y in ys
    }
    oh = {
        (h, y): mx.var(("oh", h, y), ub=float(d.owned_host_count[h]), integer=True)
        for h, ys in d.owned_host_years.items()
        for y in ys
    }
    z = {k: mx.var(("z", *k), integer=True) for k in dep}
    on = {k: mx.var(("on", *k), ub=0.0 if k[1] == NO_GPU else INF) for k in dep}
    comp: dict[str, dict[Any, tuple[float, int]]] = {}
    for part in ("sockets", "dimms", "ssds"):
        comp[part] = {}
        for k in dep:
            lo, hi = getattr(d.hosts[k[0]], part)
            if lo < hi:
                j = mx.var((part, *k), integer=True)
                comp[part][k] = (1.0, j)
                mx.row([(j, 1.0), (z[k], -float(lo))], 0.0, INF)
                mx.row([(j, 1.0), (z[k], -float(hi))], -INF, 0.0)
            else:
                comp[part][k] = (float(hi), z[k])
    reuse = [k for k in dep if not d.hosts[k[0]].owned]
    rd = {k: mx.var(("rd", *k)) for k in reuse} if d.reused_dram_gb > 0 else {}
    rs = {k: mx.var(("rs", *k)) for k in reuse} if d.reused_ssd_tb > 0 else {}
    # host balance
    supply: dict[tuple[str, int, int], list[int]] = defaultdict(list)
    for c in d.host_cohorts:
        h, y0, L = c
        for y in d.years:
            if y0 <= y < y0 + L:
                supply[(h, L, y)].append(bh[c])
    deployed: dict[tuple[str, int, int], list[int]] = defaultdict(list)
    for k in dep:
        deployed[(k[0], k[2], k[3])].append(z[k])
    for (h, L, y), zs in sorted(deployed.items()):
        t = [(j, 1.0) for j in zs]
        t += [(oh[(h, y)], -1.0)] if d.hosts[h].owned else [(j, -1.0) for j in supply[(h, L, y)]]
        mx.row(t, 0.0, 0.0)
    mounted: dict[tuple[str, int], list[int]] = defaultdict(list)
    for k in dep:
        h, g, L, y = k
        if g != NO_GPU:
            mx.row([(on[k], 1.0), (z[k], -float(d.hosts[h].gpu_slots))], -INF, 0.0)
            mounted[(g, y)].append(on[k])
    gsup: dict[tuple[str, int], list[int]] = defaultdict(list)
    for c in d.gpu_cohorts:
        g, y0, L = c
        for y in d.years:
            if y0 <= y < y0 + L:
                gsup[(g, y)].append(bg[c])
    for (o, y), j in og.items():
        gsup[(str(d.owned_gpus[o]["gpu"]), y)].append(j)
    for gy, ons in mounted.items():
        mx.row([(j, 1.0) for j in ons] + [(j, -1.0) for j in gsup[gy]], -INF, 0.0)
    for k in dep:
        h, g, _L, _y = k
        it = d.hosts[h]
        mem = d.gpus[g].memory_gb if g != NO_GPU else 0.0
        c, j = comp["sockets"][k]
        mx.row(
            [(j, it.cores_per_socket * c), (on[k], -hn.cores_per_gpu), (z[k], -hn.cores_per_host)],
            0.0,
            INF,
        )
        c, j = comp["dimms"][k]
        t = [
            (j, it.dimm_gb * c),
            (on[k], -hn.dram_per_gpu_memory * mem),
            (z[k], -hn.dram_gb_per_host),
        ]
        mx.row(t + ([(rd[k], 1.0)] if k in rd else []), 0.0, INF)
        c, j = comp["ssds"][k]
        t = [(j, it.ssd_tb * c), (on[k], -hn.ssd_tb_per_gpu), (z[k], -hn.ssd_tb_per_host)]
        mx.row(t + ([(rs[k], 1.0)] if k in rs else []), 0.0, INF)
    for pool, cap in ((rd, d.reused_dram_gb), (rs, d.reused_ssd_tb)):
        for y in d.years:
            ks = [j for k, j in pool.items() if k[3] == y]
            if ks:
                mx.row([(j, 1.0) for j in ks], -INF, cap)
    # ---- serving
    nrep = {
        (r.llm, r.gpu, r.tp, p, r.precision, y): mx.var(("n", *r, p, y), integer=True)
        for r in d.replicas
        for p in d.pools
        for y in d.years
    }
    x: dict[tuple[Any, ...], int] = {}
    for k in d.points:
        if k in d.dominated:  # solver.prune: dominated operating points (data/hull.py)
            continue
        for y in d.years:
            for sl in d.slots:
                if k[4] == "offline" and d.offline_slot_hours.get((k[0], sl), 0.0) <= 0:
                    continue
                x[(*k, y, sl)] = mx.var(("x", *k, y, sl))
    xc = {
        (*k, y, sl): mx.var(("xc", *k, y, sl))
        for k in d.cpu_points
        for y in d.years
        for sl in d.slots
        if d.offline_slot_hours.get((k[0], sl), 0.0) > 0
    }
    by_rep: dict[tuple[Any, ...], list[tuple[int, float]]] = defaultdict(list)
    on_keys: dict[tuple[Any, ...], list[tuple[int, float]]] = defaultdict(list)
    off_keys: dict[tuple[Any, ...], list[tuple[int, float]]] = defaultdict(list)
    for key, j in x.items():
        l_, g, t, _b, c, q, y, sl = key
        pt = Point(*key[:6])
        f = d.capacity_factor(pt, y, sl)  # online headroom on capacity (1 offline)
        by_rep[(l_, g, t, d.class_pool[c], q, y, sl)].append((j, f / d.cap[pt]))
        (on_keys if c == "online" else off_keys)[(l_, y, sl)].append((j, 1.0))
    for (l_, g, t, p, q, y, _sl), terms in by_rep.items():
        mx.row([*terms, (nrep[(l_, g, t, p, q, y)], -1.0)], -INF, 0.0)
    for g in d.gpus:
        for y in d.years:
            t = [(j, float(k[2])) for k, j in nrep.items() if k[1] == g and k[5] == y]
            if t:
                mx.row(t + [(j, -1.0) for j in mounted.get((g, y), [])], -INF, 0.0)
    for (l_, y, sl), dem in d.online_demand.items():
        mx.row(on_keys[(l_, y, sl)], dem, INF)
    for key, j in xc.items():
        off_keys[(key[0], key[3], key[4])].append((j, 1.0))
    for (l_, y), dem in d.offline_demand.items():
        # a slot is credited only for its hours inside the window
        t = [
            (j, 3600.0 * d.offline_slot_hours.get((l_, sl), 0.0) * v)
            for sl in d.slots
            for j, v in off_keys.get((l_, y, sl), [])
        ]
        mx.row(t, dem, INF)
    by_hys: dict[tuple[str, int, int], list[tuple[Any, ...]]] = defaultdict(list)
    for key in xc:
        by_hys[(key[1], key[3], key[4])].append(key)
    dep_hy: dict[tuple[str, int], list[Any]] = defaultdict(list)
    for k in dep:
        dep_hy[(k[0], k[3])].append(k)
    for (h, y, _sl), keys in sorted(by_hys.items()):
        it = d.hosts[h]
        t = [(xc[k], 1.0 / d.cpu_cap[k[:3]]) for k in keys]
        t2 = [(xc[k], d.llm_weights_gb[k[0]] / d.cpu_cap[k[:3]]) for k in keys]
        for k in dep_hy[(h, y)]:
            c, j = comp["sockets"][k]
            t += [(j, -(1 - hn.cpu_reserved_fraction) * c)]
            t += [(on[k], hn.cores_per_gpu / it.cores_per_socket)]
            t += [(z[k], hn.cores_per_host / it.cores_per_socket)]
            mem = d.gpus[k[1]].memory_gb if k[1] != NO_GPU else 0.0
            c, j = comp["dimms"][k]
            t2 += [(j, -it.dimm_gb * c), (on[k], hn.dram_per_gpu_memory * mem)]
            t2 += [(z[k], hn.dram_gb_per_host)] + ([(rd[k], -1.0)] if k in rd else [])
        mx.row(t, -INF, 0.0)
        mx.row(t2, -INF, 0.0)
    # ---- power, carbon objective
    w = d.slot_weight()
    static: dict[int, list[tuple[int, float]]] = defaultdict(list)
    static_host: dict[Any, list[tuple[int, float]]] = {}
    for k in dep:
        h, g, _L, y = k
        it = d.hosts[h]
        st = static[y]
        n0 = len(st)
        st.append((z[k], it.base_kw))
        for part, kw in (("sockets", it.cpu_idle_kw), ("dimms", it.dimm_kw), ("ssds", it.ssd_kw)):
            c, j = comp[part][k]
            st.append((j, kw * c))
        if k in rd:
            st.append((rd[k], it.psu_factor * d.reused_dram_kw_per_gb))
        if k in rs:
            st.append((rs[k], it.psu_factor * d.reused_ssd_kw_per_tb))
        static_host[k] = st[n0:]
        if g != NO_GPU:
            st.append((on[k], it.psu_factor * d.gpus[g].idle_kw))
    dyn: dict[tuple[int, int], list[tuple[int, float]]] = defaultdict(list)
    # offline work runs only in the window hours of a slot: duty = window hours / slot hours
    for key, j in x.items():
        p = Point(*key[:6])
        duty = (
            d.offline_slot_hours.get((key[0], key[7]), 0.0) / d.slot_hours
            if key[4] == "offline"
            else 1.0
        )
        dyn[(key[6], key[7])].append(
            (
                j,
                duty
                * d.gpu_dyn_factor.get(key[1], 1.0)
                * key[2]
                * (d.gpu_power_kw[p] - d.gpus[key[1]].idle_kw)
                / d.cap[p],
            )
        )
    for key, j in xc.items():
        duty = d.offline_slot_hours.get((key[0], key[4]), 0.0) / d.slot_hours
        dyn[(key[3], key[4])].append((j, duty * d.cpu_dyn_kw[key[:3]] / d.cpu_cap[key[:3]]))
    for y in d.years:
        for sl in d.slots:
            pj = mx.var(("P", y, sl))
            mx.cost[pj] = w * d.pue * d.ci[(y, sl)]
            mx.row([*static[y], *dyn[(y, sl)], (pj, -1.0)], 0.0, 0.0)
    share = s.inventory.embodied_residual_share
    for c, j in bg.items():
        g, _y0, L = c
        n_years = len([y for y in d.years if c[1] <= y < c[1] + L])
        mx.cost[j] += d.cohort_overhead[("gpu", g, L)] * d.gpus[g].embodied_kg / L * n_years
    for (o, _y), j in og.items():
        gt = d.gpus[str(d.owned_gpus[o]["gpu"])]
        mx.cost[j] += share * gt.embodied_kg / gt.lifetime
    for k in dep:
        h, _g, L, _y = k
        it = d.hosts[h]
        fac = it.embodied_scale / it.lifetime if it.owned else d.cohort_overhead[("host", h, L)] / L
        mx.cost[z[k]] += fac * it.emb_base
        for part, kg in (
            ("sockets", it.emb_cpu),
            ("dimms", it.emb_dram_gb * it.dimm_gb),
            ("ssds", it.emb_ssd_tb * it.ssd_tb),
        ):
            c, j = comp[part][k]
            mx.cost[j] += fac * kg * c
    # Recycle, steady-state lifetime accounting: obsolescence charge of non-catalog lifetimes
    # (new hosts' static power, new GPUs' unit power, at each year's mean intensity)
    kg_per_kw = {y: sum(w * d.pue * d.ci[(y, sl)] for sl in d.slots) for y in d.years}
    for k in dep:
        h, _g, L, y = k
        share_h = 0.0 if d.hosts[h].owned else d.obsolescence.get(("host", h, L), 0.0)
        if share_h:
            for j, kw in static_host[k]:
                mx.cost[j] += share_h * kw * kg_per_kw[y]
    for c, j in bg.items():
        share_g = d.obsolescence.get(("gpu", c[0], c[2]), 0.0)
        if share_g:
            yrs = [y for y in d.years if c[1] <= y < c[1] + c[2]]
            mx.cost[j] += share_g * d.gpu_unit_kw[c[0]] * sum(kg_per_kw[y] for y in yrs)
    return mx


def measure(size_name: str, check: bool = False) -> dict[str, Any]:
    """Time data, assembly and hand-off of the reference; optionally check the LP optimum."""
    import highspy  # noqa: F401  (imported before timing)
    import scipy.sparse  # noqa: F401

    import ecoserve_opt as eo
    from ecoserve_opt.data import build_data

    with tempfile.TemporaryDirectory(prefix="ecoserve-ref-") as tmp:
        path = gen.write_scenario(gen.SIZES[size_name], Path(tmp))
        t0 = time.perf_counter()
        data = build_data(eo.load_scenario(path))
        t1 = time.perf_counter()
        mx = assemble(data)
        t2 = time.perf_counter()
        h = mx.to_highs()
        t3 = time.perf_counter()
        row: dict[str, Any] = {
            "size": size_name,
            "n_vars": len(mx.lb),
            "n_cons": len(mx.rlb),
            "nnz": len(mx.vals),
            "data_s": round(t1 - t0, 3),
            "assemble_s": round(t2 - t1, 3),
            "pass_s": round(t3 - t2, 3),
            "build_handoff_s": round(t3 - t1, 3),
        }
        del h
        if check:
            row.update(check_lp(mx, data))
    return row


def check_lp(mx: Matrix, data: Any) -> dict[str, float]:
    """LP-relaxation objectives of the reference and of the Pyomo model (carbon)."""
    import highspy
    import pyomo.environ as pyo
    from pyomo.contrib.solver.solvers.highs import Highs

    from ecoserve_opt.formulation import build_model
    from ecoserve_opt.formulation.objectives import objective_scale

    h = mx.to_highs(relax=True)
    h.run()
    ref = float(h.getInfo().objective_function_value)
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    m = build_model(data, objective="carbon")
    pyo.TransformationFactory("core.relax_integer_vars").apply_to(m)
    res = Highs().solve(m, load_solutions=False)
    # the model's objective is scaled for HiGHS's tolerances (formulation.objectives)
    pyomo_obj = float(res.incumbent_objective) / objective_scale(m)
    return {
        "lp_reference": ref,
        "lp_pyomo": pyomo_obj,
        "lp_rel_diff": abs(ref - pyomo_obj) / abs(pyomo_obj),
    }


def main(argv: list[str] | None = None) -> int:
    """CLI entry point (see the module docstring)."""
    ap = argparse.ArgumentParser(description="numpy -> highspy reference build")
    ap.add_argument("--size", default="M", choices=list(gen.SIZES))
    ap.add_argument("--check", action="store_true", help="compare LP optima with Pyomo")
    a = ap.parse_args(argv)
    print(json.dumps(measure(a.size, a.check), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
