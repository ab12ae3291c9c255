"""The replay engine on cases worked out by hand (constant iteration times)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ecoserve_opt.simulate.engine import OfflineWork, ReplicaSpec, run

GRID = np.array([1.0, 1e6])


def replica(
    cap: int,
    prefill: float | list[float],
    decode: float,
    kv: float = math.inf,
    online: bool = True,
    offline: bool = False,
    name: str = "r",
) -> ReplicaSpec:
    """A replica whose prefill of j prompts takes prefill[j] (or j * prefill) and every
    decode iteration takes ``decode`` seconds, whatever the prompt length."""
    pre = np.zeros((cap + 1, 2))
    for j in range(1, cap + 1):
        pre[j] = prefill[j - 1] if isinstance(prefill, list) else j * prefill
    dec = np.zeros((cap + 1, 2))
    dec[1:] = decode
    return ReplicaSpec(name, online, offline, cap, kv, GRID, pre, dec)


def test_no_queueing_gives_profile_latencies() -> None:
    # arrivals every 10 s; service = prefill 0.5 s + 19 decodes of 0.1 s = 2.4 s < 10 s
    n, out = 20, 20
    arr = np.arange(n) * 10.0
    eo = run([replica(1, 0.5, 0.1)], arr, np.full(n, 100), np.full(n, out))
    np.testing.assert_allclose(eo.first_token_s - arr, 0.5)
    np.testing.assert_allclose((eo.finish_s - eo.first_token_s) / (out - 1), 0.1)


def test_deterministic_overload_queue_grows_linearly() -> None:
    # D/D/1 with batch 1: service S = 0.5 + 9 x 0.1 = 1.4 s, arrivals every 1 s.
    # Request i starts at max(i, finish of i-1) = 1.4 i, so TTFT_i = 0.4 i + 0.5.
    n = 50
    arr = np.arange(n, dtype=float)
    eo = run([replica(1, 0.5, 0.1)], arr, np.full(n, 10), np.full(n, 10))
    np.testing.assert_allclose(eo.first_token_s - arr, 0.4 * np.arange(n) + 0.5)


def test_saturated_replica_reaches_the_static_batch_capacity() -> None:
    # 4 x B requests at t=0, batch cap B: batches of B are prefilled together
    # (prefill[B]) then decode O-1 iterations: throughput B*O / (prefill[B] + (O-1)*d).
    b, out, pre_b, d = 8, 50, 2.0, 0.05
    n = 4 * b
    eo = run(
        [replica(b, [0.3 * j for j in range(1, b)] + [pre_b], d)],
        np.zeros(n),
        np.full(n, 100),
        np.full(n, out),
    )
    cycle = pre_b + (out - 1) * d
    assert eo.finish_s.max() == pytest.approx(4 * cycle)
    assert sorted(set(np.round(eo.first_token_s, 9))) == pytest.approx(
        [pre_b + k * cycle for k in range(4)]
    )


def test_kv_budget_limits_concurrency() -> None:
    # batch cap 8 but KV for 2 requests (each reserves 60 + 40 = 100 tokens of 200):
    # two are prefilled together (0.2 s), decode 39 x 0.01 s, then the next two.
    eo = run([replica(8, 0.1, 0.01, kv=200.0)], np.zeros(4), np.full(4, 60), np.full(4, 40))
    first = np.sort(eo.first_token_s)
    cycle = 0.2 + 39 * 0.01
    np.testing.assert_allclose(first, [0.2, 0.2, cycle + 0.2, cycle + 0.2])


def test_request_larger_than_any_kv_budget_is_rejected() -> None:
    eo = run(
        [replica(4, 0.1, 0.01, kv=150.0)],
        np.array([0.0, 1.0]),
        np.array([100, 100]),
        np.array([40, 60]),
    )
    assert math.isfinite(eo.first_token_s[0])
    assert math.isinf(eo.first_token_s[1])
    assert math.isinf(eo.finish_s[1])


def test_jsq_spreads_simultaneous_requests() -> None:
    reps = [replica(4, 0.1, 0.01, name="a"), replica(4, 0.1, 0.01, name="b")]
    eo = run(reps, np.zeros(4), np.full(4, 10), np.full(4, 10), policy="jsq")
    assert sorted(eo.replica.tolist()) == [0, 0, 1, 1]


def test_jsq_normalises_by_batch_cap() -> None:
    # replica 1 has 3x the batch slots: of 8 simultaneous requests it gets 6
    reps = [replica(2, 0.1, 0.01, name="small"), replica(6, 0.1, 0.01, name="big")]
    eo = run(reps, np.zeros(8), np.full(8, 10), np.full(8, 10), policy="jsq")
    assert np.bincount(eo.replica, minlength=2).tolist() == [2, 6]


def test_p2c_is_seeded() -> None:
    reps = [replica(4, 0.1, 0.01, name=str(i)) for i in range(5)]
    arr = np.sort(np.random.default_rng(1).random(200) * 20)
    a = run(reps, arr, np.full(200, 10), np.full(200, 10), policy="p2c", seed=3)
    b = run(reps, arr, np.full(200, 10), np.full(200, 10), policy="p2c", seed=3)
    np.testing.assert_array_equal(a.replica, b.replica)
    assert len(set(a.replica.tolist())) == 5


def test_offline_fills_idle_capacity_and_yields_to_online() -> None:
    # 10 offline requests (prompt 50, 100 tokens) from t=0 on one replica with cap 2: two
    # are prefilled together (0.1 s) and decode at 0.01 s per iteration. An online request
    # at t=1.0 finds the batch full and preempts one offline sequence: it waits for the
    # iteration boundary (t=1.0 exactly here), then its own prefill (0.05 s). While it
    # decodes its 19 remaining tokens (0.19 s), the other offline sequence finishes
    # (t=1.14), the preempted one resumes without a prefill and finishes (t=1.23), and one
    # new offline request is prefilled (0.05 s, pausing decode): TPOT x 19 = 0.19 + 0.05.
    off = OfflineWork(np.array([0.0]), np.array([10]), 50, 100, open_until_s=100.0)
    rep = replica(2, 0.05, 0.01, offline=True)
    eo = run([rep], np.array([1.0]), np.array([50]), np.array([20]), offline=off)
    assert eo.first_token_s[0] == pytest.approx(1.05)
    assert eo.finish_s[0] - eo.first_token_s[0] == pytest.approx(19 * 0.01 + 0.05)
    assert eo.preemptions == 1
    assert eo.offline_released == 10
    assert eo.offline_completed == 2


def test_md1_mean_wait_matches_pollaczek_khinchine() -> None:
    # M/D/1: batch 1, one-token outputs, so service = prefill S = 1 s; Poisson arrivals at
    # rate 0.5/s (rho = 0.5). Mean wait in queue Wq = rho S / (2 (1 - rho)) = 0.5 s, so
    # mean TTFT = Wq + S = 1.5 s. Tolerance: 4 standard errors estimated from 10
    # independent replications of 10,000 requests each (the first 500 of each dropped as
    # warm-up from an empty queue).
    lam, s, n, reps = 0.5, 1.0, 10_000, 10
    means = []
    for k in range(reps):
        rng = np.random.default_rng(100 + k)
        arr = np.cumsum(rng.exponential(1 / lam, n))
        eo = run([replica(1, s, 0.01)], arr, np.full(n, 10), np.full(n, 1))
        means.append(float(np.mean((eo.first_token_s - arr)[500:])))
    se = float(np.std(means, ddof=1) / np.sqrt(reps))
    expected = lam * s * s / (2 * (1 - lam * s)) + s
    assert abs(np.mean(means) - expected) < 4 * se
    assert se < 0.02  # the check is tight: the sample is large enough to see a 5% error


def test_unsorted_arrivals_and_unknown_policy_are_rejected() -> None:
    with pytest.raises(ValueError, match="sorted"):
        run([replica(1, 0.1, 0.1)], np.array([1.0, 0.0]), np.ones(2), np.ones(2))
    with pytest.raises(ValueError, match="unknown routing policy 'rr'"):
        run([replica(1, 0.1, 0.1)], np.zeros(1), np.ones(1), np.ones(1), policy="rr")
