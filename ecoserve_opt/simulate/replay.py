"""Replay a designed fleet against traffic and measure SLO attainment.

:func:`simulate` reads a results folder, builds each LLM's arrivals (trace-modulated or
Poisson, see :mod:`ecoserve_opt.simulate.arrivals`) for the replayed hours, runs the
event-driven engine (:mod:`ecoserve_opt.simulate.engine`) per LLM and returns a
:class:`Replay`: the per-LLM SLO table and every request's TTFT and TPOT.
:func:`write_outputs` writes ``slo.csv`` (atomically) and the latency-CDF figure.

Definitions (per online request): TTFT = first token - arrival; TPOT = (finish - first
token) / (output tokens - 1), 0 for one-token outputs. A request *attains* when TTFT <= the
LLM's ``ttft_slo`` and TPOT <= its ``tpot_slo``; ``attainment`` is the share of requests
that do. A request whose KV reservation fits no replica is rejected (TTFT = TPOT = inf).
"""

from __future__ import annotations

import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ecoserve_opt.data import _diurnal
from ecoserve_opt.exceptions import EcoserveError
from ecoserve_opt.io.atomic import atomic_write_bytes, atomic_write_text
from ecoserve_opt.simulate.arrivals import Arrivals, poisson_arrivals, trace_arrivals
from ecoserve_opt.simulate.engine import ROUTING_POLICIES, OfflineWork, run
from ecoserve_opt.simulate.fleet import FleetFolder, load_folder, replica_specs
from ecoserve_opt.workload import TRACE_FILES

SLO_COLUMNS = [
    "llm",
    "requests",
    "ttft_p50_s",
    "ttft_p99_s",
    "tpot_p50_s",
    "tpot_p99_s",
    "attainment",
]
SLO_FILE = "slo.csv"
SETTINGS_FILE = "slo.json"
CDF_FILE = "slo_cdf.svg"


@dataclass(frozen=True)
class LlmReplay:
    """Per-request latencies of one LLM's online requests and its replay settings."""

    llm: str
    ttft_s: np.ndarray
    tpot_s: np.ndarray
    ttft_slo: float
    tpot_slo: float
    arrivals: str
    replicas: int
    offline_released: int
    offline_completed: int
    preemptions: int


@dataclass(frozen=True)
class Replay:
    """Result of :func:`simulate`."""

    slo: pd.DataFrame
    llms: dict[str, LlmReplay]
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        """Online requests simulated."""
        return int(self.slo["requests"].sum()) if len(self.slo) else 0


def _check(trace: str | None, rate_scale: float, duration_s: float, policy: str) -> None:
    if trace is not None and trace not in TRACE_FILES:
        raise EcoserveError(f"--trace: unknown trace '{trace}' (known: {', '.join(TRACE_FILES)})")
    if not rate_scale > 0:
        raise EcoserveError(f"--rate-scale: must be > 0, got {rate_scale:g}")
    if not duration_s > 0:
        raise EcoserveError(f"--duration: must be > 0, got {duration_s:g} s")
    if policy not in ROUTING_POLICIES:
        raise EcoserveError(
            f"--routing: unknown policy '{policy}' (known: {', '.join(ROUTING_POLICIES)})"
        )


def peak_hour(ff: FleetFolder) -> int:
    """Hour of the day with the highest total online load relative to each LLM's mean."""
    tot = np.zeros(24)
    for spec in ff.data.scenario.llms.values():
        if spec.online is not None:
            tot += _diurnal(spec.online.diurnal)
    return int(np.argmax(tot))


def _offline(
    ff: FleetFolder, llm: str, year: int, start_hour: int, duration_s: float
) -> OfflineWork | None:
    spec = ff.data.scenario.llms[llm].offline
    off = ff.offline
    if spec is None or off.empty:
        return None
    rows = off[(off["llm"] == llm) & (off["year"] == year) & off["where"].str.startswith("gpu:")]
    if rows.empty:
        return None
    per_slot = rows.groupby("slot")["tokens_per_day"].sum()
    times, counts = [], []
    for k in range(int(np.ceil(duration_s / 3600.0))):
        h = (start_hour + k) % 24
        slot = int(h // ff.data.slot_hours)
        tokens_h = float(per_slot.get(slot, 0.0)) / ff.data.slot_hours
        n = round(tokens_h / spec.output_tokens)
        if n > 0:
            times.append(k * 3600.0)
            counts.append(n)
    if not times:
        return None
    return OfflineWork(
        release_s=np.asarray(times, float),
        count=np.asarray(counts, int),
        input_tokens=spec.input_tokens,
        output_tokens=spec.output_tokens,
        open_until_s=duration_s,
    )


def _arrivals(
    ff: FleetFolder,
    llm: str,
    year: int,
    trace: str | None,
    rate_scale: float,
    start_hour: int,
    duration_s: float,
    rng: np.random.Generator,
) -> tuple[Arrivals, str]:
    on = ff.data.scenario.llms[llm].online
    assert on is not None
    growth = (1.0 + ff.data.scenario.demand_growth_per_year) ** (year - 1)
    rate_req = on.output_tokens_per_s / on.output_tokens * growth * rate_scale
    shape = _diurnal(on.diurnal)
    name = trace if trace is not None else on.workload
    if name is not None:
        arr = trace_arrivals(name, rate_req, shape, start_hour, duration_s, rng)
        return arr, f"trace {name} (minute-modulated Poisson)"
    arr = poisson_arrivals(
        rate_req, on.input_tokens, on.output_tokens, shape, start_hour, duration_s, rng
    )
    return arr, "Poisson"


def slo_row(r: LlmReplay) -> dict[str, Any]:
    """One ``slo.csv`` row (percentiles: numpy's linear interpolation)."""
    n = len(r.ttft_s)
    if n == 0:
        nan = float("nan")
        return dict(zip(SLO_COLUMNS, [r.llm, 0, nan, nan, nan, nan, nan], strict=True))
    ok = (r.ttft_s <= r.ttft_slo) & (r.tpot_s <= r.tpot_slo)
    with np.errstate(invalid="ignore"):
        q = [float(np.percentile(x, p)) for x in (r.ttft_s, r.tpot_s) for p in (50, 99)]
    return {
        "llm": r.llm,
        "requests": n,
        "ttft_p50_s": q[0],
        "ttft_p99_s": q[1],
        "tpot_p50_s": q[2],
        "tpot_p99_s": q[3],
        "attainment": float(ok.mean()),
    }


def simulate(
    results_dir: str | Path,
    *,
    trace: str | None = None,
    rate_scale: float = 1.0,
    duration_s: float = 3600.0,
    seed: int = 0,
    routing: str = "jsq",
    start_hour: int | None = None,
    year: int | None = None,
) -> Replay:
    """Replay online (and offline) traffic against the fleet in ``results_dir``.

    ``trace`` replays that bundled trace for every online LLM (default: each LLM's own
    ``workload``, or Poisson arrivals when its demand is a rate); ``rate_scale`` multiplies
    every online rate; the replay covers ``duration_s`` seconds from ``start_hour``
    (default: the busiest hour of the diurnal shapes) of planning ``year`` (default 1).
    """
    _check(trace, rate_scale, duration_s, routing)
    ff = load_folder(results_dir)
    d = ff.data
    y = d.years[0] if year is None else year
    if y not in d.years:
        raise EcoserveError(f"--year: {y} is not a planning year (1..{len(d.years)})")
    h0 = peak_hour(ff) if start_hour is None else start_hour
    if not 0 <= h0 <= 23:
        raise EcoserveError(f"--start-hour: must be in 0..23, got {h0}")
    slot = int(h0 // d.slot_hours)
    rng = np.random.default_rng(seed)
    out: dict[str, LlmReplay] = {}
    t_start = time.perf_counter()
    events = 0
    for llm, spec in d.scenario.llms.items():
        if spec.online is None:
            continue
        specs = replica_specs(ff, llm, y, slot)
        arr, how = _arrivals(ff, llm, y, trace, rate_scale, h0, duration_s, rng)
        if not any(s.online for s in specs):
            raise EcoserveError(
                f"{ff.path}: the fleet has no replica serving {llm}'s online traffic"
            )
        eo = run(
            specs,
            arr.t_s,
            arr.input_tokens,
            arr.output_tokens,
            offline=_offline(ff, llm, y, h0, duration_s),
            policy=routing,
            seed=int(rng.integers(2**31)),
        )
        events += eo.events
        ttft = eo.first_token_s - arr.t_s
        n_out = arr.output_tokens.astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            tpot = np.where(
                n_out > 1, (eo.finish_s - eo.first_token_s) / np.maximum(n_out - 1, 1), 0.0
            )
        tpot = np.where(np.isinf(ttft), np.inf, tpot)
        out[llm] = LlmReplay(
            llm=llm,
            ttft_s=ttft,
            tpot_s=tpot,
            ttft_slo=spec.online.ttft_slo,
            tpot_slo=spec.online.tpot_slo,
            arrivals=how,
            replicas=len(specs),
            offline_released=eo.offline_released,
            offline_completed=eo.offline_completed,
            preemptions=eo.preemptions,
        )
    wall = time.perf_counter() - t_start
    slo = pd.DataFrame([slo_row(r) for r in out.values()], columns=SLO_COLUMNS)
    settings = {
        "results_dir": str(ff.path),
        "trace": trace,
        "rate_scale": rate_scale,
        "duration_s": duration_s,
        "seed": seed,
        "routing": routing,
        "start_hour": h0,
        "year": y,
        "slot": slot,
        "wall_s": wall,
        "events": events,
    }
    return Replay(slo=slo, llms=out, settings=settings)


def write_outputs(rep: Replay, folder: str | Path) -> list[Path]:
    """Write ``slo.csv``, ``slo.json`` (replay settings, offline work done) and
    ``slo_cdf.svg`` into ``folder`` atomically; return the paths."""
    folder = Path(folder)
    slo_f = folder / SLO_FILE
    atomic_write_text(slo_f, rep.slo.to_csv(index=False))
    info = {
        **{k: v for k, v in rep.settings.items() if k not in ("results_dir", "wall_s")},
        "llms": {
            r.llm: {
                "arrivals": r.arrivals,
                "replicas": r.replicas,
                "ttft_slo_s": r.ttft_slo,
                "tpot_slo_s": r.tpot_slo,
                "offline_released": r.offline_released,
                "offline_completed": r.offline_completed,
                "preemptions": r.preemptions,
            }
            for r in rep.llms.values()
        },
    }
    set_f = folder / SETTINGS_FILE
    atomic_write_text(set_f, json.dumps(info, indent=2))
    written = [slo_f, set_f]
    try:
        import matplotlib.pyplot as plt

        from ecoserve_opt.plot.slo import latency_cdf
    except ImportError:  # plotting is optional; the table is the result
        return written
    fig = latency_cdf(rep)
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    cdf_f = folder / CDF_FILE
    atomic_write_bytes(cdf_f, buf.getvalue())
    written.append(cdf_f)
    return written
