"""SLO validation by trace replay: run a designed fleet against traffic.

``simulate(results_dir)`` reads a folder written by ``ecoserve solve --out``, replays
arrivals (the scenario's Azure trace, minute-modulated, or Poisson at the scenario's rate)
against its replicas with continuous batching, and reports TTFT/TPOT percentiles and SLO
attainment per LLM; ``write_outputs`` writes ``slo.csv`` and the latency-CDF figure.
See docs/simulate.md.
"""

from __future__ import annotations

from ecoserve_opt.simulate.engine import EngineOutput, OfflineWork, ReplicaSpec, run
from ecoserve_opt.simulate.replay import SLO_COLUMNS, LlmReplay, Replay, simulate, write_outputs

__all__ = [
    "SLO_COLUMNS",
    "EngineOutput",
    "LlmReplay",
    "OfflineWork",
    "Replay",
    "ReplicaSpec",
    "run",
    "simulate",
    "write_outputs",
]
