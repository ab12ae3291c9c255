r"""Event-driven replay of one LLM's requests on its replicas (no I/O, no Pyomo).

One heap of per-replica "block ends" plus two sorted streams (online arrivals, offline
releases) drive the simulation. A replica runs one *block* at a time:

* a **prefill** of the ``j`` requests it has just admitted, lasting the profile's TTFT at batch
  ``j`` and their mean prompt length; it produces each request's first token;
* a **decode** run of ``n`` identical iterations with the ``k`` running sequences, each lasting
  the profile's TPOT at batch ``k`` and their mean prompt length; ``n`` is the number of
  iterations until the next sequence finishes, so a block ends exactly at a completion.

An online arrival at a replica that is decoding and has a free slot (or offline work it can
preempt) cuts the decode block at the next iteration boundary, as a continuous-batching
server (vLLM, Orca) admits new requests between iterations. Prefill is not chunked: it pauses
decoding of the running sequences. Admission is limited by the batch cap (the operating point
the MILP chose) and by the KV-cache budget (each admitted request reserves
``input + output`` tokens of KV). Offline requests fill free slots when no online request
waits; an online request that finds no room preempts the most recently admitted offline
sequence, which goes back to the front of the offline backlog keeping its generated tokens
and its KV cache (swapped to host memory; the swap time is not modelled), so it resumes
decoding without a new prefill. At most one *new* offline request is prefilled per block,
so an online arrival waits for at most one offline prefill.

Because the running set is constant between events, the cost is a few heap operations per
request (arrival, prefill end, completion), not one per decode iteration.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_right
from collections import deque
from dataclasses import dataclass

import numpy as np

ROUTING_POLICIES = ("jsq", "p2c")
_PREFILL, _DECODE, _WAKE = 1, 2, 3


@dataclass(frozen=True)
class ReplicaSpec:
    """One replica: what it serves, its batch cap, KV budget and iteration-time tables.

    ``prefill_s[j]`` and ``decode_s[k]`` are rows over ``grid`` (prompt tokens): the time of a
    prefill of ``j`` prompts and of one decode iteration with ``k`` running sequences.
    Row 0 is unused. Times between grid points are linearly interpolated.
    """

    name: str
    online: bool
    offline: bool
    batch_cap: int
    kv_tokens: float
    grid: np.ndarray
    prefill_s: np.ndarray
    decode_s: np.ndarray

    def __post_init__(self) -> None:
        if self.batch_cap < 1:
            raise ValueError(f"replica {self.name}: batch_cap must be >= 1")
        need = (self.batch_cap + 1, len(self.grid))
        if self.prefill_s.shape != need or self.decode_s.shape != need:
            raise ValueError(f"replica {self.name}: time tables must have shape {need}")


@dataclass(frozen=True)
class OfflineWork:
    """Offline (batch) requests released at given times, admitted while ``open_until_s``."""

    release_s: np.ndarray  # times at which requests are released
    count: np.ndarray  # requests released at each time
    input_tokens: int
    output_tokens: int
    open_until_s: float  # no offline request is admitted at or after this time


@dataclass(frozen=True)
class EngineOutput:
    """Per online request: first-token and finish times (inf = rejected), replica index."""

    first_token_s: np.ndarray
    finish_s: np.ndarray
    replica: np.ndarray
    offline_released: int
    offline_completed: int
    offline_tokens_done: int
    preemptions: int
    events: int


def run(
    replicas: list[ReplicaSpec],
    arrival_s: np.ndarray,
    input_tokens: np.ndarray,
    output_tokens: np.ndarray,
    offline: OfflineWork | None = None,
    policy: str = "jsq",
    seed: int = 0,
) -> EngineOutput:
    """Replay online arrivals (sorted) and offline work on ``replicas``.

    Routing (online only, among replicas with ``online=True``): ``jsq`` sends a request to
    the replica with the fewest outstanding online requests per batch slot
    (``outstanding / batch_cap``, so heterogeneous replicas fill evenly; ties to the lowest
    index); ``p2c`` draws two replicas uniformly (seeded) and takes the less loaded.
    The run ends when every online request has finished (or was rejected because its KV
    reservation exceeds every replica's budget); offline work still running then is dropped.
    """
    if policy not in ROUTING_POLICIES:
        raise ValueError(
            f"unknown routing policy '{policy}' (known: {', '.join(ROUTING_POLICIES)})"
        )
    n_req = len(arrival_s)
    arr = np.asarray(arrival_s, dtype=float)
    if n_req and np.any(np.diff(arr) < 0):
        raise ValueError("arrival times must be sorted")
    on_idx = [i for i, r in enumerate(replicas) if r.online]
    if n_req and not on_idx:
        raise ValueError("online requests but no replica serves online traffic")

    n_rep = len(replicas)
    cap = [r.batch_cap for r in replicas]
    inv_cap = [1.0 / r.batch_cap for r in replicas]
    kv_budget = [r.kv_tokens for r in replicas]
    kv_free = list(kv_budget)
    grids = [r.grid.tolist() for r in replicas]
    pre = [r.prefill_s.tolist() for r in replicas]
    dec = [r.decode_s.tolist() for r in replicas]
    load = [0.0 if r.online else math.inf for r in replicas]  # n_on / batch_cap (routing)
    serves_off = [r.offline for r in replicas]
    max_budget = max((kv_budget[i] for i in on_idx), default=0.0)

    # request state (online first, offline appended as released); plain lists are fastest
    a_list = arr.tolist()
    nin = np.asarray(input_tokens, dtype=float).tolist()
    nout = np.asarray(output_tokens, dtype=float).tolist()
    ctx = list(nin)  # prompt tokens to prefill (offline: grows with preemption)
    rem = list(nout)  # tokens still to generate
    resv = [nin[i] + nout[i] for i in range(n_req)]  # KV tokens reserved while running
    first = [math.nan] * n_req
    finish = [math.nan] * n_req
    where = [-1] * n_req
    epoch = [0] * n_req
    swapped = [False] * n_req

    waiting: list[deque[int]] = [deque() for _ in range(n_rep)]
    running: list[list[tuple[float, int, int]]] = [[] for _ in range(n_rep)]
    off_stack: list[list[int]] = [[] for _ in range(n_rep)]
    n_run = [0] * n_rep
    n_on = [0] * n_rep
    ctx_sum = [0.0] * n_rep
    counter = [0.0] * n_rep
    block = [0] * n_rep
    t0 = [0.0] * n_rep
    dt = [0.0] * n_rep
    n_plan = [0.0] * n_rep
    admitted: list[list[int]] = [[] for _ in range(n_rep)]
    ver = [0] * n_rep
    start_ctr: dict[int, float] = {}

    backlog: deque[int] = deque()
    rel_t = [] if offline is None else np.asarray(offline.release_s, float).tolist()
    rel_n = [] if offline is None else np.asarray(offline.count, int).tolist()
    off_until = -math.inf if offline is None else offline.open_until_s
    off_in = 0 if offline is None else offline.input_tokens
    off_out = 0 if offline is None else offline.output_tokens
    stats = {"released": 0, "completed": 0, "tokens": 0, "preempt": 0}

    rng = np.random.default_rng(seed)
    if policy == "p2c" and n_req:
        picks = rng.integers(0, len(on_idx), size=(n_req, 2)).tolist()
    heap: list[tuple[float, int, int]] = []
    push, pop = heapq.heappush, heapq.heappop

    def interp(x: float, xs: list[float], ys: list[float]) -> float:
        """Linear interpolation (``xs`` increasing; the ends cover every length used)."""
        i = bisect_right(xs, x)
        if i <= 0:
            return ys[0]
        if i >= len(xs):
            return ys[-1]
        x0, x1 = xs[i - 1], xs[i]
        return ys[i - 1] + (ys[i] - ys[i - 1]) * (x - x0) / (x1 - x0)

    online_left = n_req
    events = 0

    def complete(r: int, rid: int, t: float) -> None:
        nonlocal online_left
        finish[rid] = t
        n_run[r] -= 1
        ctx_sum[r] -= ctx[rid]
        kv_free[r] += resv[rid]
        if rid < n_req:
            n_on[r] -= 1
            load[r] = n_on[r] * inv_cap[r]
            online_left -= 1
        else:
            off_stack[r].remove(rid)
            stats["completed"] += 1
            stats["tokens"] += int(nout[rid])

    def evict(r: int) -> None:
        rid = off_stack[r].pop()
        epoch[rid] += 1
        target = start_ctr.pop(rid)
        done = counter[r] - (target - rem[rid])
        n_run[r] -= 1
        ctx_sum[r] -= ctx[rid]
        kv_free[r] += resv[rid]
        rem[rid] -= done
        swapped[rid] = True
        backlog.appendleft(rid)
        stats["preempt"] += 1

    def step(r: int, t: float) -> None:
        nonlocal online_left
        adm = admitted[r]
        wq = waiting[r]
        c = cap[r]
        while wq:
            rid = wq[0]
            need = resv[rid]
            if need > kv_budget[r]:  # can never fit on this replica: rejected
                wq.popleft()
                first[rid] = finish[rid] = math.inf
                n_on[r] -= 1
                load[r] = n_on[r] * inv_cap[r]
                online_left -= 1
                continue
            if n_run[r] + len(adm) >= c or kv_free[r] < need:
                if off_stack[r]:
                    evict(r)
                    continue
                break
            wq.popleft()
            adm.append(rid)
            kv_free[r] -= need
        if not wq and backlog and serves_off[r] and t < off_until:
            fresh = 0
            while backlog and n_run[r] + len(adm) < c and kv_free[r] >= resv[backlog[0]]:
                rid = backlog[0]
                if swapped[rid]:  # swapped-out sequence: KV back from host, no prefill
                    backlog.popleft()
                    swapped[rid] = False
                    kv_free[r] -= resv[rid]
                    n_run[r] += 1
                    ctx_sum[r] += ctx[rid]
                    off_stack[r].append(rid)
                    target = counter[r] + rem[rid]
                    start_ctr[rid] = target
                    push(running[r], (target, rid, epoch[rid]))
                elif not fresh:  # at most one new offline prefill per block
                    backlog.popleft()
                    adm.append(rid)
                    kv_free[r] -= resv[rid]
                    fresh = 1
                else:
                    break
        if adm:
            j = len(adm)
            p = sum(ctx[i] for i in adm) / j
            d = interp(p, grids[r], pre[r][j])
            block[r] = _PREFILL
            ver[r] += 1
            push(heap, (t + d, ver[r], r))
            return
        if n_run[r] > 0:
            run_h = running[r]
            while run_h and run_h[0][2] != epoch[run_h[0][1]]:
                pop(run_h)
            k = n_run[r]
            d = interp(ctx_sum[r] / k, grids[r], dec[r][k])
            n = max(run_h[0][0] - counter[r], 0.0)
            block[r] = _DECODE
            t0[r], dt[r], n_plan[r] = t, d, n
            ver[r] += 1
            push(heap, (t + n * d, ver[r], r))
            return
        block[r] = 0

    def finish_block(r: int, t: float) -> None:
        if block[r] == _PREFILL:
            run_h = running[r]
            for rid in admitted[r]:
                if first[rid] != first[rid]:  # NaN: first token of this request
                    first[rid] = t
                where[rid] = r
                rem[rid] -= 1
                n_run[r] += 1
                ctx_sum[r] += ctx[rid]
                if rid >= n_req:
                    off_stack[r].append(rid)
                if rem[rid] <= 0:
                    complete(r, rid, t)
                    continue
                target = counter[r] + rem[rid]
                start_ctr[rid] = target
                push(run_h, (target, rid, epoch[rid]))
            admitted[r] = []
        elif block[r] == _DECODE:
            counter[r] += n_plan[r]
            run_h = running[r]
            ctr = counter[r]
            while run_h and run_h[0][0] <= ctr:
                target, rid, ep = pop(run_h)
                if ep != epoch[rid]:
                    continue
                start_ctr.pop(rid, None)
                complete(r, rid, t)
        block[r] = 0

    ai, ri = 0, 0
    inf = math.inf
    n_rel = len(rel_t)
    while online_left > 0 or ai < n_req:
        ta = a_list[ai] if ai < n_req else inf
        tl = rel_t[ri] if ri < n_rel else inf
        th = heap[0][0] if heap else inf
        events += 1
        if tl <= ta and tl <= th:
            if tl < off_until:
                for _ in range(rel_n[ri]):
                    rid = len(nin)
                    nin.append(float(off_in))
                    nout.append(float(off_out))
                    ctx.append(float(off_in))
                    rem.append(float(off_out))
                    resv.append(float(off_in + off_out))
                    first.append(math.nan)
                    finish.append(math.nan)
                    where.append(-1)
                    epoch.append(0)
                    swapped.append(False)
                    backlog.append(rid)
                stats["released"] += rel_n[ri]
                for r in range(n_rep):
                    if block[r] == 0 and serves_off[r]:
                        step(r, tl)
            ri += 1
        elif ta <= th:
            rid = ai
            ai += 1
            if resv[rid] > max_budget:
                first[rid] = finish[rid] = inf
                online_left -= 1
                continue
            if policy == "jsq":
                r = load.index(min(load))
            else:
                i1, i2 = picks[rid]
                r1, r2 = on_idx[i1], on_idx[i2]
                r = r1 if load[r1] <= load[r2] else r2
            waiting[r].append(rid)
            n_on[r] += 1
            load[r] = n_on[r] * inv_cap[r]
            b = block[r]
            if b == 0:  # idle: start at ta with every request that arrives at ta
                block[r] = _WAKE
                ver[r] += 1
                push(heap, (ta, ver[r], r))
            elif b == _DECODE and (n_run[r] < cap[r] or off_stack[r]):
                m = math.ceil((ta - t0[r]) / dt[r] - 1e-9) if dt[r] > 0 else 0
                if m < n_plan[r]:
                    n_plan[r] = float(max(m, 0))
                    ver[r] += 1
                    push(heap, (t0[r] + n_plan[r] * dt[r], ver[r], r))
        elif th < inf:
            t, v, r = pop(heap)
            if v != ver[r]:
                continue
            finish_block(r, t)
            step(r, t)
        else:  # nothing can progress (should not happen): stop rather than spin
            break

    return EngineOutput(
        first_token_s=np.asarray(first[:n_req], dtype=float),
        finish_s=np.asarray(finish[:n_req], dtype=float),
        replica=np.asarray(where[:n_req], dtype=int),
        offline_released=stats["released"],
        offline_completed=stats["completed"],
        offline_tokens_done=stats["tokens"],
        preemptions=stats["preempt"],
        events=events,
    )
