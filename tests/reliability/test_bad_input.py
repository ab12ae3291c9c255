"""Every kind of bad scenario gets one clear error naming file, field path and reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from ecoserve_opt.cli import app
from ecoserve_opt.data import build_data
from ecoserve_opt.exceptions import CatalogError, InfeasibleError, ScenarioError
from ecoserve_opt.io.yaml_loader import load_scenario

runner = CliRunner()


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(data))
    return p


def _solve_cli(p: Path) -> Any:
    return runner.invoke(app, ["solve", str(p)])


def test_model_fits_no_gpu_memory(
    tmp_path: Path, tiny_dict: dict[str, Any], catalog_copy: Any
) -> None:
    llms = pd.read_csv(Path(tiny_dict["catalog"]) / "llms.csv")
    llms["weights_gb"] = 500.0
    tiny_dict["catalog"] = str(catalog_copy(llms=llms))
    p = _write(tmp_path, tiny_dict)
    r = _solve_cli(p)
    assert r.exit_code == 3
    assert (
        "llms.tiny-llm.online: no GPU configuration can serve this demand: the model "
        "(500 GB of weights) fits no candidate GPU's memory even at TP 1"
    ) in r.stderr


def test_missing_catalog_entry(tmp_path: Path, tiny_dict: dict[str, Any]) -> None:
    tiny_dict["hardware"]["gpus"] = ["gpu-a", "gpu-c"]
    p = _write(tmp_path, tiny_dict)
    r = _solve_cli(p)
    assert r.exit_code == 2
    assert r.stderr.strip() == (
        f"error: {p}: hardware.gpus.gpu-c: unknown GPU 'gpu-c' (not in the catalog); "
        "did you mean gpu-b, gpu-a?"
    )


def test_unknown_owned_host(tmp_path: Path, tiny_dict: dict[str, Any]) -> None:
    tiny_dict["pillars"]["reuse"] = True
    tiny_dict["inventory"] = {"hosts": [{"host": "host-q", "count": 2}]}
    p = _write(tmp_path, tiny_dict)
    with pytest.raises(ScenarioError) as exc:
        build_data(load_scenario(p))
    assert exc.value.path == "inventory.hosts.0.host"


def test_empty_gpu_list(tmp_path: Path, tiny_dict: dict[str, Any]) -> None:
    tiny_dict["hardware"]["gpus"] = []
    p = _write(tmp_path, tiny_dict)
    r = _solve_cli(p)
    assert r.exit_code == 2
    assert "hardware.gpus: List should have at least 1 item after validation" in r.stderr


def test_missing_catalog_table(
    tmp_path: Path, tiny_dict: dict[str, Any], catalog_copy: Any
) -> None:
    cat = catalog_copy()
    (cat / "profiles.csv").unlink()
    tiny_dict["catalog"] = str(cat)
    p = _write(tmp_path, tiny_dict)
    with pytest.raises(CatalogError) as exc:
        build_data(load_scenario(p))
    assert exc.value.file.endswith("profiles.csv")
    assert exc.value.reason == "catalog table not found"


def test_catalog_row_without_source(tiny_dict: dict[str, Any], catalog_copy: Any) -> None:
    from ecoserve_opt.catalog import load_catalog

    gpus = pd.read_csv(Path(tiny_dict["catalog"]) / "gpus.csv")
    gpus.loc[1, "source"] = ""
    cat = catalog_copy(gpus=gpus)
    with pytest.raises(CatalogError) as exc:
        load_catalog(cat)
    assert exc.value.path == "row 3.source"
    assert exc.value.reason == "every row needs a source"


def test_not_a_mapping(tmp_path: Path) -> None:
    p = tmp_path / "s.yaml"
    p.write_text("- just\n- a list\n")
    r = _solve_cli(p)
    assert r.exit_code == 2
    assert r.stderr.strip() == f"error: {p}: top level must be a mapping, not list"


def test_debug_shows_traceback(tmp_path: Path, tiny_dict: dict[str, Any]) -> None:
    tiny_dict["grid"]["pue"] = 0.5
    p = _write(tmp_path, tiny_dict)
    r = runner.invoke(app, ["--debug", "solve", str(p)])
    assert r.exit_code != 0
    assert isinstance(r.exception, ScenarioError)


def test_nothing_buyable_in_year_one(tiny_dict: dict[str, Any]) -> None:
    from ecoserve_opt import build
    from ecoserve_opt.io.yaml_loader import validate_dict

    tiny_dict["hardware"]["available_from"] = {"host-x": 2030}
    with pytest.raises(InfeasibleError, match="year 1: no host can be bought yet"):
        build(validate_dict(tiny_dict))
