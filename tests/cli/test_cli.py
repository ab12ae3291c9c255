"""CLI smoke tests: exit codes, one-line errors, written results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from ecoserve_opt.cli import app

runner = CliRunner()


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(data))
    return p


def test_validate_ok(tiny_path: Path) -> None:
    r = runner.invoke(app, ["validate", str(tiny_path)])
    assert r.exit_code == 0, r.output
    assert "valid" in r.output


@pytest.mark.milp
def test_solve_writes_results(tiny_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "res"
    r = runner.invoke(app, ["solve", str(tiny_path), "--out", str(out), "--format", "parquet"])
    assert r.exit_code == 0, r.output
    assert "optimal" in r.output
    meta = json.loads((out / "meta.json").read_text())
    assert meta["status"] == "optimal"
    assert len(meta["scenario_hash"]) == 16
    from ecoserve_opt.results import Results

    back = Results.from_dir(out)
    assert back.carbon == pytest.approx(3950.2)
    assert (out / "breakdown.parquet").exists()


@pytest.mark.milp
def test_solve_json_and_override(tiny_path: Path) -> None:
    r = runner.invoke(app, ["solve", str(tiny_path), "--json", "-o", "hardware.gpus=[gpu-b]"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout.strip().splitlines()[-1])
    assert data["carbon_kg"] == pytest.approx(5061.6)


def test_bad_scenario_one_line_error(tmp_path: Path, tiny_dict: dict[str, Any]) -> None:
    tiny_dict["grid"]["pue"] = 0.5
    p = _write(tmp_path, tiny_dict)
    r = runner.invoke(app, ["solve", str(p)])
    assert r.exit_code == 2
    assert r.stderr.strip().startswith(f"error: {p}: grid.pue:")
    assert "Traceback" not in r.output


def test_unmeetable_slo_exit_3(tmp_path: Path, tiny_dict: dict[str, Any]) -> None:
    tiny_dict["llms"]["tiny-llm"]["online"]["tpot_slo"] = "1 ms"
    p = _write(tmp_path, tiny_dict)
    r = runner.invoke(app, ["solve", str(p)])
    assert r.exit_code == 3
    assert "llms.tiny-llm.online: no GPU configuration can serve this demand" in r.stderr
    assert "best TPOT 5.0 ms > SLO 1.0 ms" in r.stderr


def test_check_solver() -> None:
    r = runner.invoke(app, ["check-solver"])
    assert r.exit_code == 0, r.output
    assert "ok" in r.output


def test_schema_is_json() -> None:
    r = runner.invoke(app, ["schema"])
    assert r.exit_code == 0
    assert "llms" in json.loads(r.stdout)["properties"]
