"""Running a study's points: serially on one persistent model, or in chunks on Dask.

Serial mode solves every point in this process on one built model per rebuild group.
Parallel mode (``workers > 0`` or ``scheduler="tcp://host:port"``) sends chunks of points to
a ``dask.distributed`` cluster (a ``LocalCluster(n_workers, threads_per_worker=1,
processes=True)`` by default). Each worker builds its model once per rebuild group, keeps it
between chunks, sweeps its chunk through its own persistent solver and returns the records;
the client writes them to the store as chunks finish. On a remote cluster the workers need
ecoserve-opt installed and the scenario's catalog folder at the same path.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ecoserve_opt.exceptions import EcoserveError
from ecoserve_opt.studies.points import PointSolver, PointSpec, Record, SweepSpec
from ecoserve_opt.studies.store import ResultsStore

log = logging.getLogger(__name__)

__all__ = ["ClientProvider", "dask_client", "open_client", "run_points"]

MAX_CHUNK = 25

_WORKER_CACHE: dict[str, PointSolver] = {}


def _solve_chunk(spec: SweepSpec, chunk: list[PointSpec]) -> list[Record]:
    """Dask task: solve a chunk with this worker's cached solver (one model kept)."""
    solver = _WORKER_CACHE.get(spec.key)
    if solver is None:
        _WORKER_CACHE.clear()
        solver = _WORKER_CACHE[spec.key] = PointSolver(spec)
    return [solver.solve(p) for p in chunk]


# ---- running ----------------------------------------------------------------------------
@contextmanager
def dask_client(scheduler: str | None = None, workers: int = 2) -> Iterator[Any]:
    """A ``dask.distributed`` client: of ``scheduler`` if given, else of a local cluster."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - the dask extra is missing
        raise EcoserveError(
            "parallel sweeps need dask: pip install 'ecoserve-opt[dask]' (or use --workers 0)"
        ) from None
    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise EcoserveError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
        try:
            yield client
        finally:
            client.close()
        return
    cluster = LocalCluster(
        n_workers=max(workers, 1),
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # a free port: never clash with a running cluster
        silence_logs=40,
    )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _chunks(points: list[PointSpec], size: int) -> list[list[PointSpec]]:
    """Split into chunks of at most ``size`` that never mix rebuild groups."""
    out: list[list[PointSpec]] = []
    for _key, group in itertools.groupby(points, key=lambda p: p.rebuild):
        g = list(group)
        out.extend(g[i : i + size] for i in range(0, len(g), size))
    return out


def _progress(console: Any | None, enabled: bool) -> Any:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        disable=not enabled,
    )


def _describe(p: PointSpec) -> str:
    if p.rebuild:
        what = ", ".join(f"{k}={v}" for k, v in p.rebuild)
        return f"rebuild for {what}; Param updates inside"
    return "Param updates on one model (warm start)"


def run_points(
    spec: SweepSpec,
    points: Sequence[PointSpec],
    store: ResultsStore,
    *,
    client: ClientProvider | Any | None = None,
    chunk_size: int | None = None,
    retry_failed: bool = False,
    progress: bool = False,
    console: Any | None = None,
    label: str = "sweep",
    on_point: Callable[[Record], None] | None = None,
) -> list[str]:
    """Solve the unfinished ``points`` (serially, or on ``client``'s dask cluster) and write
    each record to ``store`` as it arrives. Returns the ids solved now.

    ``client`` is a dask ``Client``, a :class:`ClientProvider` (started only if some point
    is left to solve) or ``None`` (serial, in this process)."""
    damaged = store.damaged()
    if damaged:
        first = next(iter(damaged.values()))
        msg = (
            f"{store.root}: {len(damaged)} damaged stored point(s) (e.g. {first}); "
            "recomputing those of this run"
        )
        if console is None:
            log.warning(msg)
        else:
            console.print(f"warning: {msg}", markup=False, highlight=False)
    if store.recovered_manifest is not None and console is not None:
        console.print(
            f"warning: {store.root}: {store.recovered_manifest}; kept as sweep.json.corrupt "
            "and rewritten",
            markup=False,
            highlight=False,
        )
    todo = [p for p in points if not store.done(p.point_id, retry_failed)]
    done_now: list[str] = []
    skipped = len(points) - len(todo)
    with _progress(console, progress) as bar:
        task = bar.add_task(label, total=len(points), completed=skipped)
        if skipped and progress and console is not None:
            console.print(f"{label}: {skipped} of {len(points)} points already done, skipped")

        def record(rec: Record) -> None:
            store.write(*rec)
            done_now.append(rec[0]["point_id"])
            bar.advance(task)
            if on_point is not None:
                on_point(rec)

        if isinstance(client, ClientProvider):
            client = client.get() if (client.parallel and todo) else None
        if client is None:
            solver = PointSolver(spec)
            for p in todo:
                bar.update(task, description=f"{label} [{_describe(p)}]")
                record(solver.solve(p))
            return done_now

        from dask.distributed import as_completed

        n_workers = max(len(client.scheduler_info().get("workers", {})), 1)
        size = chunk_size or max(1, min(MAX_CHUNK, math.ceil(len(todo) / (2 * n_workers))))
        chunks = _chunks(todo, size)
        bar.update(
            task,
            description=f"{label} [dask: {n_workers} workers, {len(chunks)} chunks; "
            "each worker builds once per rebuild group, Param updates inside]",
        )
        futures = [client.submit(_solve_chunk, spec, c, pure=False) for c in chunks]
        try:
            for fut in as_completed(futures):
                for rec in fut.result():
                    record(rec)
        except BaseException:
            client.cancel(futures)
            raise
    return done_now


class ClientProvider:
    """Starts the dask client on first use (a fully resumed sweep starts no cluster)."""

    def __init__(self, scheduler: str | None = None, workers: int = 0) -> None:
        self.scheduler = scheduler
        self.workers = workers
        self._cm: Any = None
        self._client: Any = None

    @property
    def parallel(self) -> bool:
        """True when points go to dask."""
        return bool(self.scheduler) or self.workers > 0

    def get(self) -> Any:
        """The client (started now if needed)."""
        if self._client is None:
            self._cm = dask_client(self.scheduler, self.workers)
            self._client = self._cm.__enter__()
        return self._client

    def close(self) -> None:
        """Close the client and any local cluster it started."""
        if self._cm is not None:
            cm, self._cm, self._client = self._cm, None, None
            cm.__exit__(None, None, None)


@contextmanager
def open_client(scheduler: str | None, workers: int) -> Iterator[ClientProvider]:
    """A :class:`ClientProvider` closed on exit (no cluster is started unless needed)."""
    provider = ClientProvider(scheduler, workers)
    try:
        yield provider
    finally:
        provider.close()
