r"""Serving block: replicas, load per operating point, demand, host-CPU offline serving.

Variables

* :math:`n_{lgtpy} \in \mathbb{Z}_+`: replicas of LLM :math:`l` on :math:`t` GPUs of type
  :math:`g` in pool :math:`p` (``shared``, or ``online``/``offline`` when classes do not share);
* :math:`x_{kys} \ge 0`: output tokens/s served at operating point
  :math:`k = (l,g,t,b,c)` in year :math:`y`, slot :math:`s` (offline only in its window);
* :math:`x^{cpu}_{lhbys} \ge 0`: offline tokens/s served by the CPUs of host item :math:`h`.

Constraints (:math:`\kappa_k` tokens/s of one replica at point :math:`k`,
:math:`\kappa^{cpu}` tokens/s of one socket)

.. math::

   \sum_{b,\,c:\,pool(c)=p} x_{lgtbc\,ys} / \kappa_{lgtbc} &\le n_{lgtpy}
       && \text{(time-sharing of a replica)}\\
   \sum_{g,l,t,p} t\, n_{lgtpy} &\le \sum_{hL} n^{on}_{hgLy}\\
   \sum_{g,t,b} x_{lgtb,on,ys} &\ge D^{on}_{lys}\\
   \sum_s \frac{h^{win}_{ls}}{24}
       \Big(\sum_{g,t,b} x_{lgtb,off,ys} + \sum_{h,b} x^{cpu}_{lhbys}\Big)
       &\ge \frac{D^{off}_{ly}}{86400}\\
   \sum_{l,b} x^{cpu}_{lhbys}/\kappa^{cpu}_{lhb} &\le (1-\phi)\sum_{gL} k_{hgLy}
       - \sum_{gL}\frac{c^{gpu} n^{on}_{hgLy} + c^{host} z_{hgLy}}{\mathrm{cores}_h}\\
   \sum_h c_{lhgy} &\ge \sum_{t,p} n_{lgtpy}, \qquad
   \sum_l (W_l + \tau\beta_l)\, c_{lhgy} \le \text{spare DRAM}_{hgy}\\
   \sum_l \Big(W_l\, u_{lhys} + \tau\beta_l \sum_g c_{lhgy}\Big) &\le \text{spare DRAM}_{hy},
   \quad u_{lhys} \ge \sum_b x^{cpu}_{lhbys}/\kappa^{cpu}_{lhb},\ u_{lhys} \ge \sum_g c_{lhgy}

:math:`c_{lhgy} \ge 0` are the staged weight copies of model :math:`l` (one per replica) held
by the hosts of item :math:`h` carrying GPU type :math:`g`; :math:`u_{lhys}` the copies of
:math:`W_l` on item :math:`h` in slot :math:`s`. A staged copy may serve CPU inference only
of the same model (hence the max); CPU inference of another model needs its own DRAM.

Without the *Rightsize* pillar one GPU type serves every model: binaries :math:`\pi_g`,
:math:`\sum_g \pi_g = 1` and :math:`n_{lgtpy} \le (\bar n_{lgtpy}\,\sigma + 1)\, \pi_g`
(:math:`\sigma` the demand scale), where :math:`\bar n` replicas serve the whole peak
demand of :math:`l` at its lowest-capacity point on :math:`(g, t)`: more replicas than that
never help, so the bound cuts no optimum. The TP degree per model stays free.

Offline rates are the rate *while running*, during the :math:`h^{win}_{ls}` hours of slot
:math:`s` inside the window (a slot only partly inside the window is credited for its
overlap only). Without the *shift_offline* pillar the offline rate in every window slot is
fixed to the uniform :math:`D^{off}/(3600 \cdot \text{window hours})`. The online demand
of a slot is the peak hour within it.
"""

from __future__ import annotations

import pyomo.environ as pyo

from ecoserve_opt.data import NO_GPU, ModelData
from ecoserve_opt.formulation._linear import Terms


def add_serving(m: pyo.ConcreteModel, d: ModelData, slack: bool = False) -> None:
    """Add the serving block (see module docstring) to ``m``.

    With ``slack=True`` every demand constraint gets a non-negative unmet-demand variable
    (``unmet_online``, ``unmet_offline``) so the model is always feasible; the objective then
    penalises unmet tokens (diagnostics' slack mode).
    """
    m.demand_scale = pyo.Param(initialize=1.0, mutable=True, within=pyo.NonNegativeReals)
    m.n_rep = pyo.Var(m.R, m.Y, domain=pyo.NonNegativeIntegers)
    xkeys = []
    for k in d.points:
        for y in d.years:
            for s in d.slots:
                if k[4] == "offline" and d.offline_slot_hours.get((k[0], s), 0.0) <= 0:
                    continue
                xkeys.append((*k, y, s))
    m.XK = pyo.Set(initialize=xkeys, dimen=7, ordered=True)
    m.x = pyo.Var(m.XK, domain=pyo.NonNegativeReals)
    ckeys = []
    for kc in d.cpu_points:
        for y in d.years:
            for s in d.slots:
                if d.offline_slot_hours.get((kc[0], s), 0.0) > 0:
                    ckeys.append((*kc, y, s))
    m.XC = pyo.Set(initialize=ckeys, dimen=5, ordered=True)
    m.xc = pyo.Var(m.XC, domain=pyo.NonNegativeReals)

    by_rep: dict[tuple[str, str, int, str, int, int], list] = {}
    for key in m.XK:
        l_, g, t, _b, c, y, s = key
        by_rep.setdefault((l_, g, t, d.class_pool[c], y, s), []).append(key)

    def rep_cap(_m: pyo.ConcreteModel, l_: str, g: str, t: int, p: str, y: int, s: int) -> object:
        keys = by_rep.get((l_, g, t, p, y, s))
        if not keys:
            return pyo.Constraint.Skip
        t_ = Terms().extend((1.0 / d.cap[k[:5]], m.x[k]) for k in keys)
        return t_.expr((-1.0, m.n_rep[l_, g, t, p, y])) <= 0.0

    m.replica_capacity = pyo.Constraint(m.R, m.Y, m.S, rule=rep_cap)
    if d.one_gpu_type:
        _add_one_gpu_type(m, d)

    reps_of_gpu: dict[str, list[tuple[str, str, int, str]]] = {}
    for r in m.R:
        reps_of_gpu.setdefault(r[1], []).append(r)

    def gpus_used(_m: pyo.ConcreteModel, g: str, y: int) -> object:
        reps = reps_of_gpu.get(g)
        if not reps:
            return pyo.Constraint.Skip
        used = Terms().extend((float(r[2]), m.n_rep[(*r, y)]) for r in reps)
        mounted = m.mounted_terms.get((g, y))
        if mounted is not None:
            used.add_terms(mounted, scale=-1.0)
        return used.expr() <= 0.0

    m.gpus_for_replicas = pyo.Constraint(m.G, m.Y, rule=gpus_used)

    on_keys: dict[tuple[str, int, int], list] = {}
    off_keys: dict[tuple[str, int, int], list] = {}
    for key in m.XK:
        (on_keys if key[4] == "online" else off_keys).setdefault(
            (key[0], key[5], key[6]), []
        ).append(key)
    cpu_keys: dict[tuple[str, int, int], list] = {}
    for key in m.XC:
        cpu_keys.setdefault((key[0], key[3], key[4]), []).append(key)

    on_idx = sorted(d.online_demand)

    m.unmet_online = pyo.Var(on_idx if slack else [], domain=pyo.NonNegativeReals)
    m.unmet_offline = pyo.Var(
        sorted(d.offline_demand) if slack else [], domain=pyo.NonNegativeReals
    )

    def online(_m: pyo.ConcreteModel, l_: str, y: int, s: int) -> object:
        t_ = Terms().extend((1.0, m.x[k]) for k in on_keys.get((l_, y, s), []))
        if slack:
            t_.add(1.0, m.unmet_online[l_, y, s])
        if not len(t_):
            # no configuration can serve this demand: keep the model (and this fact) visible
            return (
                pyo.Constraint.Infeasible
                if d.online_demand[(l_, y, s)] > 0
                else (pyo.Constraint.Skip)
            )
        return t_.expr() >= d.online_demand[(l_, y, s)] * m.demand_scale

    m.online_demand = pyo.Constraint(on_idx, rule=online)

    def off_rate(l_: str, y: int, s: int) -> Terms:
        t_ = Terms().extend((1.0, m.x[k]) for k in off_keys.get((l_, y, s), []))
        return t_.extend((1.0, m.xc[k]) for k in cpu_keys.get((l_, y, s), []))

    # offline rate terms, shared by the demand and flat-rate rows (the ``offline_rate``
    # Expression stays for reading results but is not walked inside constraints)
    rate_terms = {(l_, y, s): off_rate(l_, y, s) for (l_, y) in d.offline_demand for s in d.slots}
    m.offline_rate = pyo.Expression(
        list(rate_terms), rule=lambda _m, l_, y, s: rate_terms[(l_, y, s)].expr()
    )

    def offline(_m: pyo.ConcreteModel, l_: str, y: int) -> object:
        # daily volume as an average rate (tokens/s) keeps coefficients and RHS near 1;
        # a slot is credited only for its hours inside the window (rate x overlap hours)
        t_ = Terms()
        for s in d.slots:
            hours_in = d.offline_slot_hours.get((l_, s), 0.0)
            if hours_in > 0:
                t_.add_terms(rate_terms[(l_, y, s)], scale=hours_in / 24.0)
        if slack:
            t_.add(1.0, m.unmet_offline[l_, y])
        if not len(t_):
            return (
                pyo.Constraint.Infeasible
                if d.offline_demand[(l_, y)] > 0
                else (pyo.Constraint.Skip)
            )
        return t_.expr() >= d.offline_demand[(l_, y)] / 86400.0 * m.demand_scale

    m.offline_demand = pyo.Constraint(sorted(d.offline_demand), rule=offline)

    if not d.scenario.pillars.shift_offline:
        win_total = {
            l_: sum(d.offline_slot_hours.get((l_, s), 0.0) for s in d.slots)
            for (l_, _y) in d.offline_demand
        }

        def flat(_m: pyo.ConcreteModel, l_: str, y: int, s: int) -> object:
            rate = d.offline_demand[(l_, y)] / (3600.0 * win_total[l_])
            return rate_terms[(l_, y, s)].expr() == rate * m.demand_scale

        m.offline_flat = pyo.Constraint(
            [
                (l_, y, s)
                for (l_, y) in d.offline_demand
                for s in d.slots
                if d.offline_slot_hours.get((l_, s), 0.0) > 0
            ],
            rule=flat,
        )

    def part(name: str, k: tuple, coef: float) -> tuple[float, object]:
        """``coef * component``: its variable, or ``hi * z`` when the count is fixed."""
        lo, hi = getattr(d.hosts[k[0]], name)
        return (coef, getattr(m, f"{name}_var")[k]) if lo < hi else (coef * hi, m.z[k])

    # model-derived host needs (Reduce lower bounds) per GPU type and year:
    # DRAM for staged weights and offloaded KV cache, SSD for checkpoints of each replica
    hn = d.scenario.host_needs
    dram_need = {
        l_: (d.llm_weights_gb[l_] if hn.stage_weights else 0.0)
        + hn.kv_offload_tokens * d.llm_kv_bytes[l_] / 1e9
        for l_ in d.llms
    }
    ssd_need = {l_: hn.checkpoint_copies * d.llm_weights_gb[l_] / 1e3 for l_ in d.llms}
    deps_by_gy: dict[tuple[str, int], list] = {}
    for k in m.D:
        deps_by_gy.setdefault((k[1], k[3]), []).append(k)

    def model_needs(kind: str) -> pyo.Constraint:
        need = dram_need if kind == "dram" else ssd_need

        def rule(_m: pyo.ConcreteModel, g: str, y: int) -> object:
            reps = [r for r in m.R if r[1] == g and need[r[0]] > 0]
            deps = deps_by_gy.get((g, y), [])
            if not reps or not deps:
                return pyo.Constraint.Skip
            mem = d.gpus[g].memory_gb
            spare = 0.0
            for k in deps:
                it = d.hosts[k[0]]
                if kind == "dram":
                    spare += (
                        it.dimm_gb * m.dimms[k]
                        + m.reused_dram_of(*k)
                        - hn.dram_per_gpu_memory * mem * m.gpus_on[k]
                        - hn.dram_gb_per_host * m.z[k]
                    )
                else:
                    spare += (
                        it.ssd_tb * m.ssds[k]
                        + m.reused_ssd_of(*k)
                        - hn.ssd_tb_per_gpu * m.gpus_on[k]
                        - hn.ssd_tb_per_host * m.z[k]
                    )
            return sum(need[r[0]] * m.n_rep[(*r, y)] for r in reps) <= spare

        return pyo.Constraint(m.G, m.Y, rule=rule)

    m.host_ssd_models = model_needs("ssd")

    # DRAM for staged weights / offloaded KV cache: copies of model l staged on the hosts of
    # item h carrying GPU type g (continuous split of each replica's copy over those hosts),
    # so that host-CPU serving on item h sees the DRAM they already take (cpu_memory below)
    spare_dram = {
        k: Terms().extend(
            (
                part("dimms", k, d.hosts[k[0]].dimm_gb),
                (-hn.dram_per_gpu_memory * d.gpus[k[1]].memory_gb, m.gpus_on[k]),
                (-hn.dram_gb_per_host, m.z[k]),
            )
        )
        for k in m.D
        if k[1] != NO_GPU
    }
    for k, t in spare_dram.items():
        if k in m.reused_dram:
            t.add(1.0, m.reused_dram[k])
    hgy = sorted({(k[0], k[1], k[3]) for k in spare_dram})
    llms_on_g: dict[str, set[str]] = {}
    for r in m.R:
        if dram_need[r[0]] > 0:
            llms_on_g.setdefault(r[1], set()).add(r[0])
    ckeys_st = [(l_, h, g, y) for (h, g, y) in hgy for l_ in sorted(llms_on_g.get(g, ()))]
    m.STAGED = pyo.Set(initialize=ckeys_st, dimen=4, ordered=True)
    m.staged = pyo.Var(m.STAGED, domain=pyo.NonNegativeReals)
    staged_by_lgy: dict[tuple[str, str, int], list] = {}
    staged_by_hgy: dict[tuple[str, str, int], list] = {}
    staged_by_hy: dict[tuple[str, int], list] = {}
    for c in m.STAGED:
        staged_by_lgy.setdefault((c[0], c[2], c[3]), []).append(c)
        staged_by_hgy.setdefault((c[1], c[2], c[3]), []).append(c)
        staged_by_hy.setdefault((c[1], c[3]), []).append(c)
    reps_by_lgy: dict[tuple[str, str, int], list] = {}
    for r in m.R:
        if dram_need[r[0]] > 0:
            for y in d.years:
                reps_by_lgy.setdefault((r[0], r[1], y), []).append((*r, y))

    def staged_copies(_m: pyo.ConcreteModel, l_: str, g: str, y: int) -> object:
        t_ = Terms().extend((1.0, m.staged[c]) for c in staged_by_lgy.get((l_, g, y), []))
        t_.extend((-1.0, m.n_rep[r]) for r in reps_by_lgy[(l_, g, y)])
        return t_.expr() >= 0.0

    m.staged_copies = pyo.Constraint(sorted(reps_by_lgy), rule=staged_copies)
    deps_by_hgy: dict[tuple[str, str, int], list] = {}
    for k in spare_dram:
        deps_by_hgy.setdefault((k[0], k[1], k[3]), []).append(k)

    def dram_models(_m: pyo.ConcreteModel, h: str, g: str, y: int) -> object:
        cs = staged_by_hgy.get((h, g, y))
        if not cs:
            return pyo.Constraint.Skip
        t_ = Terms().extend((dram_need[c[0]], m.staged[c]) for c in cs)
        for k in deps_by_hgy[(h, g, y)]:
            t_.add_terms(spare_dram[k], scale=-1.0)
        return t_.expr() <= 0.0

    m.host_dram_models = pyo.Constraint(hgy, rule=dram_models)

    # host-CPU offline serving
    by_hys: dict[tuple[str, int, int], list] = {}
    for key in m.XC:
        by_hys.setdefault((key[1], key[3], key[4]), []).append(key)

    dep_by_hy: dict[tuple[str, int], list] = {}
    for k in m.D:
        dep_by_hy.setdefault((k[0], k[3]), []).append(k)

    def cpu_cap(_m: pyo.ConcreteModel, h: str, y: int, s: int) -> object:
        keys = by_hys.get((h, y, s))
        if not keys:
            return pyo.Constraint.Skip
        it = d.hosts[h]
        t_ = Terms().extend((1.0 / d.cpu_cap[k[:3]], m.xc[k]) for k in keys)
        for k in dep_by_hy.get((h, y), []):
            t_.add(*part("sockets", k, -(1 - hn.cpu_reserved_fraction)))
            t_.add(hn.cores_per_gpu / it.cores_per_socket, m.gpus_on[k])
            t_.add(hn.cores_per_host / it.cores_per_socket, m.z[k])
        return t_.expr() <= 0.0

    # CPU inference of model l on host item h holds W_l per busy socket; a copy of W_l staged
    # on h for GPU replicas of the same model l may serve it (never one of another model):
    # DRAM of l on h = W_l max(busy sockets, staged copies) + KV offload of the staged copies
    share_staged = hn.stage_weights
    cpu_llms: dict[tuple[str, int, int], dict[str, list]] = {}
    for key in m.XC:
        cpu_llms.setdefault((key[1], key[3], key[4]), {}).setdefault(key[0], []).append(key)
    ukeys = [
        (l_, h, y, s)
        for (h, y, s), per in sorted(cpu_llms.items())
        for l_ in sorted(per)
        if share_staged and any(c[0] == l_ for c in staged_by_hy.get((h, y), []))
    ]
    m.cpu_weight_copies = pyo.Var(ukeys, domain=pyo.NonNegativeReals)

    def copies_busy(_m: pyo.ConcreteModel, l_: str, h: str, y: int, s: int) -> object:
        t_ = Terms().extend((1.0 / d.cpu_cap[k[:3]], m.xc[k]) for k in cpu_llms[(h, y, s)][l_])
        return t_.expr((-1.0, m.cpu_weight_copies[l_, h, y, s])) <= 0.0

    def copies_staged(_m: pyo.ConcreteModel, l_: str, h: str, y: int, s: int) -> object:
        t_ = Terms().extend((1.0, m.staged[c]) for c in staged_by_hy.get((h, y), []) if c[0] == l_)
        return t_.expr((-1.0, m.cpu_weight_copies[l_, h, y, s])) <= 0.0

    m.cpu_copies_busy = pyo.Constraint(ukeys, rule=copies_busy)
    m.cpu_copies_staged = pyo.Constraint(ukeys, rule=copies_staged)
    uset = set(ukeys)
    shared_at: dict[tuple[str, int, int], set[str]] = {}
    for u in ukeys:
        shared_at.setdefault(u[1:], set()).add(u[0])

    def cpu_mem(_m: pyo.ConcreteModel, h: str, y: int, s: int) -> object:
        keys = by_hys.get((h, y, s))
        if not keys:
            return pyo.Constraint.Skip
        it = d.hosts[h]
        t_ = Terms()
        for l_, lkeys in cpu_llms[(h, y, s)].items():
            w_l = d.llm_weights_gb[l_]
            if (l_, h, y, s) in uset:
                t_.add(w_l, m.cpu_weight_copies[l_, h, y, s])
            else:
                t_.extend((w_l / d.cpu_cap[k[:3]], m.xc[k]) for k in lkeys)
        shared = shared_at.get((h, y, s), set())
        for c in staged_by_hy.get((h, y), []):
            # the staged copy itself (weights part) is counted in cpu_weight_copies when it
            # is shared; its KV-offload part, and unshared copies, are counted here
            own = dram_need[c[0]] - (d.llm_weights_gb[c[0]] if c[0] in shared else 0.0)
            t_.add(own, m.staged[c])
        for k in dep_by_hy.get((h, y), []):
            g = k[1]
            mem = d.gpus[g].memory_gb if g != NO_GPU else 0.0
            t_.add(*part("dimms", k, -it.dimm_gb))
            if k in m.reused_dram:
                t_.add(-1.0, m.reused_dram[k])
            t_.add(hn.dram_per_gpu_memory * mem, m.gpus_on[k])
            t_.add(hn.dram_gb_per_host, m.z[k])
        return t_.expr() <= 0.0

    hys = sorted(by_hys)
    m.cpu_capacity = pyo.Constraint(hys, rule=cpu_cap)
    m.cpu_memory = pyo.Constraint(hys, rule=cpu_mem)


def _add_one_gpu_type(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Rightsize off: one GPU type (chosen by the objective) for all models.

    ``sum_g pick_g <= 1``: at most one type is picked (none where no GPU replica type is
    valid, e.g. demand that only CPU sockets can serve; with ``== 1`` such a model was
    rejected by Pyomo as a trivially false constraint).
    """
    min_cap: dict[tuple[str, str, int, str], float] = {}
    for k in d.points:
        key = (k[0], k[1], k[2], k[4])
        min_cap[key] = min(d.cap[k], min_cap.get(key, float("inf")))
    types = sorted({r[1] for r in m.R})
    m.gpu_pick = pyo.Var(types, domain=pyo.Binary)
    m.one_gpu_type = pyo.Constraint(
        expr=sum(m.gpu_pick[g] for g in types) <= 1 if types else pyo.Constraint.Skip
    )

    def bound(l_: str, g: str, t: int, p: str, y: int) -> float:
        """Replicas that serve all of ``l_``'s demand at its lowest-capacity point."""
        n = 0.0
        for c in ("online", "offline"):
            if d.class_pool[c] != p or (l_, g, t, c) not in min_cap:
                continue
            if c == "online":
                peak = max(
                    (v for (l2, y2, _s), v in d.online_demand.items() if l2 == l_ and y2 == y),
                    default=0.0,
                )
            else:
                # all of a day's volume in the slot with the fewest window hours is the
                # highest useful rate (offline work is credited only for its window hours)
                hours = [h for (l2, _s), h in d.offline_slot_hours.items() if l2 == l_ and h > 0]
                peak = d.offline_demand.get((l_, y), 0.0) / (3600.0 * min(hours, default=1.0))
            n += peak / min_cap[(l_, g, t, c)]
        return n

    def link(_m: pyo.ConcreteModel, l_: str, g: str, t: int, p: str, y: int) -> object:
        n = bound(l_, g, t, p, y)
        return m.n_rep[l_, g, t, p, y] <= (n * m.demand_scale + 1.0) * m.gpu_pick[g]

    m.one_gpu_type_link = pyo.Constraint(m.R, m.Y, rule=link)
