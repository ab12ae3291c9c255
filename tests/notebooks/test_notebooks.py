"""Execute the notebooks (jupytext percent ``.py`` -> notebook -> nbclient, kernel python3).

Each notebook runs from the repository root with small settings and writes only to a
temporary folder; a failing cell fails the test with the cell's traceback.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.py"))
TIMEOUT_S = 300  # per cell; each notebook takes well under a minute

pytestmark = pytest.mark.milp


def _execute(path: Path) -> float:
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    nb = jupytext.read(path)
    client = nbclient.NotebookClient(
        nb,
        timeout=TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(REPO)}},
    )
    t0 = time.perf_counter()
    client.execute()
    return time.perf_counter() - t0


def test_notebooks_found() -> None:
    names = [p.name for p in NOTEBOOKS]
    assert "01_quickstart.py" in names


def _visible() -> set[Path]:
    """Top-level entries of the repo and everything under notebooks/: where a notebook
    writing relative to its working directory would leave files (hidden caches aside)."""
    top = {p for p in REPO.iterdir() if not p.name.startswith(".")}
    nbs = {
        p
        for p in (REPO / "notebooks").rglob("*")
        if "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts
    }
    return top | nbs


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path) -> None:
    before = _visible()
    _execute(path)
    written = sorted(_visible() - before)
    assert not written, f"{path.name} wrote into the repository: {written}"
