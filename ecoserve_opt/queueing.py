r"""Queueing-aware capacity headroom for online serving (data layer: numpy, no Pyomo).

The MILP sizes an online service with static-batch capacities
:math:`\kappa_k = B\,O / (\mathrm{TTFT}_B + O\,\mathrm{TPOT}_B)` (output tokens/s of one replica
at batch :math:`B`). Under streaming traffic a replica is a pool of :math:`B` *batch slots*
fed by a queue, and two effects need more capacity than the demand over :math:`\kappa_k`:

1. **Streaming slot time.** Requests arrive one at a time and are prefilled in small groups
   (prefill is not chunked and pauses the running batch). A replica kept full at batch
   :math:`B` spends, per request, :math:`\mathrm{TTFT}_1` prefilling it and
   :math:`\mathrm{TPOT}_B` per decode iteration, so one batch slot turns over every

   .. math:: S = (O - 1)\,\mathrm{TPOT}_B + B\,\mathrm{TTFT}_1

   seconds (the :math:`B` slots complete :math:`B` requests per :math:`S`, each prefilled
   alone). :math:`S \ge S^{static} = \mathrm{TTFT}_B + O\,\mathrm{TPOT}_B` whenever a
   prefill of :math:`B` prompts takes no longer than :math:`B` prefills of one.
2. **Queueing.** Requests that find every slot busy wait. The slots of an LLM's replicas
   (join-shortest-queue routing pools them) are modelled as an M/G/c queue with
   :math:`c` servers of mean service time :math:`S`, Poisson arrivals at the busiest
   minute's rate :math:`\lambda = \beta\,\lambda_h` (:math:`\lambda_h` the peak hour's rate,
   :math:`\beta` the minute peak-to-mean) and offered load :math:`a = \lambda S`. The
   probability of waiting is Erlang C, :math:`C(c, a) = \frac{c\,B(c,a)}{c - a(1 - B(c,a))}`
   with Erlang B :math:`B(c,a) = \frac{a^c/c!}{\sum_{j\le c} a^j/j!}`; the wait of a waiting
   request is taken exponential with the M/M/c rate :math:`(c - a)/S`, its mean scaled by
   the Allen-Cunneen factor :math:`(c_a^2 + c_s^2)/2` with :math:`c_a^2 = 1` (Poisson) and
   :math:`c_s^2` the squared coefficient of variation of the service time:

   .. math:: P(W > t) \approx C(c, a)\,\exp\!\Big(-\frac{2 (c - a)\, t}{(1 + c_s^2)\, S}\Big).

   (:math:`c_s^2 = 1` gives M/M/c exactly; :math:`c_s^2 = 0` is the M/D/c reading for
   fixed token counts.)

A request meets its TTFT SLO if it waits at most the *slack*
:math:`\tau = \mathrm{TTFT^{SLO}} - \mathrm{TTFT}_B` (time left after the longest prefill a
batch slot can be given). The rule takes the fewest slots :math:`c^\ast` with
:math:`P(W > \tau) \le 1 - \text{attainment target}` and turns it into a capacity factor
on the point's static capacity:

.. math:: f_k = \max\Big(1,\ \frac{c^\ast}{\lambda_h\, S^{static}}\Big),
   \qquad \text{so that } n \ge f_k\, x_k / \kappa_k \iff n B \ge c^\ast
   \text{ at } x_k = \lambda_h O.

The factor is computed as if all of the LLM's demand ran at point :math:`k` (the pooled
queue the router sees); it multiplies only the capacity side of the replica constraint,
so served tokens (and energy) stay at the demand.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def log_erlang_b(c_max: int, a: float) -> np.ndarray:
    """``log B(c, a)`` for ``c = 0..c_max`` (``a`` > 0 Erlangs), stable for large ``c``.

    ``B(c, a) = p(c) / P(c)`` with ``p``/``P`` the Poisson(``a``) pmf and cdf.
    """
    k = np.arange(c_max + 1, dtype=float)
    log_fact = np.concatenate([[0.0], np.cumsum(np.log(k[1:]))])
    log_p = k * math.log(a) - a - log_fact
    return log_p - np.logaddexp.accumulate(log_p)


def erlang_c(c: int, a: float) -> float:
    """Probability of waiting in an M/M/c queue: ``c`` servers, offered load ``a`` Erlangs.

    1.0 when ``a >= c`` (no steady state: every arrival eventually waits).
    """
    if a <= 0:
        return 0.0
    if a >= c:
        return 1.0
    b = float(np.exp(log_erlang_b(c, a)[c]))
    return c * b / (c - a * (1.0 - b))


def wait_exceedance(c: int, a: float, slack_over_s: float, cs2: float = 1.0) -> float:
    """``P(W > t)`` (module docstring) with ``t`` given as ``slack_over_s = t / S``."""
    if a <= 0:
        return 0.0
    if a >= c:
        return 1.0
    return erlang_c(c, a) * math.exp(-2.0 * (c - a) * slack_over_s / (1.0 + cs2))


def _wait_tail(c: Any, a: Any, b: Any, decay: float) -> Any:
    """``P(W > t)`` with ``c`` servers at offered load ``a`` from Erlang B ``b`` (Erlang C
    times the exponential tail of the wait, ``decay = 2 slack / (1 + cs2)``); arrays
    broadcast."""
    return c * b / (c - a * (1.0 - b)) * np.exp(-decay * (c - a))


def slots_needed(a: float, slack_over_s: float, eps: float, cs2: float = 1.0) -> int:
    """Fewest servers ``c`` with ``P(W > t) <= eps`` at offered load ``a`` (``t = slack x S``).

    0 for no load. Vectorised over candidate ``c`` (the search window grows until it holds).
    """
    if a <= 0:
        return 0
    if not 0 < eps < 1:
        raise ValueError(f"eps must be in (0, 1), got {eps}")
    decay = 2.0 * max(slack_over_s, 0.0) / (1.0 + cs2)
    lo = math.floor(a) + 1
    width = int(10 * math.sqrt(a)) + 50
    while True:
        hi = lo + width
        log_b = log_erlang_b(hi, a)[lo:]
        c = np.arange(lo, hi + 1, dtype=float)
        prob = _wait_tail(c, a, np.exp(log_b), decay)
        ok = np.nonzero(prob <= eps)[0]
        if len(ok):
            return int(c[ok[0]])
        lo, width = hi + 1, 2 * width


def capacity_factor(
    *,
    rate_hour: float,
    burst: float,
    batch: int,
    output_tokens: float,
    ttft_batch_s: float,
    ttft_one_s: float,
    tpot_s: float,
    ttft_slo_s: float,
    target: float,
    output_cv2: float = 0.0,
) -> float:
    """Capacity factor ``f_k`` of one online operating point (module docstring).

    ``rate_hour``: the peak hour's requests/s; ``burst``: busiest minute over it;
    ``output_cv2``: squared coefficient of variation of the output length (0 = fixed).
    """
    if rate_hour <= 0:
        return 1.0
    s_static = ttft_batch_s + output_tokens * tpot_s
    s = max(output_tokens - 1.0, 0.0) * tpot_s + batch * ttft_one_s
    s = max(s, 1e-12)
    decode = output_tokens * tpot_s
    cs2 = output_cv2 * (decode / s) ** 2
    slack = max(ttft_slo_s - ttft_batch_s, 0.0)
    c = slots_needed(burst * rate_hour * s, slack / s, 1.0 - target, cs2)
    return max(1.0, c / (rate_hour * s_static))


def slots_needed_many(
    a: np.ndarray, slack_over_s: float, eps: float, cs2: float = 1.0
) -> np.ndarray:
    """:func:`slots_needed` for many offered loads ``a`` sharing the slack and ``cs2`` (one
    operating point over its years and slots), with array work over many loads at once.

    The same numbers, element by element, as the scalar function: ``log B(c, a)`` at a
    given ``c`` does not depend on how far the table goes (each entry is a sequential sum
    from ``c = 0``), and the answer is the first ``c > floor(a)`` that meets the bound,
    whatever the search window. The loads are taken in ascending groups of :data:`_GROUP`,
    each with one table up to its largest first window (:func:`_first_window`, narrower
    than the scalar function's); a row whose answer lies beyond it is left to
    :func:`slots_needed`.
    """
    a = np.asarray(a, dtype=float)
    out = np.zeros(len(a), dtype=int)
    live = np.nonzero(a > 0)[0]
    if len(live) and not 0 < eps < 1:
        raise ValueError(f"eps must be in (0, 1), got {eps}")
    live = live[np.argsort(a[live], kind="stable")]
    for start in range(0, len(live), _GROUP):
        rows = live[start : start + _GROUP]
        out[rows] = _slots_group(a[rows].tolist(), slack_over_s, eps, cs2)
    return out


#: loads per table in :func:`slots_needed_many` (sorted, so a group's loads are close)
_GROUP = 16


def _first_window(a: float) -> int:
    """Candidates past ``floor(a)`` that :func:`slots_needed_many` tries first: a third of
    :func:`slots_needed`'s first window (on the fleet-scale benchmark every answer lies
    within a fifth of it, the median within 3%; docs/performance.md)."""
    return int(3 * math.sqrt(a)) + 16


def _slots_group(loads: list[float], slack_over_s: float, eps: float, cs2: float) -> list[int]:
    lows = [math.floor(v) + 1 for v in loads]
    c_max = max(lo + _first_window(v) for lo, v in zip(lows, loads, strict=True))
    k = np.arange(c_max + 1, dtype=float)
    log_fact = np.concatenate([[0.0], np.cumsum(np.log(k[1:]))])
    log_a = np.array([math.log(v) for v in loads])[:, None]
    av = np.array(loads)[:, None]
    decay = 2.0 * max(slack_over_s, 0.0) / (1.0 + cs2)
    w0 = min(lows)  # only the columns c >= min floor(a) + 1 are candidates
    kw = k[w0:]
    with np.errstate(all="ignore"):  # the columns c <= a are masked out below
        log_p = k * log_a - av - log_fact
        cum = np.logaddexp.accumulate(log_p, axis=1)
        b = np.exp(log_p[:, w0:] - cum[:, w0:])
        prob = _wait_tail(kw, av, b, decay)
    ok = (prob <= eps) & (kw >= np.array(lows)[:, None])
    first = (np.argmax(ok, axis=1) + w0).tolist()
    found = ok.any(axis=1).tolist()
    return [
        first[i] if found[i] else slots_needed(v, slack_over_s, eps, cs2)
        for i, v in enumerate(loads)
    ]
