"""The newcomer's path: the wheel built from this tree, installed into a fresh venv, used
from an empty folder, with Dask absent.

Offline by design: the wheel is built with ``--no-build-isolation`` (hatchling from the
test extra) and the venv is created with ``--system-site-packages`` so the runtime
dependencies (Pyomo, HiGHS, pandas, ...) come from this interpreter instead of a download;
the package itself is installed from the wheel only (``--no-deps --no-index``), and the
test checks that ``ecoserve_opt`` is imported from the venv, not from this checkout. Dask
is made absent inside the venv by shadowing ``dask`` and ``distributed`` with packages
whose import raises ``ModuleNotFoundError`` (what Python raises when they are not
installed), since the system site-packages may have them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.milp]

_MISSING = 'raise ModuleNotFoundError("No module named {name!r}", name={name!r})\n'


def _run(cmd: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["COLUMNS"] = "100"
    return subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("hatchling", reason="building the wheel offline needs hatchling")
    tmp = tmp_path_factory.mktemp("wheel")
    dist = tmp / "dist"
    build = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "-w", str(dist), str(ROOT)],
        cwd=tmp,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-3000:]
    wheels = list(dist.glob("ecoserve_opt-*.whl"))
    assert len(wheels) == 1, wheels
    env_dir = tmp / "venv"
    made = _run([sys.executable, "-m", "venv", "--system-site-packages", str(env_dir)], cwd=tmp)
    assert made.returncode == 0, made.stderr
    py = env_dir / "bin" / "python"
    site = Path(
        _run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=tmp
        ).stdout.strip()
    )
    assert site.is_dir(), site
    for name in ("dask", "distributed"):
        (site / name).mkdir()
        (site / name / "__init__.py").write_text(_MISSING.format(name=name))
    inst = _run(
        [str(py), "-m", "pip", "install", "--no-deps", "--no-index", str(wheels[0])], cwd=tmp
    )
    assert inst.returncode == 0, inst.stderr[-3000:]
    where = _run([str(py), "-c", "import ecoserve_opt; print(ecoserve_opt.__file__)"], cwd=tmp)
    assert where.stdout.strip().startswith(str(site)), where.stdout + where.stderr
    nodask = _run([str(py), "-c", "import dask"], cwd=tmp)
    assert "No module named 'dask'" in nodask.stderr
    return env_dir


def test_wheel_ships_the_runtime_not_the_catalog_build(venv: Path) -> None:
    """The offline catalog build (catalog_build/) stays out of the wheel; the run-time spec
    tables the roofline reads and the bundled catalog are in it."""
    import zipfile

    (wheel,) = (venv.parent / "dist").glob("ecoserve_opt-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert [n for n in names if n.startswith("catalog_build")] == []
    assert not any("/build_" in n or "/fit_" in n for n in names)
    for need in (
        "ecoserve_opt/perf/interconnect.csv",
        "ecoserve_opt/perf/cpu_arch.csv",
        "ecoserve_opt/_bundled/models/gpus.csv",
        "ecoserve_opt/_bundled/models/host_components.csv",
    ):
        assert need in names, need


def test_version(venv: Path, tmp_path: Path) -> None:
    from ecoserve_opt import __version__

    r = _run([str(venv / "bin" / "ecoserve"), "--version"], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"ecoserve-opt {__version__}"


def test_solve_bundled_scenario_from_an_empty_folder(venv: Path, tmp_path: Path) -> None:
    work = tmp_path / "empty"
    work.mkdir()
    r = _run([str(venv / "bin" / "ecoserve"), "solve", "default"], cwd=work)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "status=optimal" in r.stdout or "status=feasible" in r.stdout
    assert "tCO2e" in r.stdout
    assert "e+0" not in r.stdout  # readable numbers, no exponents
    # results go to a named folder under results/, nothing else in the working folder
    assert sorted(p.name for p in work.iterdir()) == ["results"]
    out = work / "results" / "default"
    assert (out / "meta.json").is_file()
    assert (out / "scenario.resolved.yaml").is_file()


def test_three_point_sweep_without_dask(venv: Path, tmp_path: Path) -> None:
    r = _run(
        [str(venv / "bin" / "ecoserve"), "sweep", "default", "-p", "grid_intensity",
         "-v", "100,300,500", "--no-progress"],
        cwd=tmp_path,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "Traceback" not in r.stderr
    assert "CommClosedError" not in r.stdout + r.stderr
    store = tmp_path / "results" / "default-sweep-grid_intensity"
    assert len(list((store / "points").glob("*.json"))) == 3
    # asking for workers without Dask says how to get it, brackets intact
    r2 = _run(
        [str(venv / "bin" / "ecoserve"), "sweep", "default", "-p", "grid_intensity",
         "-v", "100", "--workers", "2"],
        cwd=tmp_path,
    )  # fmt: skip
    assert r2.returncode == 2
    assert "pip install 'ecoserve-opt[dask]'" in r2.stdout + r2.stderr
