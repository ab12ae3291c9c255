"""Latency CDFs of a trace replay (:func:`ecoserve_opt.simulate.simulate`).

Two panels, TTFT and TPOT, one empirical CDF per LLM on a log time axis, each LLM's SLO as
a dashed vertical line in the same colour. Rejected requests (infinite latency) keep the
curve below 1 at the right edge.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure


class LlmLatencies(Protocol):
    """What the figure reads of one LLM's replay
    (:class:`ecoserve_opt.simulate.replay.LlmReplay`)."""

    @property
    def ttft_s(self) -> np.ndarray: ...

    @property
    def tpot_s(self) -> np.ndarray: ...

    @property
    def ttft_slo(self) -> float: ...

    @property
    def tpot_slo(self) -> float: ...


class ReplayLike(Protocol):
    """What the figure reads of a replay (:class:`ecoserve_opt.simulate.replay.Replay`);
    a Protocol so that plotting never imports the simulator."""

    @property
    def slo(self) -> pd.DataFrame: ...

    @property
    def llms(self) -> Mapping[str, LlmLatencies]: ...

    @property
    def settings(self) -> dict[str, Any]: ...


PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")


def latency_cdf(rep: ReplayLike, title: str | None = None) -> Figure:
    """Empirical CDFs of TTFT and TPOT per LLM with the SLOs marked."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    for i, (llm, r) in enumerate(rep.llms.items()):
        colour = PALETTE[i % len(PALETTE)]
        row = rep.slo[rep.slo["llm"] == llm]
        att = float(row["attainment"].iloc[0]) if len(row) else float("nan")
        for ax, x, slo in ((axes[0], r.ttft_s, r.ttft_slo), (axes[1], r.tpot_s, r.tpot_slo)):
            n = len(x)
            if n == 0:
                continue
            xs = np.sort(x[np.isfinite(x)])
            xs = np.maximum(xs, 1e-4)
            ys = np.arange(1, len(xs) + 1) / n
            ax.step(xs, ys, where="post", color=colour, label=f"{llm} ({att:.1%} attain)")
            ax.axvline(slo, color=colour, linestyle="--", linewidth=1)
    for ax, what in ((axes[0], "time to first token (s)"), (axes[1], "time per output token (s)")):
        ax.set_xscale("log")
        ax.set_xlabel(what)
        ax.set_ylabel("share of requests")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    axes[0].legend(loc="lower right", fontsize="small")
    s = rep.settings
    fig.suptitle(
        title
        or (
            f"Replay: {s.get('duration_s', 0) / 3600:.2g} h from hour {s.get('start_hour')},"
            f" rate x{s.get('rate_scale', 1):g}, {s.get('routing')} routing (dashed: SLO)"
        )
    )
    return fig
