"""One unit convention for a bare grid intensity: gCO2e/kWh everywhere (issue 13, item 5).

Scenario YAML, ``--override``, ``sweep --values`` and ``Built.set`` all read ``420`` as
420 gCO2e/kWh; the model sees 0.42 kgCO2e/kWh. A bare value in (0, 2) is refused everywhere
as a probable kgCO2e/kWh value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import ecoserve_opt as eo
from ecoserve_opt.exceptions import EcoserveError, ScenarioError
from ecoserve_opt.io.yaml_loader import load_scenario, validate_dict
from ecoserve_opt.studies import parse_values
from ecoserve_opt.vocabulary import param_label, param_unit


@pytest.mark.parametrize("value", [420, "420", "420 gCO2e/kWh", "0.42 kgCO2e/kWh"])
def test_yaml_reads_a_bare_intensity_as_grams(tiny_dict: dict[str, Any], value: Any) -> None:
    tiny_dict["grid"]["intensity"] = value
    assert validate_dict(tiny_dict).scenario.grid.intensity == pytest.approx(0.42)


def test_override_reads_a_bare_intensity_as_grams(tiny_path: Path, tmp_path: Path) -> None:
    data = yaml.safe_load(tiny_path.read_text())
    data["catalog"] = str(tiny_path.parent / "catalog")
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    loaded = load_scenario(path, overrides={"grid.intensity": 300})
    assert loaded.scenario.grid.intensity == pytest.approx(0.3)


def test_sweep_values_are_grams_like_yaml() -> None:
    assert parse_values("grid_intensity", "420,0.3 kgCO2e/kWh") == [420, 300]
    assert param_unit("grid_intensity") == "gCO2e/kWh"
    assert param_label("grid_intensity") == "grid carbon intensity (gCO2e/kWh)"


@pytest.mark.milp
def test_built_set_matches_a_rebuild_at_the_same_bare_number(tiny_dict: dict[str, Any]) -> None:
    built = eo.build(validate_dict(tiny_dict))
    via_set = built.set(grid_intensity=250).solve().carbon
    tiny_dict["grid"]["intensity"] = 250
    rebuilt = eo.solve(validate_dict(tiny_dict)).carbon
    assert via_set == pytest.approx(rebuilt, rel=1e-9)


def test_a_bare_kilogram_value_is_refused_everywhere(tiny_dict: dict[str, Any]) -> None:
    msg = "bare number 0.42 is read as 0.42 gCO2e/kWh, which is implausibly low"
    tiny_dict["grid"]["intensity"] = 0.42
    with pytest.raises(ScenarioError, match=msg) as exc:
        validate_dict(tiny_dict)
    assert exc.value.path == "grid.intensity"
    with pytest.raises(EcoserveError, match=msg):
        parse_values("grid_intensity", "0.42")
    tiny_dict["grid"]["intensity"] = "500 gCO2e/kWh"
    built = eo.build(validate_dict(tiny_dict))
    with pytest.raises(EcoserveError, match=msg):
        built.set(grid_intensity=0.42)
