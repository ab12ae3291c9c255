r"""Exact upper bounds on the integer fleet variables, from the demand (no Pyomo).

HiGHS spends most of its root time on general integers without an upper bound (its root
reduced-cost fixing enumerates up to 1,024 values of every such column, each against a
growing table, in every separation round: 87 % of the CPU time of the paper scenario). The
bounds here are *exact*: every feasible fleet can be turned into one within them that is
feasible and no worse on any metric (carbon, energy, cost, latency, GPU-hours, hence every
objective and cap), so the optimum is unchanged. The argument, step by step, is in
docs/formulation.md ("Exact integer bounds"); in short:

1. served rates never exceed the demand (trim them; every metric is non-decreasing in a
   rate), so a replica type needs at most :math:`a = \max_s \sum_c R_{c} \max_b f/\kappa`
   replicas, :math:`n \le \sigma a + 1` (:math:`\sigma` the demand scale);
2. GPUs beyond the replicas' are never mounted nor bought: :math:`G_{gy} = \sum t\,(\sigma a
   + 1)` bounds the mounted GPUs and every GPU cohort;
3. a host of a GPU group that its group's GPU slots, staged weights and checkpoints do not
   need can be moved, with a minimal share of its components, to the ``none`` group of the
   same item, lifetime class and year (same cost): GPU groups are bounded by
   :func:`gpu_host_terms`;
4. a host of the ``none`` group that host-CPU serving does not need (capacity and memory)
   can be removed; a cohort larger than what every year of its life can use can lose a host
   (:func:`spare_host_terms`), which bounds ``buy_host``.

Each bound is affine in the demand scale :math:`\sigma` (a mutable model parameter), stored
as an :class:`Affine` (or the maximum of several), so sweeps over ``demand_scale`` stay
exact without a rebuild.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ecoserve_opt.data.model import NO_GPU, ModelData


@dataclass(frozen=True)
class Affine:
    """``slope * sigma + const`` (sigma = the demand scale)."""

    slope: float
    const: float

    def __add__(self, other: Affine) -> Affine:
        return Affine(self.slope + other.slope, self.const + other.const)

    def scale(self, k: float) -> Affine:
        """``k`` times this bound."""
        return Affine(k * self.slope, k * self.const)

    def at(self, sigma: float) -> float:
        """The bound at demand scale ``sigma``."""
        return self.slope * sigma + self.const


ZERO = Affine(0.0, 0.0)

#: A bound that is the maximum of affine pieces (an empty list is no bound).
MaxAffine = list[Affine]


@dataclass(frozen=True)
class IntegerBounds:
    """Upper bounds on the integer variables (keys as the model's index tuples)."""

    #: replicas ``n_rep`` per (llm, gpu, tp, pool, precision, year)
    replicas: dict[tuple[str, str, int, str, str, int], Affine] = field(default_factory=dict)
    #: GPUs of a type useful in a year (mounted, and every cohort alive then)
    gpus: dict[tuple[str, int], Affine] = field(default_factory=dict)
    #: hosts of one GPU group (item, gpu, any lifetime class) per (item, gpu, year)
    gpu_hosts: dict[tuple[str, str, int], MaxAffine] = field(default_factory=dict)
    #: hosts of a new item a year can use: the sum of its GPU groups' bounds plus the
    #: ``none`` group's (host-CPU serving); per (item, year), as a list of MaxAffine terms
    item_hosts: dict[tuple[str, int], list[MaxAffine]] = field(default_factory=dict)


def replica_host_needs(d: ModelData) -> tuple[dict[str, float], dict[str, float]]:
    """Host DRAM (GB: staged weights and offloaded KV cache) and SSD (TB: checkpoints) that
    one replica of each LLM needs (``host_needs``, formulation/staging.py)."""
    hn = d.scenario.host_needs
    dram = {
        l_: (d.llm_weights_gb[l_] if hn.stage_weights else 0.0)
        + hn.kv_offload_tokens * d.llm_kv_bytes[l_] / 1e9
        for l_ in d.llms
    }
    ssd = {l_: hn.checkpoint_copies * d.llm_weights_gb[l_] / 1e3 for l_ in d.llms}
    return dram, ssd


def offline_peak_rate(d: ModelData, llm: str, year: int, slot: int) -> float:
    """Highest useful offline rate (tokens/s while running) of ``llm`` in a slot at demand
    scale 1: all of the day's volume in that slot's window hours (0 outside the window)."""
    hours = d.offline_slot_hours.get((llm, slot), 0.0)
    if hours <= 0:
        return 0.0
    return d.offline_demand.get((llm, year), 0.0) / (3600.0 * hours)


def replica_bounds(d: ModelData) -> dict[tuple[str, str, int, str, str, int], Affine]:
    r"""``n_rep`` bound per (llm, gpu, tp, pool, precision, year): :math:`\sigma a + 1` with
    :math:`a = \max_s \sum_{c \in p} R_{lcys} \max_b f_{kys}/\kappa_k` (online :math:`R` the
    slot's peak demand, offline all of the day's volume in the slot's window hours), the
    maximum over the points that are not dominated (``d.dominated``, data/hull.py: a
    solution serving a dominated point maps to one serving kept points instead, with no more
    replica time, so the bound holds with or without them in the model); none for the
    dominated replica types (``d.dominated_replicas``: not in a pruned model, and a plain
    model has an optimum without them)."""
    worst: dict[tuple[str, str, int, str, str, int, int, str], float] = {}
    for k in d.points:
        if k in d.dominated:  # never needed: a combination of kept points serves as well
            continue
        l_, g, t, c, q = k.llm, k.gpu, k.tp, k.cls, k.precision
        p = d.class_pool[c]
        for y in d.years:
            for s in d.slots:
                if c == "online":
                    rate = d.online_demand.get((l_, y, s), 0.0)
                else:
                    rate = offline_peak_rate(d, l_, y, s)
                key = (l_, g, t, p, q, y, s, c)
                per = d.capacity_factor(k, y, s) / d.cap[k]
                worst[key] = max(worst.get(key, 0.0), rate * per)
    need: dict[tuple[str, str, int, str, str, int, int], float] = {}
    for (l_, g, t, p, q, y, s, _c), v in worst.items():
        need[(l_, g, t, p, q, y, s)] = need.get((l_, g, t, p, q, y, s), 0.0) + v
    a: dict[tuple[str, str, int, str, str, int], float] = {}
    for (l_, g, t, p, q, y, _s), v in need.items():
        a[(l_, g, t, p, q, y)] = max(a.get((l_, g, t, p, q, y), 0.0), v)
    return {
        (r.llm, r.gpu, r.tp, p, r.precision, y): Affine(
            a.get((r.llm, r.gpu, r.tp, p, r.precision, y), 0.0), 1.0
        )
        for r in d.replicas
        if r not in d.dominated_replicas  # not in a pruned model, never needed in a plain one
        for p in d.pools
        for y in d.years
    }


def gpu_host_terms(
    d: ModelData,
    h: str,
    g: str,
    gpus: Affine,
    staged_gb: Affine,
    checkpoint_tb: Affine,
) -> MaxAffine:
    r"""Bound on the hosts of item ``h`` carrying GPU type ``g`` in one lifetime class and
    year (empty when the move argument does not apply to this pairing).

    A host of the group can move to the ``none`` group with a minimal share of the
    components (at least the minimal SKU, the rest staying within the group's maximum)
    unless the group then lacks GPU slots (:math:`z \le \lceil G/\mathrm{slots}\rceil`),
    DRAM for the staged weights (:math:`z < D/\delta_D + 1`) or SSD for the checkpoints
    (:math:`z < C/\delta_S + 1`), with :math:`\delta_D = \underline m\,\mathrm{dimm} - M^{host}
    - \rho\,\mathrm{mem}_g\,\mathrm{slots}` and :math:`\delta_S = \underline q\,\mathrm{ssd}
    - s^{host} - s^{gpu}\mathrm{slots}` (the spare a minimal host keeps per host). Valid
    when a minimal host covers a full complement of GPUs' cores, DRAM and SSD needs.
    """
    hn = d.scenario.host_needs
    it = d.hosts[h]
    slots = it.gpu_slots
    mem = d.gpus[g].memory_gb
    lo_k, lo_m, lo_q = it.sockets[0], it.dimms[0], it.ssds[0]
    if slots <= 0 or it.owned:
        return []
    if hn.cores_per_gpu * slots + hn.cores_per_host > lo_k * it.cores_per_socket:
        return []
    delta_d = lo_m * it.dimm_gb - hn.dram_gb_per_host - hn.dram_per_gpu_memory * mem * slots
    delta_s = lo_q * it.ssd_tb - hn.ssd_tb_per_host - hn.ssd_tb_per_gpu * slots
    if delta_d < 0 or delta_s < 0:
        return []
    terms = [Affine(gpus.slope / slots, gpus.const / slots + 1.0)]
    for need, delta in ((staged_gb, delta_d), (checkpoint_tb, delta_s)):
        if need.slope == 0 and need.const == 0:
            continue
        if delta <= 0:
            return []
        terms.append(Affine(need.slope / delta, need.const / delta + 1.0))
    return terms


def spare_host_terms(
    d: ModelData,
    h: str,
    y: int,
    gpus_on_h: Affine,
    replicas_on_h: dict[str, Affine],
) -> MaxAffine | None:
    r"""Bound on the hosts of item ``h`` in its ``none`` group (one lifetime class, year
    ``y``): ``[ZERO]`` when the item has no host-CPU serving (such hosts can always be
    removed), ``None`` when the argument does not apply, else the larger of

    * capacity: :math:`z < (B + c^{gpu} G_h/\mathrm{cores} + (1-\phi)\overline k)
      / ((1-\phi)\underline k - c^{host}/\mathrm{cores})`, :math:`B` the busiest slot's
      sockets of CPU serving, :math:`G_h` the GPUs the item's GPU groups can carry;
    * memory: :math:`z < (W + \mathrm{dimm}\,\overline m - M^{host})
      / (\mathrm{dimm}\,\underline m - M^{host})`, :math:`W` the DRAM CPU serving and the
      staged copies on the item can take.
    """
    hn = d.scenario.host_needs
    it = d.hosts[h]
    points = [p for p in d.cpu_points if p[1] == h]
    if not points:
        return [ZERO]
    free = 1.0 - hn.cpu_reserved_fraction
    per_host_cap = free * it.sockets[0] - hn.cores_per_host / it.cores_per_socket
    per_host_mem = it.dimm_gb * it.dimms[0] - hn.dram_gb_per_host
    if per_host_cap <= 0 or per_host_mem <= 0:
        return None
    dram_need, _ssd = replica_host_needs(d)
    busy_l: dict[str, float] = {}
    busy_slot: dict[int, float] = {}
    for s in d.slots:
        for l_ in d.llms:
            per = max((1.0 / d.cpu_cap[p] for p in points if p[0] == l_), default=0.0)
            b = offline_peak_rate(d, l_, y, s) * per
            busy_l[l_] = max(busy_l.get(l_, 0.0), b)
            busy_slot[s] = busy_slot.get(s, 0.0) + b
    busy = max(busy_slot.values(), default=0.0)
    cap = Affine(busy, 0.0) + gpus_on_h.scale(hn.cores_per_gpu / it.cores_per_socket)
    cap = cap + Affine(0.0, free * it.sockets[1])
    mem = Affine(0.0, it.dimm_gb * it.dimms[1] - hn.dram_gb_per_host)
    for l_ in d.llms:
        reps = replicas_on_h.get(l_, ZERO)
        w = d.llm_weights_gb[l_]
        mem = mem + Affine(w * busy_l.get(l_, 0.0), 0.0) + reps.scale(w + dram_need[l_])
    return [cap.scale(1.0 / per_host_cap), mem.scale(1.0 / per_host_mem)]


def integer_bounds(d: ModelData) -> IntegerBounds:
    """Exact upper bounds on the integer fleet variables of ``d`` (module docstring).

    With phase pools (``split_phases``) only the replica bounds are given (the pools' GPUs
    are not bounded here, so neither are GPUs nor hosts).
    """
    reps = replica_bounds(d)
    if d.phase_points:
        return IntegerBounds(replicas=reps)
    dram_need, ssd_need = replica_host_needs(d)
    gpus: dict[tuple[str, int], Affine] = {}
    staged: dict[tuple[str, int], Affine] = {}
    ckpt: dict[tuple[str, int], Affine] = {}
    per_llm: dict[tuple[str, str, int], Affine] = {}
    for (l_, g, t, _p, _q, y), b in reps.items():
        gpus[(g, y)] = gpus.get((g, y), ZERO) + b.scale(t)
        staged[(g, y)] = staged.get((g, y), ZERO) + b.scale(dram_need[l_])
        ckpt[(g, y)] = ckpt.get((g, y), ZERO) + b.scale(ssd_need[l_])
        per_llm[(l_, g, y)] = per_llm.get((l_, g, y), ZERO) + b
    gpu_hosts: dict[tuple[str, str, int], MaxAffine] = {}
    item_hosts: dict[tuple[str, int], list[MaxAffine]] = {}
    by_host: dict[str, list[str]] = {}
    for h, g in d.host_gpu:
        if g != NO_GPU:
            by_host.setdefault(h, []).append(g)
    for h, it in d.hosts.items():
        if it.owned:
            continue
        for y in d.years:
            terms: list[MaxAffine] = []
            g_on_h = ZERO
            reps_on_h: dict[str, Affine] = {}
            complete = True
            for g in by_host.get(h, []):
                gy = (g, y)
                g_terms = gpu_host_terms(
                    d, h, g, gpus.get(gy, ZERO), staged.get(gy, ZERO), ckpt.get(gy, ZERO)
                )
                if not g_terms:
                    complete = False
                    continue
                gpu_hosts[(h, g, y)] = g_terms
                terms.append(g_terms)
                g_on_h = g_on_h + gpus.get(gy, ZERO)
                for l_ in d.llms:
                    if (l_, g, y) in per_llm:
                        reps_on_h[l_] = reps_on_h.get(l_, ZERO) + per_llm[(l_, g, y)]
            spare = spare_host_terms(d, h, y, g_on_h, reps_on_h)
            if complete and spare is not None:
                item_hosts[(h, y)] = [*terms, spare]
    return IntegerBounds(replicas=reps, gpus=gpus, gpu_hosts=gpu_hosts, item_hosts=item_hosts)
