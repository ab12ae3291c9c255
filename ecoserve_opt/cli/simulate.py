"""``ecoserve simulate RESULTS_DIR``: replay traffic against a solved fleet (SLO check)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ecoserve_opt.cli._common import console, df_table, guarded


def _duration_s(text: str) -> float:
    """``3600``, ``"90 s"``, ``"10 min"``, ``"1 h"`` -> seconds."""
    from ecoserve_opt.exceptions import EcoserveError
    from ecoserve_opt.schema.units import to_canonical

    raw = text.strip()
    try:
        return float(raw)
    except ValueError:
        pass
    try:
        if raw.endswith(("h", "hour", "hours")):
            return to_canonical(raw, "duration") * 3600.0
        return to_canonical(raw, "latency")
    except (ValueError, KeyError):
        raise EcoserveError(
            f"--duration: cannot read {text!r} (seconds, or e.g. '10 min', '1 h')"
        ) from None


def run_replay(
    results_dir: Path,
    trace: str | None = None,
    rate_scale: float = 1.0,
    duration: str = "3600",
    seed: int = 0,
    routing: str = "jsq",
) -> Any:
    """Replay, write ``slo.csv``/``slo.json``/``slo_cdf.svg`` and print the SLO table."""
    from ecoserve_opt.simulate import simulate, write_outputs

    rep = simulate(
        results_dir,
        trace=trace,
        rate_scale=rate_scale,
        duration_s=_duration_s(duration),
        seed=seed,
        routing=routing,
    )
    write_outputs(rep, results_dir)
    s = rep.settings
    console.print(
        df_table(
            rep.slo,
            f"SLO attainment under replay ({s['duration_s'] / 3600:.3g} h from hour "
            f"{s['start_hour']}, rate x{s['rate_scale']:g}, {s['routing']}, seed {s['seed']})",
        )
    )
    for r in rep.llms.values():
        console.print(f"  {r.llm}: {r.arrivals}, {r.replicas} replicas")
    console.print(
        f"{rep.requests:,} requests replayed in {s['wall_s']:.1f} s; "
        f"slo.csv, slo.json and slo_cdf.svg written to {results_dir}"
    )
    return rep


@guarded
def simulate_cmd(
    results_dir: Annotated[
        Path, typer.Argument(help="Results folder written by 'ecoserve solve --out'.")
    ],
    trace: Annotated[
        str | None,
        typer.Option(
            help="Replay this bundled trace for every online LLM (azure-conv-2023, "
            "azure-code-2023); default: each LLM's workload, or Poisson for a rate."
        ),
    ] = None,
    rate_scale: Annotated[
        float, typer.Option("--rate-scale", help="Multiply every online rate.")
    ] = 1.0,
    duration: Annotated[
        str, typer.Option(help="Replayed time: seconds or e.g. '10 min', '1 h'.")
    ] = "3600",
    seed: Annotated[int, typer.Option(help="Random seed (arrivals, p2c routing).")] = 0,
    routing: Annotated[str, typer.Option(help="jsq (join-shortest-queue) or p2c.")] = "jsq",
) -> None:
    """Replay traffic against a solved fleet and report TTFT/TPOT and SLO attainment.

    Writes RESULTS_DIR/slo.csv, slo.json and slo_cdf.svg (see docs/simulate.md)."""
    run_replay(results_dir, trace, rate_scale, duration, seed, routing)
