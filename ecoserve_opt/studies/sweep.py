r"""Sensitivity sweeps: solve a scenario over a grid of parameter values, resumably, in parallel.

>>> from ecoserve_opt.studies import sweep   # doctest: +SKIP
>>> res = sweep("scenarios/default.yaml", {"grid_intensity": range(0, 801, 25)}, "out/sweep")
>>> res.sweep()[["grid_intensity", "carbon_kg", "design"]]   # doctest: +SKIP

Two kinds of parameter
----------------------
*Param parameters* change a mutable ``Param`` of the built model; every point of a serial
sweep re-solves the SAME persistent HiGHS model, warm-started from the previous point:

====================  ======================================================================
``grid_intensity``    annual mean grid intensity in **gCO2e/kWh** (plain numbers) or a unit
                      string per value (``"0.42 kgCO2e/kWh"``). Applied as
                      ``m.ci_scale = value / (the scenario's year-1 mean intensity)``, so the
                      scenario's hourly shape and yearly trend are kept and scaled.
``pue``               data-centre PUE (``grid.pue`` is an alias), ``m.pue``.
``prices.electricity``  USD/kWh (``electricity_price`` is an alias), ``m.price``.
``demand_scale``      multiplier of all online and offline demand, ``m.demand_scale``.
``embodied_scale``    multiplier of all embodied carbon, ``m.embodied_scale``.
``cap.<metric>``      epsilon cap on carbon/cost/energy/latency/gpu_hours (used by Pareto).
====================  ======================================================================

*Any other dot-path* (``embodied_source``, ``llms.X.online.requests_per_s``,
``inventory.embodied_residual_share``, ``grid.hourly_shape`` ...) is applied by re-loading
the scenario with that override and rebuilding the model (pre-solve checks included) once per
distinct value; Param parameters are then swept inside each rebuilt model. Points are ordered
so rebuild parameters form the outer loop and neighbouring points are solved one after the
other (boustrophedon order), which keeps warm starts useful.

Several parameters form a full grid (cartesian product). Each finished point is written at
once to a :class:`~ecoserve_opt.studies.store.ResultsStore`; re-running skips finished points.

Parallel mode (``workers > 0`` or ``scheduler="tcp://host:port"``) sends chunks of points to
a ``dask.distributed`` cluster (a ``LocalCluster(n_workers, threads_per_worker=1,
processes=True)`` by default). Each worker builds its model once per rebuild group, keeps it
between chunks, sweeps its chunk through its own persistent solver and returns the records;
the client writes them to the store as chunks finish. On a remote cluster the workers need
ecoserve-opt installed and the scenario's catalog folder at the same path.

Design drift and ``warm_start``
--------------------------------
A warm-started point begins from the previous point's optimum. HiGHS stops as soon as its
incumbent is within the relative gap (``solver.mip_rel_gap``) of the bound, so where the
previous fleet is still within the gap at the new parameter value it is kept: along a sweep
the design tends to stay put until it is off by more than the gap, and the fleet changes
later (and in larger steps) than independent solves of each point would show. Every point is
still within the gap of its own optimum. ``warm_start=False`` (``ecoserve sweep --cold``)
solves each point from scratch on the same persistent model (no starting solution, the
solver state cleared), which is what an independent solve of that point gives, at the price
of the warm start's speed-up; a smaller gap narrows the drift instead.

With ``fix_fleet`` the integer fleet variables (GPUs and hosts bought or reused, hosts
deployed, sockets, DIMMs, SSDs) are fixed at the optimum of the scenario's own parameter
values, and only the operation (load split, GPUs powered, replicas) is re-optimised.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ecoserve_opt.exceptions import EcoserveError
from ecoserve_opt.io.yaml_loader import LoadedScenario
from ecoserve_opt.studies.parameters import canonical_param, parse_values
from ecoserve_opt.studies.points import PointSolver, Record, grid_points, make_spec
from ecoserve_opt.studies.runner import open_client, run_points
from ecoserve_opt.studies.store import ResultsStore, SweepResults
from ecoserve_opt.studies.temporary import store_folder

__all__ = ["sweep"]


def sweep(
    scenario: LoadedScenario | str | Path,
    params: Mapping[str, Any],
    out: str | Path | None = None,
    *,
    objective: str | None = None,
    fix_fleet: bool = False,
    scheduler: str | None = None,
    workers: int = 0,
    chunk_size: int | None = None,
    retry_failed: bool = False,
    progress: bool = False,
    console: Any | None = None,
    on_point: Callable[[Record], None] | None = None,
    warm_start: bool = True,
    **solver_options: Any,
) -> SweepResults:
    """Solve ``scenario`` at every point of the grid ``params``, storing each as it finishes.

    ``params`` maps a parameter name to its values or a ``start:stop:step`` string; results
    go to the store ``out`` as each point finishes. Without ``out`` the store is a temporary
    folder, removed when the returned :class:`SweepResults` is garbage-collected (or at
    exit): pass ``out`` to keep the points or resume the sweep.

    ``workers=0`` and no ``scheduler`` solve serially in this process (one model, persistent
    solver); otherwise on dask. ``on_point(record)`` is called after each point is written.
    ``warm_start=False`` solves every point cold (no design drift, see the module docstring).
    """
    spec = make_spec(scenario, fix_fleet, solver_options, objective, warm_start)
    obj = spec.objective
    if not params:
        raise EcoserveError("a sweep needs at least one parameter")
    points = grid_points(spec, params, obj)
    PointSolver(spec).check(points)
    out, temporary = store_folder(out)
    store = ResultsStore(out)
    names = [canonical_param(n) for n in params]
    store.open_run(
        spec.scenario_hash,
        spec.loaded.scenario.name,
        {
            "command": "sweep",
            "params": names,
            "values": {canonical_param(n): parse_values(n, v) for n, v in params.items()},
            "objective": obj,
            "fix_fleet": fix_fleet,
            "warm_start": warm_start,
        },
    )
    with open_client(scheduler, workers) as client:
        run_points(
            spec,
            points,
            store,
            client=client,
            chunk_size=chunk_size,
            retry_failed=retry_failed,
            progress=progress,
            console=console,
            label="sweep",
            on_point=on_point,
        )
    res = SweepResults.load(store.root)
    ids = {p.point_id for p in points}
    res.table = res.table[res.table["point_id"].isin(ids)].reset_index(drop=True)
    res.temporary = temporary
    return res
