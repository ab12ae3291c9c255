"""Class 3: non-finite and out-of-range numbers are rejected at the schema, naming the field.

Each case overrides one field of the tiny scenario and expects exit 2 with exactly one line
``error: FILE: FIELD.PATH: reason``; none of them may reach the model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from ecoserve_opt.cli import app
from ecoserve_opt.exceptions import ScenarioError
from ecoserve_opt.io.yaml_loader import set_dot_path, validate_dict

runner = CliRunner()
FLAT24 = ",".join(["1"] * 23)

CASES = [
    # (override, field path in the message, reason in the message)
    ("grid.intensity=.inf", "grid.intensity", "Input should be a finite number"),
    ("grid.intensity=-.inf", "grid.intensity", "Input should be a finite number"),
    ("grid.intensity=.nan", "grid.intensity", "Input should be a finite number"),
    ("grid.intensity=1e999 g/kWh", "grid.intensity", "Input should be a finite number"),
    ("grid.pue=.nan", "grid.pue", "Input should be a finite number"),
    (
        "llms.tiny-llm.online.tokens_per_s=.inf",
        "llms.tiny-llm.online.tokens_per_s",
        "Input should be a finite number",
    ),
    (
        f"llms.tiny-llm.online.diurnal=[.nan,{FLAT24}]",
        "llms.tiny-llm.online.diurnal.0",
        "Input should be a finite number",
    ),
    (
        f"llms.tiny-llm.online.diurnal=[{FLAT24},.inf]",
        "llms.tiny-llm.online.diurnal.23",
        "Input should be a finite number",
    ),
    ("llms.tiny-llm.online.rate_scale=.inf", "llms.tiny-llm.online.rate_scale", "finite"),
    ("hardware.tp_degrees=[0]", "hardware.tp_degrees.0", "greater than or equal to 1"),
    ("hardware.tp_degrees=[1,-2]", "hardware.tp_degrees.1", "greater than or equal to 1"),
    ("hardware.tp_degrees=[]", "hardware.tp_degrees", "at least 1 item"),
    ("hardware.batches=[-1]", "hardware.batches.0", "greater than or equal to 1"),
    ("hardware.batches=[4, 0]", "hardware.batches.1", "greater than or equal to 1"),
    ("recycle.gpu_extra_years=[-5]", "recycle.gpu_extra_years.0", "greater than or equal to 0"),
    ("recycle.host_extra_years=[0,99]", "recycle.host_extra_years.1", "less than or equal to 30"),
    ("recycle.owned_extra_years=-1", "recycle.owned_extra_years", "greater than or equal to 0"),
    ("solver.time_limit=-5", "solver.time_limit", "greater than 0"),
    ("solver.time_limit=0", "solver.time_limit", "greater than 0"),
    ("solver.time_limit=.nan", "solver.time_limit", "finite"),
    ("solver.mip_rel_gap=1", "solver.mip_rel_gap", "less than 1"),
    ("solver.mip_rel_gap=-0.1", "solver.mip_rel_gap", "greater than or equal to 0"),
    ("solver.threads=0", "solver.threads", "greater than or equal to 1"),
    ("solver.seed=-1", "solver.seed", "greater than or equal to 0"),
    ("start_year=-3", "start_year", "greater than or equal to 1900"),
    ("hardware.available_from={gpu-a: 99999}", "hardware.available_from.gpu-a", "2200"),
    (
        "inventory.gpus=[{gpu: gpu-a, count: 100000000000000000000000}]",
        "inventory.gpus.0.count",
        "less than or equal to 10000000",
    ),
    ("inventory.dram_gb=.inf", "inventory.dram_gb", "finite"),
    ("llms.tiny-llm.online.input_tokens=0", "llms.tiny-llm.online.input_tokens", "greater than 0"),
]


@pytest.mark.parametrize(("override", "field", "reason"), CASES)
def test_cli_rejects_with_one_line(tiny_path: Path, override: str, field: str, reason: str) -> None:
    r = runner.invoke(app, ["validate", str(tiny_path), "-o", override])
    assert r.exit_code == 2, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"error: {tiny_path}: {field}: ")
    assert reason in lines[0]
    assert "Traceback" not in r.output


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("grid.intensity", float("inf")),
        ("llms.tiny-llm.online.tokens_per_s", float("nan")),
        ("inventory.ssd_tb", float("-inf")),
        ("host_needs.dram_gb_per_host", float("inf")),
        ("prices.electricity", float("nan")),
        ("demand_growth_per_year", float("nan")),
    ],
)
def test_python_api_rejects_non_finite(tiny_dict: dict[str, Any], path: str, value: float) -> None:
    """The same holds for the Python API (floats straight from code, not YAML)."""
    set_dot_path(tiny_dict, path, value)
    with pytest.raises(ScenarioError) as exc:
        validate_dict(tiny_dict)
    assert exc.value.path == path
    assert exc.value.reason == "Input should be a finite number"


def test_non_finite_in_yaml_file(tmp_path: Path, tiny_dict: dict[str, Any]) -> None:
    tiny_dict["grid"]["intensity"] = float("inf")
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(tiny_dict))  # writes .inf
    assert ".inf" in p.read_text()
    r = runner.invoke(app, ["solve", str(p)])
    assert r.exit_code == 2
    assert r.stderr.strip() == f"error: {p}: grid.intensity: Input should be a finite number"


def test_valid_edge_values_still_accepted(tiny_dict: dict[str, Any]) -> None:
    """The bounds are not tighter than real use: zero intensity, gap 0, TP 8, big counts."""
    set_dot_path(tiny_dict, "grid.intensity", 0.0)
    set_dot_path(tiny_dict, "solver.mip_rel_gap", 0.0)
    set_dot_path(tiny_dict, "solver.time_limit", "2 min")
    set_dot_path(tiny_dict, "hardware.tp_degrees", [1, 8])
    set_dot_path(tiny_dict, "inventory.gpus", [{"gpu": "gpu-a", "count": 100000}])
    loaded = validate_dict(tiny_dict)
    assert loaded.scenario.solver.time_limit_s == pytest.approx(120.0)
    assert loaded.scenario.hardware.tp_degrees == [1, 8]
