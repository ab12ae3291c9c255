"""Infeasible scenarios are explained: the slack mode names what cannot be served."""

from __future__ import annotations

from typing import Any

import pytest

from ecoserve_opt.diagnostics import diagnose
from ecoserve_opt.io.yaml_loader import validate_dict

pytestmark = pytest.mark.milp


def _inventory_only(tiny_dict: dict[str, Any]) -> dict[str, Any]:
    """Only owned hardware in year 1: 3 gpu-a (600 tok/s) on 1 owned host-x; new GPUs come
    in 2030. Online demand 1000 tok/s -> 400 tok/s cannot be served."""
    tiny_dict["pillars"]["reuse"] = True
    tiny_dict["hardware"]["available_from"] = {"gpu-a": 2030, "gpu-b": 2030}
    tiny_dict["inventory"] = {
        "gpus": [{"gpu": "gpu-a", "count": 3, "age_years": 1}],
        "hosts": [{"host": "host-x", "count": 1, "age_years": 1}],
    }
    return tiny_dict


def test_slack_mode_names_unmet_demand(tiny_dict: dict[str, Any]) -> None:
    diag = diagnose(validate_dict(_inventory_only(tiny_dict)))
    assert not diag.ok
    row = diag.unmet.iloc[0]
    assert (row["llm"], row["class"], row["year"]) == ("tiny-llm", "online", 1)
    assert row["unmet"] == pytest.approx(400.0, rel=1e-6)
    assert row["share"] == pytest.approx(0.4, rel=1e-6)
    assert "tiny-llm online year 1 slot 0: 400 tokens/s unmet (40% of demand)" in diag.text()


def test_infeasible_solve_exits_3_with_diagnosis(tiny_dict: dict[str, Any], tmp_path: Any) -> None:
    import yaml
    from typer.testing import CliRunner

    from ecoserve_opt.cli import app

    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(_inventory_only(tiny_dict)))
    r = CliRunner().invoke(app, ["solve", str(p)])
    assert r.exit_code == 3
    assert "infeasible" in r.output
    assert "400 tokens/s unmet" in r.stderr


def test_diagnose_ok_scenario(tiny_dict: dict[str, Any]) -> None:
    diag = diagnose(validate_dict(tiny_dict))
    assert diag.ok
    assert "all demand can be served" in diag.text()
    assert diag.ranges["ratio"] >= 1.0
