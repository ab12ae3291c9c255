"""`ecoserve catalog` lists the bundled catalog with sources; region/country selection."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from ecoserve_opt.cli import app

runner = CliRunner()


def test_catalog_lists_gpus_with_sources() -> None:
    r = runner.invoke(app, ["catalog", "gpus"])
    assert r.exit_code == 0, r.output
    for gpu in ("h100-80gb", "a100-80gb", "a100-40gb", "l40s", "l4", "a10g", "v100-32gb", "t4"):
        assert gpu in r.output
    assert "datasheet" in r.output


def test_catalog_lists_the_amx_hosts() -> None:
    """Issue 15: a DGX H100-like Sapphire Rapids host and an Emerald Rapids host."""
    r = runner.invoke(app, ["catalog", "hosts"])
    assert r.exit_code == 0, r.output
    for host in ("spr-8sxm", "emr-4pcie"):
        assert host in r.output
    from ecoserve_opt.catalog import load_catalog
    from ecoserve_opt.catalog.summary import catalog_tables

    hosts = catalog_tables(load_catalog(None), "act")["hosts"].set_index("host")
    assert hosts.loc["spr-8sxm", "cpu"] == "sapphirerapids"
    assert hosts.loc["emr-4pcie", "cpu"] == "emeraldrapids"


def test_catalog_unknown_table() -> None:
    r = runner.invoke(app, ["catalog", "nope"])
    assert r.exit_code == 2
    assert "unknown catalog table 'nope'" in r.stderr


@pytest.mark.parametrize(
    ("override", "table", "key", "value"),
    [
        ({"grid.region": "europe-west1"}, "grid_regions.csv", "region", "europe-west1"),
        ({"grid.region": None, "grid.country": "FRA"}, "grid_countries.csv", "country", "FRA"),
    ],
)
def test_scenario_grid_by_region_or_country(
    override: dict[str, Any], table: str, key: str, value: str
) -> None:
    """The default scenario's hourly profile has the annual mean of the chosen row."""
    import pandas as pd

    from ecoserve_opt.data import build_data
    from ecoserve_opt.io.yaml_loader import load_scenario
    from ecoserve_opt.paths import catalog_dir, scenarios_dir

    rows = pd.read_csv(catalog_dir() / table)
    latest = rows[rows[key] == value].sort_values("year").iloc[-1]
    loaded = load_scenario(scenarios_dir() / "default.yaml", overrides=override)
    d = build_data(loaded)
    assert d.ci_hourly.mean() == pytest.approx(latest.gco2e_per_kwh / 1e3)


def test_unknown_region_is_named(tmp_path: Any) -> None:
    from ecoserve_opt.paths import scenarios_dir

    r = runner.invoke(
        app, ["validate", str(scenarios_dir() / "default.yaml"), "-o", "grid.region=europe-wset1"]
    )
    assert r.exit_code == 2
    assert "grid.region" in r.stderr
    assert "europe-west1" in r.stderr  # close-match suggestion
