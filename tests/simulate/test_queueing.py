"""The queueing bound of the headroom rule (ecoserve_opt/queueing.py) on hand-worked cases,
and against the replay engine on one replica whose queueing result is known in closed form."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ecoserve_opt.queueing import capacity_factor, erlang_c, slots_needed, wait_exceedance
from ecoserve_opt.simulate.engine import ReplicaSpec, run


def test_erlang_c_hand_values() -> None:
    # M/M/1: P(wait) = rho
    assert erlang_c(1, 0.5) == pytest.approx(0.5)
    # M/M/2, a = 1: B(2,1) = (1/2) / (1 + 1 + 1/2) = 0.2; C = 2 x 0.2 / (2 - 0.8) = 1/3
    # (= 2 rho^2 / (1 + rho) at rho = 0.5)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    # M/M/3, a = 1: B = (1/6) / (8/3) = 1/16; C = 3/16 / (3 - 15/16) = 1/11
    assert erlang_c(3, 1.0) == pytest.approx(1 / 11)
    assert erlang_c(2, 2.0) == 1.0  # no steady state
    assert erlang_c(4, 0.0) == 0.0
    # large c stays finite and matches the recursion B(k) = a B(k-1) / (k + a B(k-1))
    b = 1.0
    for k in range(1, 801):
        b = 700.0 * b / (k + 700.0 * b)
    assert erlang_c(800, 700.0) == pytest.approx(800 * b / (800 - 700.0 * (1 - b)))


def test_wait_tail_and_fewest_slots() -> None:
    # M/M/2, a = 1, S = 1: P(W > t) = C exp(-(c - a) t / S) = exp(-0.5) / 3 at t = 0.5 S
    assert wait_exceedance(2, 1.0, 0.5, cs2=1.0) == pytest.approx(math.exp(-0.5) / 3)
    # deterministic service (cs2 = 0): the decay rate doubles
    assert wait_exceedance(2, 1.0, 0.5, cs2=0.0) == pytest.approx(math.exp(-1.0) / 3)
    # no slack: the fewest servers with C(c, 1) <= eps
    assert slots_needed(1.0, 0.0, 0.4) == 2  # 1/3 <= 0.4
    assert slots_needed(1.0, 0.0, 0.3) == 3  # 1/11 <= 0.3 < 1/3
    assert slots_needed(0.0, 0.0, 0.01) == 0
    with pytest.raises(ValueError, match="eps must be in"):
        slots_needed(1.0, 0.0, 1.0)


def test_capacity_factor_hand_case() -> None:
    # batch 2, O = 101, TPOT 0.01 s, TTFT_1 = 0 (so S = 100 x 0.01 = 1 s), TTFT_2 = the SLO
    # (no slack), 1 request/s: a = 1; target 0.7 -> c = 3 (C(3,1) = 1/11 <= 0.3 < 1/3).
    # Static slot time 0.5 + 101 x 0.01 = 1.51 s, so f = 3 / (1 x 1.51).
    f = capacity_factor(
        rate_hour=1.0,
        burst=1.0,
        batch=2,
        output_tokens=101,
        ttft_batch_s=0.5,
        ttft_one_s=0.0,
        tpot_s=0.01,
        ttft_slo_s=0.5,
        target=0.7,
    )
    assert f == pytest.approx(3 / 1.51)
    # a burst multiplies the arrival rate: 2 req/s -> a = 2, C(c, 2) <= 0.3 needs c = 4
    assert erlang_c(3, 2.0) > 0.3 >= erlang_c(4, 2.0)
    f2 = capacity_factor(
        rate_hour=1.0,
        burst=2.0,
        batch=2,
        output_tokens=101,
        ttft_batch_s=0.5,
        ttft_one_s=0.0,
        tpot_s=0.01,
        ttft_slo_s=0.5,
        target=0.7,
    )
    assert f2 == pytest.approx(4 / 1.51)
    assert capacity_factor(
        rate_hour=0.0,
        burst=1.0,
        batch=2,
        output_tokens=101,
        ttft_batch_s=0.5,
        ttft_one_s=0.0,
        tpot_s=0.01,
        ttft_slo_s=0.5,
        target=0.7,
    ) == pytest.approx(1.0)


def test_one_replica_with_two_slots_is_an_mm2_queue() -> None:
    """One replica, batch cap 2 (two servers), decode iterations of 0.01 s whatever the
    batch, prefill 1e-5 s, output lengths geometric with mean 101 (so a slot is held for
    (O - 1) x 0.01 s: exponential-like, mean 1 s, cs2 = 0.99), Poisson arrivals at 1/s:
    a = 1, c = 2. Erlang C: P(wait) = 1/3; the M/M/2 wait of a waiting request is
    exponential with mean S / (c - a) = 1 s, so P(W > 0.2 s) = exp(-0.2) / 3 = 0.273 and
    the mean wait is 1/3 s. Each run: 20,000 requests (first 1,000 dropped as warm-up);
    tolerance 4 standard errors over 8 independent runs."""
    grid = np.array([1.0, 1e6])
    pre = np.zeros((3, 2))
    pre[1:] = 1e-5
    dec = np.zeros((3, 2))
    dec[1:] = 0.01
    rep = ReplicaSpec("r", True, False, 2, math.inf, grid, pre, dec)
    waited, tail, mean = [], [], []
    for k in range(8):
        rng = np.random.default_rng(200 + k)
        n = 20_000
        arr = np.cumsum(rng.exponential(1.0, n))
        out = rng.geometric(1 / 101, n)
        eo = run([rep], arr, np.full(n, 10), out)
        # the wait for a slot; an arrival at a decoding replica with a free slot joins at
        # the next iteration boundary (< 0.01 s), not counted as queueing
        wait = (eo.first_token_s - arr)[1000:]
        waited.append(float(np.mean(wait > 0.011)))
        tail.append(float(np.mean(wait > 0.2)))
        mean.append(float(np.mean(wait)))
    for got, want in ((waited, 1 / 3), (tail, math.exp(-0.2) / 3), (mean, 1 / 3)):
        se = float(np.std(got, ddof=1) / np.sqrt(len(got)))
        assert abs(np.mean(got) - want) < 4 * se, (np.mean(got), want, se)
        assert se < 0.01  # tight enough to see a 5% error in the tail or the mean
    # and the bound the MILP uses is this value
    assert wait_exceedance(2, 1.0, 0.2, cs2=1.0) == pytest.approx(math.exp(-0.2) / 3)
