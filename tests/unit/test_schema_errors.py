"""Schema and loader errors name the file, the field path and the reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ecoserve_opt.exceptions import ScenarioError
from ecoserve_opt.io.yaml_loader import load_scenario, set_dot_path
from ecoserve_opt.schema.units import from_canonical, to_canonical


def _write(tmp_path: Path, data: Any, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return p


def test_unknown_key_names_path(tmp_path: Path, tiny_dict: dict[str, Any]) -> None:
    tiny_dict["llms"]["tiny-llm"]["online"]["ttft_sloo"] = 1
    p = _write(tmp_path, tiny_dict)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(p)
    assert str(exc.value) == f"{p}: llms.tiny-llm.online.ttft_sloo: unknown key (not allowed here)"


def test_wrong_unit_names_path(tmp_path: Path, tiny_dict: dict[str, Any]) -> None:
    tiny_dict["grid"]["intensity"] = "420 kWh"
    p = _write(tmp_path, tiny_dict)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(p)
    assert exc.value.path == "grid.intensity"
    assert "unit 'kWh' is not a carbon intensity unit" in exc.value.reason


def test_negative_demand(tmp_path: Path, tiny_dict: dict[str, Any]) -> None:
    tiny_dict["llms"]["tiny-llm"]["online"]["tokens_per_s"] = -5
    p = _write(tmp_path, tiny_dict)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(p)
    assert exc.value.path == "llms.tiny-llm.online.tokens_per_s"
    assert exc.value.reason == "Input should be greater than or equal to 0"


def test_malformed_yaml_names_line(tmp_path: Path) -> None:
    p = _write(tmp_path, "name: x\nllms: [unclosed\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(p)
    assert exc.value.file == str(p)
    assert exc.value.path.startswith("line ")
    assert exc.value.reason.startswith("malformed YAML")


def test_empty_llms(tmp_path: Path, tiny_dict: dict[str, Any]) -> None:
    tiny_dict["llms"] = {}
    p = _write(tmp_path, tiny_dict)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(p)
    assert exc.value.path == "llms"


def test_missing_file() -> None:
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario("does/not/exist.yaml")


def test_include_and_named_overrides(tmp_path: Path, tiny_dict: dict[str, Any]) -> None:
    base = dict(tiny_dict)
    grid = base.pop("grid")
    _write(tmp_path, {"grid": grid}, "grid.yaml")
    base["include"] = ["grid.yaml"]
    base["overrides"] = {
        "dirty": {"grid.intensity": "800 gCO2e/kWh"},
        "pue": {"grid.pue": 1.5},
    }
    base["scenarios"] = {"both": ["dirty", "pue"]}
    p = _write(tmp_path, base)
    plain = load_scenario(p).scenario
    assert plain.grid.intensity == pytest.approx(0.5)
    both = load_scenario(p, scenario="both", overrides={"grid.pue": 1.2})
    assert both.scenario.grid.intensity == pytest.approx(0.8)
    assert both.scenario.grid.pue == pytest.approx(1.2)  # explicit override wins
    assert both.applied == ("dirty", "pue", "grid.pue=1.2")


def test_unknown_override_group(tmp_path: Path, tiny_dict: dict[str, Any]) -> None:
    p = _write(tmp_path, tiny_dict)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(p, scenario="nope")
    assert exc.value.path == "overrides.nope"


def test_dot_path_keeps_dotted_keys() -> None:
    d: dict[str, Any] = {"llms": {"llama3.2-1b": {"online": {"requests_per_s": 1}}}}
    set_dot_path(d, "llms.llama3.2-1b.online.requests_per_s", 7)
    assert d["llms"]["llama3.2-1b"]["online"]["requests_per_s"] == 7


@pytest.mark.parametrize(
    ("text", "dim", "unit", "number"),
    [
        ("420 gCO2e/kWh", "carbon_intensity", "gCO2e/kWh", 420),
        ("3 years", "duration", "years", 3),
        ("200 ms", "latency", "ms", 200),
        ("0.7 kW", "power", "W", 700),
        ("25 %", "fraction", "%", 25),
    ],
)
def test_unit_round_trip(text: str, dim: str, unit: str, number: float) -> None:
    assert from_canonical(to_canonical(text, dim), dim, unit) == pytest.approx(number)


def test_unknown_llm_in_catalog(tmp_path: Path, tiny_dict: dict[str, Any]) -> None:
    from ecoserve_opt.data import build_data

    tiny_dict["llms"]["tiny-lm"] = tiny_dict["llms"].pop("tiny-llm")
    p = _write(tmp_path, tiny_dict)
    with pytest.raises(ScenarioError) as exc:
        build_data(load_scenario(p))
    assert exc.value.path == "llms.tiny-lm"
    assert "did you mean tiny-llm" in exc.value.reason
