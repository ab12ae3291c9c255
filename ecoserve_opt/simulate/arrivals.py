"""Request streams for the replay: trace-modulated Poisson, plain Poisson, offline releases.

**Trace-driven demand** (``workload: azure-...``). The bundled one-hour trace is cut into
60-s windows (:data:`ecoserve_opt.workload.BURST_WINDOW_S`, the window of the burstiness
figure); window ``m`` holds ``c_m`` requests. Replay second ``t`` falls in trace window
``m = floor((t mod T) / 60)`` (the trace wraps after its ``T`` whole windows) and in hour of
day ``h = start_hour + floor(t / 3600)``. Arrivals are a Poisson process whose rate is
piecewise constant per window::

    lambda(t) = R * diurnal[h] * growth * scale * c_m / mean(c)

with ``R`` the scenario's mean request rate (the trace's rate times ``rate_scale`` unless the
scenario gives its own), so the trace's minute-level peaks are kept at any scale while the
mean follows the scenario. Each arrival's (prompt, output) token pair is drawn with
replacement from the trace requests of the same window. Sub-minute structure is replaced by
Poisson arrivals; see docs/simulate.md for what that means for each trace.

**Rate demand** (``requests_per_s`` / ``tokens_per_s``): homogeneous Poisson arrivals at
``R * diurnal[h] * growth * scale`` in each hour, every request with the scenario's
``input_tokens`` and ``output_tokens``.

Everything is vectorised numpy and seeded (``numpy.random.default_rng``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecoserve_opt.workload import BURST_WINDOW_S, load_trace


@dataclass(frozen=True)
class Arrivals:
    """Sorted arrival times (s from the replay start) and token counts per request."""

    t_s: np.ndarray
    input_tokens: np.ndarray
    output_tokens: np.ndarray

    def __len__(self) -> int:
        return len(self.t_s)


def _hour_multipliers(diurnal: np.ndarray, start_hour: int, duration_s: float) -> np.ndarray:
    n_hours = int(np.ceil(duration_s / 3600.0))
    return np.array([diurnal[(start_hour + k) % 24] for k in range(n_hours)], dtype=float)


def trace_windows(name: str, window_s: float = BURST_WINDOW_S) -> tuple[np.ndarray, np.ndarray]:
    """Per whole window of trace ``name``: request counts, and each request's window index."""
    df = load_trace(name)
    t = df["t_s"].to_numpy(float)
    n_win = max(1, int(np.floor(t.max() / window_s)))
    idx = np.floor(t / window_s).astype(int)
    keep = idx < n_win
    counts = np.bincount(idx[keep], minlength=n_win)
    return counts, idx


def trace_arrivals(
    name: str,
    mean_rate: float,
    diurnal: np.ndarray,
    start_hour: int,
    duration_s: float,
    rng: np.random.Generator,
    window_s: float = BURST_WINDOW_S,
) -> Arrivals:
    """Trace-modulated Poisson arrivals (module docstring); ``mean_rate`` in requests/s."""
    df = load_trace(name)
    t = df["t_s"].to_numpy(float)
    n_win = max(1, int(np.floor(t.max() / window_s)))
    idx = np.floor(t / window_s).astype(int)
    keep = idx < n_win
    counts = np.bincount(idx[keep], minlength=n_win).astype(float)
    inp = df["input_tokens"].to_numpy()[keep]
    out = df["output_tokens"].to_numpy()[keep]
    order = np.argsort(idx[keep], kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)]).astype(int)
    inp, out = inp[order], out[order]
    shape = counts / counts.mean()

    n_rep_win = int(np.ceil(duration_s / window_s))
    w = np.arange(n_rep_win)
    w_start = w * window_s
    w_len = np.minimum(window_s, duration_s - w_start)
    trace_w = w % n_win
    hour_mult = _hour_multipliers(diurnal, start_hour, duration_s)
    lam = mean_rate * shape[trace_w] * hour_mult[(w_start // 3600.0).astype(int)]
    n = rng.poisson(lam * w_len)
    total = int(n.sum())
    win_of = np.repeat(w, n)
    t_arr = w_start[win_of] + rng.random(total) * w_len[win_of]
    tw = trace_w[win_of]
    pick = starts[tw] + np.floor(rng.random(total) * counts[tw]).astype(int)
    order = np.argsort(t_arr, kind="stable")
    return Arrivals(t_arr[order], inp[pick][order], out[pick][order])


def poisson_arrivals(
    mean_rate: float,
    input_tokens: int,
    output_tokens: int,
    diurnal: np.ndarray,
    start_hour: int,
    duration_s: float,
    rng: np.random.Generator,
) -> Arrivals:
    """Poisson arrivals at ``mean_rate * diurnal[hour]``, fixed token counts."""
    hour_mult = _hour_multipliers(diurnal, start_hour, duration_s)
    parts = []
    for k, mult in enumerate(hour_mult):
        lo = k * 3600.0
        length = min(3600.0, duration_s - lo)
        n = rng.poisson(mean_rate * mult * length)
        parts.append(lo + np.sort(rng.random(n)) * length)
    t = np.concatenate(parts) if parts else np.zeros(0)
    return Arrivals(
        t, np.full(len(t), input_tokens, dtype=int), np.full(len(t), output_tokens, dtype=int)
    )
