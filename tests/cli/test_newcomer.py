"""The newcomer's CLI: --version, bundled scenarios, results folder, Dask only when asked,
readable numbers, the status line's gap parser."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecoserve_opt import __version__
from ecoserve_opt.cli import app
from ecoserve_opt.cli._common import results_folder
from ecoserve_opt.cli.status import parse_gap

runner = CliRunner()


def test_version() -> None:
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0
    assert r.output.strip() == f"ecoserve-opt {__version__}"


def test_scenarios_and_init(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["scenarios"])
    assert r.exit_code == 0, r.output
    assert "default" in r.output
    assert "ecoserve_paper" in r.output
    r = runner.invoke(app, ["init", "default"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "default.yaml").is_file()
    r = runner.invoke(app, ["init", "default"])
    assert r.exit_code == 2
    assert "exists (use --force to overwrite)" in r.output
    r = runner.invoke(app, ["init", "nope"])
    assert r.exit_code == 2
    assert (
        "no bundled scenario 'nope' (bundled: cpu_reuse, default, disaggregated, ecoserve_paper"
        in r.output
    )
    r = runner.invoke(app, ["validate", "default"])  # a bundled name works anywhere
    assert r.exit_code == 0, r.output


def test_results_folder_names() -> None:
    assert results_folder("default") == Path("results/default")
    assert results_folder("default", "low_carbon_grid", "sweep", "grid_intensity") == Path(
        "results/default-low_carbon_grid-sweep-grid_intensity"
    )
    assert results_folder("a b/c", "pareto") == Path("results/a_b_c-pareto")


@pytest.mark.parametrize("command", ["sweep", "pareto"])
def test_dask_asked_for_but_missing(
    command: str, tiny_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import raises ImportError
    args = [command, str(tiny_path), "--workers", "2"]
    if command == "sweep":
        args += ["-p", "grid_intensity", "-v", "100"]
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    # rich must not swallow the [dask] extra
    assert "pip install 'ecoserve-opt[dask]'" in " ".join(r.output.split())
    assert "--workers 2 needs Dask" in r.output


@pytest.mark.milp
def test_solve_defaults_to_results_folder(
    tiny_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["solve", str(tiny_path)])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]
    assert (tmp_path / "results" / "tiny" / "meta.json").is_file()
    assert "results written to results/tiny" in r.output
    # readable numbers with units: 3950.2 kgCO2e is 3.95 t
    assert "3.950 tCO2e" in r.output
    assert "e+0" not in r.output


@pytest.mark.milp
def test_serial_sweep_by_default(
    tiny_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "distributed", None)  # no Dask needed
    r = runner.invoke(
        app, ["sweep", str(tiny_path), "-p", "grid_intensity", "-v", "100,200", "--no-progress"]
    )
    assert r.exit_code == 0, r.output
    assert "(serial)" in r.output
    store = tmp_path / "results" / "tiny-sweep-grid_intensity"
    assert len(list((store / "points").glob("*.json"))) == 2


def test_gap_of_a_highs_progress_line() -> None:
    line = (
        " L       0       0         0   0.00%   154652.627477   156223.097803      1.01%"
        "        8      5     15       145     5.0s"
    )
    assert parse_gap(line) == "1.01%"
    assert (
        parse_gap(
            "         0       0         0   0.00%   0    inf    inf        0      0"
            "      0         0     0.1s"
        )
        == "inf"
    )
    assert parse_gap("24.1% inactive integer columns, restarting") is None


def test_lazy_package_keeps_api_functions() -> None:
    import subprocess

    code = (
        "import sys, ecoserve_opt, ecoserve_opt.cli\n"
        "heavy = [m for m in ('pyomo', 'pandas', 'matplotlib') if m in sys.modules]\n"
        "import ecoserve_opt.solve, ecoserve_opt.studies.sweep, ecoserve_opt.studies.pareto\n"
        "import ecoserve_opt as eo\n"
        "print(heavy, callable(eo.solve), callable(eo.sweep), callable(eo.pareto))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "[] True True True"


def test_dask_chatter_filtered() -> None:
    import logging

    from ecoserve_opt.cli import _QuietDask

    quiet = _QuietDask(logging.ERROR)

    def rec(name: str, level: int) -> logging.LogRecord:
        return logging.LogRecord(name, level, __file__, 1, "m", None, None)

    assert not quiet.filter(rec("distributed.scheduler", logging.INFO))
    assert not quiet.filter(rec("distributed.nanny", logging.WARNING))
    assert quiet.filter(rec("distributed.worker", logging.ERROR))
    assert quiet.filter(rec("ecoserve_opt.studies", logging.WARNING))


def _comparison() -> object:
    import pandas as pd

    names = [
        "performance-optimised",
        "energy-optimised",
        "cost-optimised",
        "carbon-optimised",
        "carbon, no pillars",
        "carbon + reuse_host_cpus",
        "EcoServe without host-CPU reuse",
        "EcoServe",
    ]
    return pd.DataFrame(
        {
            "design": names,
            "group": ["baseline"] * 4 + ["ablation"] * 3 + ["ecoserve"],
            "status": ["optimal"] * 7 + ["feasible"],
            "operational_kg": [2.61e5, 1.52e5, 1.9e5, 1.51e5, 1.6e5, 1.55e5, 1.52e5, 1.50e5],
            "embodied_kg": [1.2e4, 4.9e3, 3.1e3, 4.7e3, 6.0e3, 5.1e3, 4.8e3, 4.6e3],
            "carbon_kg": [2.73e5, 1.569e5, 1.931e5, 1.557e5, 1.66e5, 1.601e5, 1.568e5, 1.546e5],
            "cost_usd": [9.1e5, 5.2e5, 3.9e5, 5.0e5, 5.3e5, 5.1e5, 5.0e5, 4.9e5],
            "energy_kwh": [6.4e5, 3.6e5, 4.5e5, 3.7e5, 3.8e5, 3.7e5, 3.7e5, 3.6e5],
            "offline_host_cpu": [0.0, 0.0, 0.0, 0.0, 0.0, 0.31, 0.0, 0.29],
            "offline_gpu": [1.0, 1.0, 1.0, 1.0, 1.0, 0.69, 1.0, 0.71],
            "offline_owned": [0.0] * 8,
            "ecoserve_reduction": [0.434, 0.015, 0.199, 0.007, 0.069, 0.034, 0.014, 0.0],
        }
    )


def test_compare_table_fits_100_columns() -> None:
    from rich.console import Console

    from ecoserve_opt.cli.compare import compare_table

    con = Console(width=100, record=True, color_system=None)
    con.print(compare_table(_comparison()))
    text = con.export_text()
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "…" not in text  # nothing truncated
    head = " ".join(text.split())
    assert "total cost energy" in head  # two-line headers: names, then units
    assert "(tCO2e) (tCO2e) (tCO2e) (k USD) (MWh)" in head
    row = next(line for line in text.splitlines() if line.strip().startswith("performance"))
    assert "273" in row  # 2.73e5 kgCO2e in tCO2e
    assert "43%" in row  # EcoServe saves
    assert "e+0" not in text


@pytest.mark.milp
@pytest.mark.parametrize("flag", ["--csv", "--json"])
def test_compare_for_machines(flag: str, tiny_path: Path) -> None:
    import io
    import json

    import pandas as pd

    r = runner.invoke(app, ["compare", str(tiny_path), "--no-ablation", flag])
    assert r.exit_code == 0, r.output
    out = r.stdout
    df = pd.read_csv(io.StringIO(out)) if flag == "--csv" else pd.DataFrame(json.loads(out))
    assert {"design", "carbon_kg", "cost_usd"} <= set(df.columns)
    assert len(df) >= 2
    assert "family" in df.columns
