r"""Pareto fronts by the epsilon-constraint method (carbon vs cost, energy, latency, GPU-hours).

For two metrics :math:`x` and :math:`y` (both minimised):

1. *Anchors*, each lexicographic: :math:`\min x`, then :math:`\min y` with :math:`x` at its
   optimum (the front's low-:math:`x` end) and :math:`\min y`, then :math:`\min x` (its
   low-:math:`y` end). They give the range of the capped metric.
2. *Front points*: the capped metric :math:`c` (``cap="y"`` by default, so :math:`y`) is
   limited to ``points`` evenly spaced values :math:`\varepsilon_i` from its value at the
   other metric's anchor (loose) to its own minimum (tight); each solves
   :math:`\min f \ \text{s.t.}\ c \le \varepsilon_i` (then, with ``refine``,
   :math:`\min c` with :math:`f` at that optimum, so no point is only weakly efficient).
3. Points dominated by another are removed; duplicates are kept once. Every point keeps its
   fleet in the store. Infeasible caps (possible when the solver's gap leaves room) are
   reported and skipped, never fatal.

Baseline designs (``performance``: min latency then min cost, ``energy``, ``cost``,
``carbon``) are solved on the same model by switching the objective and stored with kind
``baseline`` for the plot. Epsilon caps and objectives are mutable parts of the built model
(``m.cap_<metric>``), so the serial front re-solves one persistent HiGHS model, warm-started
along the front; on Dask each worker does the same for its chunk of caps.

A weighted-sum scan would miss the non-convex parts of a MILP front; epsilon-constraint does not.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ecoserve_opt.exceptions import EcoserveError
from ecoserve_opt.io.yaml_loader import LoadedScenario
from ecoserve_opt.studies.points import PointSpec, Record, SweepSpec, make_point, make_spec
from ecoserve_opt.studies.runner import open_client, run_points
from ecoserve_opt.studies.store import ResultsStore, SweepResults
from ecoserve_opt.studies.temporary import store_folder
from ecoserve_opt.vocabulary import metric_column, metric_name

__all__ = ["BASELINES", "baseline_points", "cap_values", "pareto"]

BASELINES = ("performance", "energy", "cost", "carbon")


def _anchor_points(spec: SweepSpec, x: str, y: str) -> tuple[PointSpec, PointSpec]:
    px = make_point(spec, "anchor", {"role": f"min-{x}"}, objective=x, secondary=y)
    py = make_point(spec, "anchor", {"role": f"min-{y}"}, objective=y, secondary=x)
    return px, py


def baseline_points(spec: SweepSpec, objectives: tuple[str, ...] = BASELINES) -> list[PointSpec]:
    """One point per baseline objective (no caps)."""
    return [
        make_point(spec, "baseline", {"role": f"baseline:{o}"}, objective=o) for o in objectives
    ]


def cap_values(loose: float, tight: float, points: int) -> list[float]:
    """``points`` caps evenly spaced from ``loose`` to ``tight`` (both included)."""
    if points < 1:
        raise EcoserveError("--points must be at least 1")
    if points == 1 or abs(loose - tight) <= 1e-9 * max(abs(loose), 1.0):
        return [float(tight)]
    return [float(f"{v:.12g}") for v in np.linspace(loose, tight, points)]


def pareto(
    scenario: LoadedScenario | str | Path,
    out: str | Path | None = None,
    *,
    x: str = "cost",
    y: str = "carbon",
    points: int = 20,
    cap: str = "y",
    refine: bool = True,
    baselines: bool = True,
    scheduler: str | None = None,
    workers: int = 0,
    chunk_size: int | None = None,
    retry_failed: bool = False,
    progress: bool = False,
    console: Any | None = None,
    on_point: Callable[[Record], None] | None = None,
    **solver_options: Any,
) -> SweepResults:
    """Epsilon-constraint front of ``y`` against ``x`` written to the store ``out``.

    Without ``out`` the store is a temporary folder removed with the returned results (as
    for ``sweep``).

    Metrics: ``carbon``, ``cost``, ``energy``, ``latency`` (alias ``performance``) and
    ``gpu_hours``. ``cap`` chooses the capped metric (``"y"`` or ``"x"``). Returns the
    store's :class:`SweepResults`; ``.pareto_front()`` gives the non-dominated points.
    """
    xm, ym = metric_name(x), metric_name(y)
    if xm == ym:
        raise EcoserveError(f"--x and --y are the same metric ({xm})")
    if cap not in ("x", "y"):
        raise EcoserveError(f"cap must be 'x' or 'y', not {cap!r}")
    spec = make_spec(scenario, False, solver_options, None)
    out, temporary = store_folder(out)
    store = ResultsStore(out)
    store.open_run(
        spec.scenario_hash,
        spec.loaded.scenario.name,
        {"command": "pareto", "x": xm, "y": ym, "points": points, "cap": cap, "refine": refine},
    )
    capped, free = (ym, xm) if cap == "y" else (xm, ym)
    anchors = _anchor_points(spec, xm, ym)
    first = list(anchors) + (baseline_points(spec) if baselines else [])
    with open_client(scheduler, workers) as client:
        run_points(
            spec,
            first,
            store,
            client=client,
            chunk_size=chunk_size,
            retry_failed=retry_failed,
            progress=progress,
            console=console,
            label="pareto anchors",
            on_point=on_point,
        )
        rows = store.rows([p.point_id for p in anchors])
        bad = rows[~rows["status"].isin(["optimal", "feasible"])]
        if len(bad):
            raise EcoserveError(
                f"cannot span the front: anchor {bad.iloc[0].get('role')} is "
                f"{bad.iloc[0]['status']}"
            )
        by_role = rows.set_index("role")
        col = metric_column(capped)
        loose = float(by_role.at[f"min-{free}", col])  # type: ignore[arg-type]
        tight = float(by_role.at[f"min-{capped}", col])  # type: ignore[arg-type]
        caps = cap_values(loose, tight, points)
        front = [
            make_point(
                spec,
                "front",
                {"role": "front", "cap_metric": capped, "cap_value": c},
                objective=free,
                secondary=capped if refine else None,
                fast={f"cap.{capped}": c},
            )
            for c in caps
        ]
        run_points(
            spec,
            front,
            store,
            client=client,
            chunk_size=chunk_size,
            retry_failed=retry_failed,
            progress=progress,
            console=console,
            label=f"pareto {ym} vs {xm}",
            on_point=on_point,
        )
    res = SweepResults.load(store.root)
    ids = {p.point_id for p in (*first, *front)}
    res.table = res.table[res.table["point_id"].isin(ids)].reset_index(drop=True)
    res.temporary = temporary
    return res
