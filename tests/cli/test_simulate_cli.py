"""``ecoserve simulate`` and ``ecoserve solve --validate``: outputs, exit codes, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from ecoserve_opt.cli import app
from ecoserve_opt.simulate import SLO_COLUMNS

runner = CliRunner()


@pytest.fixture(scope="module")
def tiny_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tiny = Path(__file__).resolve().parents[1] / "fixtures" / "tiny" / "base.yaml"
    out = tmp_path_factory.mktemp("tiny") / "res"
    r = runner.invoke(app, ["solve", str(tiny), "--out", str(out), "--validate"])
    assert r.exit_code == 0, r.output
    assert "SLO attainment under replay" in r.output
    return out


def test_solve_validate_writes_the_slo_table(tiny_results: Path) -> None:
    slo = pd.read_csv(tiny_results / "slo.csv")
    assert list(slo.columns) == SLO_COLUMNS
    assert slo["llm"].tolist() == ["tiny-llm"]
    assert json.loads((tiny_results / "slo.json").read_text())["duration_s"] == 3600.0


def test_simulate_command_options(tiny_results: Path) -> None:
    r = runner.invoke(
        app,
        [
            "simulate",
            str(tiny_results),
            "--rate-scale",
            "2",
            "--duration",
            "5 min",
            "--seed",
            "3",
            "--routing",
            "p2c",
            "--trace",
            "azure-conv-2023",
        ],
    )
    assert r.exit_code == 0, r.output
    st = json.loads((tiny_results / "slo.json").read_text())
    assert (st["rate_scale"], st["duration_s"], st["seed"], st["routing"]) == (
        2.0,
        300.0,
        3,
        "p2c",
    )
    assert st["trace"] == "azure-conv-2023"
    assert (tiny_results / "slo_cdf.svg").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--trace", "azure-chat"], "--trace: unknown trace 'azure-chat'"),
        (["--rate-scale", "-1"], "--rate-scale: must be > 0, got -1"),
        (["--duration", "soon"], "--duration: cannot read 'soon'"),
        (["--routing", "rr"], "--routing: unknown policy 'rr'"),
    ],
)
def test_simulate_bad_options(tiny_results: Path, args: list[str], message: str) -> None:
    r = runner.invoke(app, ["simulate", str(tiny_results), *args])
    assert r.exit_code == 2
    assert message in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_simulate_folder_without_fleet(tmp_path: Path) -> None:
    r = runner.invoke(app, ["simulate", str(tmp_path)])
    assert r.exit_code == 2
    assert "not a results folder (no meta.json" in r.output
    (tmp_path / "meta.json").write_text(json.dumps({"status": "infeasible"}))
    r = runner.invoke(app, ["simulate", str(tmp_path)])
    assert r.exit_code == 2
    assert "no fleet to replay" in r.output
