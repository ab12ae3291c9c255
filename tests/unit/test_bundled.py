"""Bundled scenarios by name (``ecoserve solve default`` from any folder)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecoserve_opt.exceptions import ScenarioError
from ecoserve_opt.io.yaml_loader import load_scenario
from ecoserve_opt.paths import bundled_scenarios, resolve_scenario


def test_bundled_names() -> None:
    names = bundled_scenarios()
    assert {"default", "ecoserve_paper"} <= set(names)
    assert all(p.suffix == ".yaml" and p.is_file() for p in names.values())


def test_name_resolves_from_any_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_scenario("default") == bundled_scenarios()["default"]
    assert resolve_scenario("default.yaml") == bundled_scenarios()["default"]
    assert load_scenario("default").scenario.name == "default"
    # a file of that name in the working folder wins over the bundled one
    (tmp_path / "default").write_text("x: 1\n")
    assert resolve_scenario("default") == Path("default")


def test_unknown_name_lists_the_bundled_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(
        ScenarioError,
        match=r"file not found \(bundled scenarios by name: "
        r"cpu_reuse, default, disaggregated, ecoserve_paper",
    ):
        load_scenario("nope")
