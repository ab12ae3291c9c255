"""Sweeps and fronts on a dask.distributed cluster give the serial results.

One local cluster is started per module through the same code path as ``--workers 2``
(``LocalCluster(n_workers=2, threads_per_worker=1, processes=True)``, ~3-5 s on 2 cores);
the tests reach it through its scheduler address, as ``--scheduler tcp://HOST:PORT`` would.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from ecoserve_opt.io.yaml_loader import LoadedScenario
from ecoserve_opt.studies import dask_client, sweep
from ecoserve_opt.studies.pareto import pareto
from tests.helpers import carbon_a, carbon_b

pytestmark = pytest.mark.milp
pytest.importorskip("distributed")

GRID = {"grid_intensity": "0:200:25", "embodied_source": "act,greensku"}  # 18 points


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    with dask_client(None, workers=2) as client:
        info = client.scheduler_info()
        assert len(info["workers"]) == 2
        assert all(w["nthreads"] == 1 for w in info["workers"].values())
        yield str(client.scheduler.address)


def test_dask_sweep_matches_serial(switch: LoadedScenario, scheduler: str, tmp_path: Path) -> None:
    serial = sweep(switch, GRID, tmp_path / "serial")
    par = sweep(switch, GRID, tmp_path / "dask", scheduler=scheduler, chunk_size=4)
    pd.testing.assert_frame_equal(par.comparable(), serial.comparable())
    act = par.sweep()
    act = act[act["embodied_source"] == "act"]
    expected = [min(carbon_a(c), carbon_b(c)) for c in act["grid_intensity"]]
    assert act["carbon_kg"].tolist() == pytest.approx(expected, rel=1e-9)
    # all done: a rerun solves nothing and does not even start its own cluster
    again: list[object] = []
    sweep(switch, GRID, tmp_path / "dask", workers=2, on_point=again.append)
    assert again == []


def test_dask_pareto_and_resumed_sweep(
    tradeoff: LoadedScenario, switch: LoadedScenario, scheduler: str, tmp_path: Path
) -> None:
    front = pareto(tradeoff, tmp_path / "front", points=8, scheduler=scheduler)
    assert front.pareto_front()["carbon_kg"].tolist() == pytest.approx(
        [5061.6, 4866.2, 4408.2, 3950.2]
    )
    assert len(front.baselines()) == 4
    # part of a sweep serially, the rest on the cluster: the same table as all at once
    out = tmp_path / "sweep"
    sweep(switch, {"grid_intensity": "0:200:50", "embodied_source": "act"}, out)
    res = sweep(switch, GRID, out, scheduler=scheduler)
    ref = sweep(switch, GRID, tmp_path / "ref")
    pd.testing.assert_frame_equal(res.comparable(), ref.comparable())
