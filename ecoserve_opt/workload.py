"""Workload inputs from the Azure LLM inference traces (no Pyomo).

Two one-hour traces of production LLM inference at Azure (November 2023), published in
Azure/AzurePublicDataset (``data/AzureLLMInferenceTrace_{code,conv}.csv``, CC-BY-4.0), are
bundled under ``models/traces/`` together with their licence, so the package runs without the
shared data folder (copied there by the offline catalog build, ``python -m catalog_build
profiles``). Each row is one request: ``TIMESTAMP`` (arrival), ``ContextTokens`` (prompt
length) and ``GeneratedTokens`` (output length).

=================  =====================================  ==========
trace name         file                                   requests
=================  =====================================  ==========
``azure-code-2023``  ``AzureLLMInferenceTrace_code.csv``  8,819
``azure-conv-2023``  ``AzureLLMInferenceTrace_conv.csv``  19,366
=================  =====================================  ==========

:func:`load_trace` returns a DataFrame with ``timestamp`` (datetime64), ``t_s`` (seconds since
the first request), ``input_tokens`` (= ``ContextTokens``) and ``output_tokens``
(= ``GeneratedTokens``). :func:`summarise` reduces a trace to a :class:`WorkloadSummary`:

* ``duration_s`` = last arrival - first arrival; ``requests_per_s`` = requests / duration_s;
  ``output_tokens_per_s`` (and ``input_tokens_per_s``) = token sum / duration_s.
* token means and p50/p99 quantiles (linear interpolation, numpy/pandas default).
* ``minute_peak_to_mean``: burstiness. The trace is cut into whole 60-s windows starting at
  the first arrival (a trailing partial window is dropped); the figure is the largest
  per-window request count divided by the mean count (empty windows count as zero).

Diurnal shape -- stated plainly: **the traces cover one hour, so they say nothing about the
daily cycle, and the 24-value ``diurnal`` shape is an assumption, not a measurement.** Public
characterisations of production LLM serving at Azure report a pronounced daily cycle in load
(DynamoLLM, Stojkovic et al., HPCA 2025, arXiv 2408.00741, week-long Azure LLM inference
traces; SageServe, arXiv 2502.14617, Microsoft Office 365 LLM traffic by region and time;
earlier, the Azure Functions trace, Shahrad et al., USENIX ATC 2020), with load high in working
hours and low at night, but publish no table we can copy. We therefore use a documented
smooth shape::

    diurnal[h] = 1 + DIURNAL_AMPLITUDE * cos(2 * pi * (h - DIURNAL_PEAK_HOUR) / 24),
    h = 0..23 (local hour),

with ``DIURNAL_AMPLITUDE = 0.35`` (peak/trough = 1.35/0.65, about 2.1x) and
``DIURNAL_PEAK_HOUR = 14``. The cosine sums to zero over the 24 hours, so the mean is exactly
1.0: the one-hour trace gives the mean rate and the shape redistributes it over the day. A
scenario can replace the shape with its own 24 values (``diurnal: [...]``) or ``flat``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ecoserve_opt.paths import catalog_dir

TRACE_FILES: dict[str, str] = {
    "azure-code-2023": "AzureLLMInferenceTrace_code.csv",
    "azure-conv-2023": "AzureLLMInferenceTrace_conv.csv",
}
TRACE_LICENSE = "LICENSE-CC-BY-4.0.txt"
TRACE_SOURCE = "Azure/AzurePublicDataset data/AzureLLMInferenceTrace_{code,conv}.csv (CC-BY-4.0)"
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f"

#: Relative amplitude of the assumed diurnal cosine (peak = 1 + A, trough = 1 - A).
DIURNAL_AMPLITUDE = 0.35
#: Local hour of the assumed daily peak.
DIURNAL_PEAK_HOUR = 14.0
#: Width of the windows used for the burstiness (peak-to-mean) figure.
BURST_WINDOW_S = 60.0


@dataclass(frozen=True)
class WorkloadSummary:
    """Summary statistics of one trace (rates per second of the trace's own hour)."""

    name: str
    n_requests: int
    duration_s: float
    requests_per_s: float
    mean_input_tokens: float
    mean_output_tokens: float
    p50_input_tokens: float
    p99_input_tokens: float
    p50_output_tokens: float
    p99_output_tokens: float
    input_tokens_per_s: float
    output_tokens_per_s: float
    minute_peak_to_mean: float
    diurnal: tuple[float, ...]
    source: str
    output_tokens_cv2: float = 0.0  # squared coefficient of variation of output lengths


def diurnal_shape(
    amplitude: float = DIURNAL_AMPLITUDE, peak_hour: float = DIURNAL_PEAK_HOUR
) -> np.ndarray:
    """The assumed 24-hour demand shape (mean exactly 1.0); see the module docstring."""
    if not 0.0 <= amplitude < 1.0:
        raise ValueError(f"diurnal amplitude must be in [0, 1), got {amplitude}")
    h = np.arange(24, dtype=float)
    shape = 1.0 + amplitude * np.cos(2.0 * np.pi * (h - peak_hour) / 24.0)
    return shape / shape.mean()


def trace_dir(folder: str | Path | None = None) -> Path:
    """Folder holding the trace CSVs: ``folder`` or the bundled ``models/traces``."""
    return Path(folder) if folder is not None else catalog_dir() / "traces"


def load_trace(name: str, folder: str | Path | None = None) -> pd.DataFrame:
    """Load trace ``name`` (``azure-code-2023`` or ``azure-conv-2023``), sorted by arrival."""
    if name not in TRACE_FILES:
        known = ", ".join(TRACE_FILES)
        raise KeyError(f"unknown trace '{name}' (known: {known})")
    path = trace_dir(folder) / TRACE_FILES[name]
    raw = pd.read_csv(path)
    ts = pd.to_datetime(raw["TIMESTAMP"], format=TIMESTAMP_FORMAT)
    df = pd.DataFrame(
        {
            "timestamp": ts,
            "input_tokens": raw["ContextTokens"].astype(int),
            "output_tokens": raw["GeneratedTokens"].astype(int),
        }
    )
    df = df.sort_values("timestamp", kind="stable").reset_index(drop=True)
    df.insert(1, "t_s", (df["timestamp"] - df["timestamp"].iloc[0]).dt.total_seconds())
    return df


def minute_peak_to_mean(t_s: np.ndarray | pd.Series, window_s: float = BURST_WINDOW_S) -> float:
    """Peak-to-mean of request counts in whole windows from the first arrival."""
    t = np.asarray(t_s, dtype=float)
    t = t - t.min()
    n_win = int(np.floor(t.max() / window_s))
    if n_win < 1:
        return 1.0
    idx = np.floor(t / window_s).astype(int)
    counts = np.bincount(idx[idx < n_win], minlength=n_win)
    return float(counts.max() / counts.mean())


#: Minutes per hour whose Poisson count may exceed the headroom level (one in 60).
HEADROOM_EXCEEDANCE = 1.0 / 60.0


def poisson_minute_headroom(requests_per_s: float, window_s: float = BURST_WINDOW_S) -> float:
    """Burst headroom for Poisson arrivals: ``1 + z / sqrt(requests_per_s * window_s)``.

    The count in one window is Poisson with mean ``mu = requests_per_s * window_s``; in the
    normal approximation its ``1 - 1/60`` quantile (exceeded in one minute per hour on
    average) is ``mu + z sqrt(mu)`` with ``z = Phi^-1(1 - 1/60) = 2.128``. The headroom is
    that level over the mean. ``1.0`` for a zero rate.
    """
    from statistics import NormalDist

    mu = requests_per_s * window_s
    if mu <= 0:
        return 1.0
    z = NormalDist().inv_cdf(1.0 - HEADROOM_EXCEEDANCE)
    return 1.0 + z / float(np.sqrt(mu))


@lru_cache(maxsize=8)
def summarise(name: str, folder: str | Path | None = None) -> WorkloadSummary:
    """Summarise trace ``name`` (see the module docstring for the definitions)."""
    df = load_trace(name, folder)
    dur = float(df["t_s"].iloc[-1])
    inp = df["input_tokens"].to_numpy(float)
    out = df["output_tokens"].to_numpy(float)
    return WorkloadSummary(
        name=name,
        n_requests=len(df),
        duration_s=dur,
        requests_per_s=len(df) / dur,
        mean_input_tokens=float(inp.mean()),
        mean_output_tokens=float(out.mean()),
        p50_input_tokens=float(np.quantile(inp, 0.5)),
        p99_input_tokens=float(np.quantile(inp, 0.99)),
        p50_output_tokens=float(np.quantile(out, 0.5)),
        p99_output_tokens=float(np.quantile(out, 0.99)),
        input_tokens_per_s=float(inp.sum()) / dur,
        output_tokens_per_s=float(out.sum()) / dur,
        minute_peak_to_mean=minute_peak_to_mean(df["t_s"]),
        diurnal=tuple(float(x) for x in diurnal_shape()),
        source=f"{TRACE_SOURCE}: {TRACE_FILES[name]}; diurnal shape assumed (see workload.py)",
        output_tokens_cv2=float(out.var() / out.mean() ** 2),
    )
