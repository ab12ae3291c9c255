"""Sensitivity sweeps: values, Param updates vs rebuilds, monotonicity, resume, CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import ecoserve_opt as eo
from ecoserve_opt.cli import app
from ecoserve_opt.exceptions import EcoserveError
from ecoserve_opt.io.yaml_loader import LoadedScenario, validate_dict
from ecoserve_opt.studies import SweepResults, parse_values, sweep
from tests.helpers import carbon_a, carbon_b, tiny

pytestmark = pytest.mark.milp


# ---- values -----------------------------------------------------------------------------
def test_range_is_inclusive_and_exact() -> None:
    vals = parse_values("grid_intensity", "0:800:25")
    assert len(vals) == 33
    assert vals[0] == 0
    assert vals[-1] == 800
    assert vals[1] == 25
    assert parse_values("pue", "1.1:1.5:0.1") == [1.1, 1.2, 1.3, 1.4, 1.5]  # no 1.2000000001
    assert parse_values("demand_scale", "1:2:0.3") == [1.0, 1.3, 1.6, 1.9]


def test_grid_intensity_units() -> None:
    # plain numbers are gCO2e/kWh; unit strings are converted to gCO2e/kWh
    assert parse_values("grid_intensity", "420 gCO2e/kWh,0.3 kgCO2e/kWh,50") == [420, 300, 50]
    assert parse_values("grid_intensity", [100, "0.2 kgCO2e/kWh"]) == [100, 200]


def test_other_values_are_yaml() -> None:
    assert parse_values("embodied_source", "act,greensku") == ["act", "greensku"]
    assert parse_values("inventory.embodied_residual_share", "0,0.5") == [0, 0.5]
    assert parse_values("grid.pue", "1.2") == [1.2]  # alias of the pue Param


@pytest.mark.parametrize("spec", ["5:1:1", "0:10:0", "a:b", ""])
def test_bad_values(spec: str) -> None:
    with pytest.raises(EcoserveError):
        parse_values("grid_intensity", spec)


# ---- monotonicity and hand-checked values ------------------------------------------------
def test_fixed_fleet_carbon_never_falls_as_intensity_rises(switch: LoadedScenario) -> None:
    """Fix the fleet of a solution (A, optimal at 500 g), re-solve across intensities.

    With the fleet fixed only operation moves: carbon = 587.2 + 7446 ci exactly, also where
    B would be better (below 74.7 g) - which shows the fleet really is fixed.
    """
    built = eo.build(switch)
    res = built.solve()
    assert res.carbon == pytest.approx(carbon_a(500), rel=1e-9)
    fixed = built.fix_fleet()
    assert fixed
    carbons = []
    for ci in range(0, 801, 100):
        built.set_grid_intensity(ci / 1000)  # kgCO2e/kWh
        r = built.solve()
        assert r.optimal
        assert r.carbon == pytest.approx(carbon_a(ci), rel=1e-9, abs=1e-9)
        carbons.append(r.carbon)
    assert all(b >= a - 1e-9 for a, b in zip(carbons, carbons[1:], strict=False))
    built.unfix_fleet(fixed)
    built.set_grid_intensity(0)
    assert built.solve().carbon == pytest.approx(carbon_b(0), rel=1e-9)  # free again: B


def test_fix_fleet_sweep_option(switch: LoadedScenario, tmp_path: Path) -> None:
    res = sweep(switch, {"grid_intensity": "0:200:100"}, tmp_path, fix_fleet=True)
    t = res.sweep()
    assert t["carbon_kg"].tolist() == pytest.approx([carbon_a(c) for c in (0, 100, 200)])
    assert set(t["design"]) == {"5 gpu-a + 2 host-x"}
    assert set(t["fixed_fleet"]) == {"5 gpu-a + 2 host-x"}


def test_free_sweep_finds_design_switch(switch: LoadedScenario, tmp_path: Path) -> None:
    res = sweep(switch, {"grid_intensity": "0:200:25"}, tmp_path)
    t = res.sweep()
    ci = t["grid_intensity"].tolist()
    assert ci == [0, 25, 50, 75, 100, 125, 150, 175, 200]
    expected = [min(carbon_a(c), carbon_b(c)) for c in ci]
    assert t["carbon_kg"].tolist() == pytest.approx(expected, rel=1e-9)
    assert t["design"].tolist() == ["3 gpu-b + 1 host-x"] * 3 + ["5 gpu-a + 2 host-x"] * 6
    assert t["carbon_kg"].is_monotonic_increasing
    # one model, re-solved through Param updates
    assert t["mode"].tolist().count("rebuild") == 1
    assert (t["status"] == "optimal").all()
    assert (t["gap"] <= 1e-9).all()


def test_param_update_equals_rebuild(tmp_path: Path) -> None:
    loaded = validate_dict(tiny())
    res = sweep(
        loaded,
        {"grid_intensity": [250], "pue": [1.5], "prices.electricity": ["0.2 USD/kWh"]},
        tmp_path,
    )
    row = res.sweep().iloc[0]
    data = tiny()
    data["grid"].update({"intensity": "250 gCO2e/kWh", "pue": 1.5})
    data["prices"] = {"electricity": 0.2}
    ref = eo.solve(validate_dict(data))
    for col in ("carbon_kg", "operational_kg", "energy_kwh", "cost_usd"):
        assert row[col] == pytest.approx(ref.metrics[col], rel=1e-9), col


def test_demand_scale_equals_rebuild(tmp_path: Path) -> None:
    res = sweep(validate_dict(tiny()), {"demand_scale": [2.0]}, tmp_path)
    row = res.sweep().iloc[0]
    data = tiny()
    data["llms"]["tiny-llm"]["online"]["tokens_per_s"] = 2000
    ref = eo.solve(validate_dict(data))
    assert row["carbon_kg"] == pytest.approx(ref.carbon, rel=1e-9)  # 10 gpu-a, 3 hosts
    assert row["latency_s_per_token"] == pytest.approx(ref.metrics["latency_s_per_token"])
    assert row["design"] == "10 gpu-a + 3 host-x"


def test_performance_objective(tmp_path: Path) -> None:
    # lexicographic: least latency (all load on gpu-b, 10 ms/token), then least cost: B
    res = sweep(
        validate_dict(tiny()), {"grid_intensity": [0, 500]}, tmp_path, objective="performance"
    )
    t = res.sweep()
    assert t["latency_s_per_token"].tolist() == pytest.approx([0.010, 0.010])
    assert t["design"].tolist() == ["3 gpu-b + 1 host-x"] * 2
    assert t["carbon_kg"].tolist() == pytest.approx([243.6, 243.6 + 0.5 * 9636])


def test_rebuild_parameter_grid(tmp_path: Path) -> None:
    """embodied_source re-loads and rebuilds; grid_intensity is swept inside each model.

    The tiny catalog's greensku rows are 2x act: carbon = 2 x 227.2 + 7446 ci.
    """
    res = sweep(
        validate_dict(tiny()),
        {"embodied_source": "act,greensku", "grid_intensity": "0:500:250"},
        tmp_path,
    )
    t = res.sweep()
    assert len(t) == 6
    for _, r in t.iterrows():
        emb = 227.2 * (2 if r["embodied_source"] == "greensku" else 1)
        assert r["carbon_kg"] == pytest.approx(emb + 7.446 * r["grid_intensity"], rel=1e-9)
    assert t["mode"].tolist().count("rebuild") == 2  # one build per embodied source
    assert res.params == ["embodied_source", "grid_intensity"]


def test_infeasible_rebuild_value_is_recorded(tmp_path: Path) -> None:
    # a 1 ms TPOT SLO cannot be met by any GPU: the pre-solve check proves it, the point is
    # stored as infeasible with the reason, and the sweep goes on
    res = sweep(validate_dict(tiny()), {"llms.tiny-llm.online.tpot_slo": "50 ms,1 ms"}, tmp_path)
    t = res.table.set_index("llms.tiny-llm.online.tpot_slo")
    assert t.loc["50 ms", "status"] == "optimal"
    assert t.loc["1 ms", "status"] == "infeasible"
    meta = res.store.read_meta(t.loc["1 ms", "point_id"])  # type: ignore[union-attr]
    assert "SLO" in meta["error"]
    assert len(res.infeasible()) == 1


def test_unknown_dot_path_fails_before_solving(tmp_path: Path) -> None:
    with pytest.raises(EcoserveError, match="tokens_per_sx"):
        sweep(validate_dict(tiny()), {"llms.tiny-llm.online.tokens_per_sx": "1,2"}, tmp_path)
    assert not list(tmp_path.glob("points/*.json"))


def test_objective_is_not_a_sweep_parameter(tmp_path: Path) -> None:
    with pytest.raises(EcoserveError, match="--objective"):
        sweep(validate_dict(tiny()), {"objective": "carbon,cost"}, tmp_path)


def test_store_refuses_another_scenario(tmp_path: Path) -> None:
    sweep(validate_dict(tiny()), {"grid_intensity": [100]}, tmp_path)
    other = tiny()
    other["grid"]["pue"] = 1.3
    with pytest.raises(EcoserveError, match="another scenario"):
        sweep(validate_dict(other), {"grid_intensity": [100]}, tmp_path)


# ---- resume -----------------------------------------------------------------------------
class _Stop(KeyboardInterrupt):
    pass


def test_interrupted_sweep_resumes_to_the_same_table(
    switch: LoadedScenario, tmp_path: Path
) -> None:
    grid = {"grid_intensity": "0:200:25", "pue": "1.0,1.2"}  # 18 points
    full = sweep(switch, grid, tmp_path / "full")

    seen: list[str] = []

    def stop_after_7(rec: Any) -> None:
        seen.append(rec[0]["point_id"])
        if len(seen) == 7:
            raise _Stop

    part = tmp_path / "part"
    with pytest.raises(_Stop):
        sweep(switch, grid, part, on_point=stop_after_7)
    assert len(list((part / "points").glob("*.json"))) == 7  # every finished point kept

    again: list[str] = []
    resumed = sweep(switch, grid, part, on_point=lambda rec: again.append(rec[0]["point_id"]))
    assert len(again) == 11
    assert not set(again) & set(seen)
    pd.testing.assert_frame_equal(resumed.comparable(), full.comparable())

    # a third run solves nothing
    more: list[str] = []
    sweep(switch, grid, part, on_point=lambda rec: more.append(rec))
    assert more == []


def test_half_written_point_is_solved_again(tmp_path: Path) -> None:
    loaded = validate_dict(tiny())
    res = sweep(loaded, {"grid_intensity": "0:300:100"}, tmp_path)
    victim = res.table["point_id"].iloc[1]
    # killed after the row but before the metadata (the completion mark), plus temp litter
    (tmp_path / "points" / f"{victim}.json").unlink()
    (tmp_path / "points" / f".{victim}.parquet.abc.tmp").write_bytes(b"partial")
    redone: list[str] = []
    res2 = sweep(
        loaded,
        {"grid_intensity": "0:300:100"},
        tmp_path,
        on_point=lambda rec: redone.append(rec[0]["point_id"]),
    )
    assert redone == [victim]
    pd.testing.assert_frame_equal(res2.comparable(), res.comparable())


def test_point_files_and_metadata(tmp_path: Path) -> None:
    loaded = validate_dict(tiny())
    res = sweep(loaded, {"grid_intensity": [500]}, tmp_path)
    pid = res.table["point_id"].iloc[0]
    pts = tmp_path / "points"
    assert {p.name for p in pts.iterdir()} == {
        f"{pid}.json",
        f"{pid}.parquet",
        f"{pid}.fleet.parquet",
        f"{pid}.replicas.parquet",
    }
    meta = json.loads((pts / f"{pid}.json").read_text())
    assert meta["scenario_hash"] == eo.scenario_hash(loaded)
    assert meta["status"] == "optimal"
    assert meta["gap"] == pytest.approx(0.0, abs=1e-9)
    assert meta["params"] == {"grid_intensity": 500}
    fleet = res.fleet(pid)
    assert fleet.set_index("item")["count"].to_dict() == {"gpu-a": 5, "host-x": 2}
    manifest = json.loads((tmp_path / "sweep.json").read_text())
    assert manifest["runs"][0]["params"] == ["grid_intensity"]
    again = SweepResults.load(tmp_path)
    assert again.table.loc[0, "carbon_kg"] == pytest.approx(3950.2)


# ---- CLI --------------------------------------------------------------------------------
runner = CliRunner()


def test_cli_sweep_resume_and_plot(tmp_path: Path) -> None:
    scen = tmp_path / "s.yaml"
    scen.write_text(yaml.safe_dump(tiny()))
    out = tmp_path / "res"
    args = ["sweep", str(scen), "--param", "grid_intensity", "--values", "0:800:400"]
    r = runner.invoke(app, [*args, "--out", str(out), "--workers", "0", "--no-progress"])
    assert r.exit_code == 0, r.output
    assert "Param update" in r.output
    assert "3 points" in r.output
    assert len(list((out / "points").glob("*.json"))) == 3
    r = runner.invoke(app, [*args, "--out", str(out), "--workers", "0"])
    assert r.exit_code == 0, r.output
    assert "3 of 3 points already done" in r.output
    for kind, suffix in (("sensitivity", "png"), ("breakdown", "svg")):
        fig = tmp_path / f"{kind}.{suffix}"
        r = runner.invoke(app, ["plot", str(out), "--kind", kind, "--out", str(fig)])
        assert r.exit_code == 0, r.output
        assert fig.stat().st_size > 1000


def test_cli_sweep_errors(tmp_path: Path) -> None:
    scen = tmp_path / "s.yaml"
    scen.write_text(yaml.safe_dump(tiny()))
    r = runner.invoke(
        app,
        [
            "sweep",
            str(scen),
            "--param",
            "pue",
            "--param",
            "grid_intensity",
            "--values",
            "1.1",
            "--workers",
            "0",
        ],
    )
    assert r.exit_code == 2
    assert "one --values per --param" in r.output
    r = runner.invoke(app, ["plot", str(tmp_path), "--kind", "pareto"])
    assert r.exit_code == 2
    assert "not a sweep results folder" in r.output


def test_sweep_without_an_output_folder(switch: LoadedScenario, tmp_path: Path) -> None:
    """``sweep()`` from the API with no folder: the points live in a temporary store that
    stays readable while the results are alive and is removed with them; the wide table
    converts with ``SweepResults.to_xarray()`` / ``to_long()`` / ``to_netcdf()``."""
    import gc

    xr = pytest.importorskip("xarray")
    res = sweep(switch, {"grid_intensity": [0, 200]})
    t = res.sweep()
    assert t["carbon_kg"].tolist() == pytest.approx(
        [min(carbon_a(0), carbon_b(0)), min(carbon_a(200), carbon_b(200))], rel=1e-9
    )
    assert res.temporary is not None
    folder = res.temporary.path
    assert (folder / "points").is_dir()
    assert not res.fleet(t["point_id"].iloc[0]).empty  # fleet tables readable meanwhile
    ds = res.to_xarray()
    assert isinstance(ds, xr.Dataset)
    assert ds.attrs["layout"] == "grid"
    assert ds["carbon_kg"].sel(grid_intensity=200).item() == pytest.approx(carbon_a(200))
    assert ds["grid_intensity"].attrs["units"] == "gCO2e/kWh"
    assert ds["carbon_kg"].attrs["units"] == "kgCO2e"
    long = res.to_long()
    assert set(long.loc[long["variable"] == "carbon_kg", "unit"]) == {"kgCO2e"}
    path = res.to_netcdf(tmp_path / "sweep.nc")
    back = xr.open_dataset(path, engine="scipy")
    np.testing.assert_allclose(back["carbon_kg"].values, ds["carbon_kg"].values)
    back.close()
    del res, t, ds, long
    gc.collect()
    assert not folder.exists()
    # with a folder, nothing is temporary and the store stays
    kept = sweep(switch, {"grid_intensity": [0]}, tmp_path / "kept")
    assert kept.temporary is None
    assert (tmp_path / "kept" / "points").is_dir()
