"""Sweep tables as tidy long tables and xarray Datasets, with a netCDF round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecoserve_opt.io.export import to_long, to_netcdf, to_xarray

xr = pytest.importorskip("xarray")


def _table(grid: bool = True) -> pd.DataFrame:
    rows = []
    for i, (g, pue) in enumerate([(g, p) for g in (0.0, 100.0, 200.0) for p in (1.1, 1.3)]):
        gpu_op, cpu_op = 10.0 * g * pue, 2.0 * g
        rows.append(
            {
                "point_id": f"p{i}",
                "grid_intensity": g,
                "pue": pue,
                "status": "optimal",
                "design": f"{i} gpu-a",
                "carbon_kg": gpu_op + cpu_op + 50.0,
                "operational_kg": gpu_op + cpu_op,
                "embodied_kg": 50.0,
                "operational_kg:GPU": gpu_op,
                "operational_kg:CPU": cpu_op,
                "embodied_kg:GPU": 40.0,
                "embodied_kg:CPU": 10.0,
                "gpu:gpu-a": float(i),
                "gpu:gpu-b": 1.0,
                "host:host-x": 2.0,
            }
        )
    df = pd.DataFrame(rows)
    return df if grid else df.iloc[:5]


def test_full_grid_gets_parameter_dimensions() -> None:
    t = _table()
    ds = to_xarray(t, ["grid_intensity", "pue"], {"grid_intensity": "gCO2e/kWh"})
    assert ds.attrs["layout"] == "grid"
    assert dict(ds["carbon_kg"].sizes) == {"grid_intensity": 3, "pue": 2}
    assert ds["carbon_kg"].sel(grid_intensity=100.0, pue=1.3).item() == pytest.approx(
        1300.0 + 200.0 + 50.0
    )
    assert ds["grid_intensity"].attrs["units"] == "gCO2e/kWh"
    assert ds["carbon_kg"].attrs["units"] == "kgCO2e"
    # the component breakdown sums back to the operational total
    by_comp = ds["operational_kg_by_component"].sum("component")
    np.testing.assert_allclose(by_comp.values, ds["operational_kg"].values)
    assert list(ds["gpu_type"].values) == ["gpu-a", "gpu-b"]
    assert ds["gpus_by_type"].sel(grid_intensity=200.0, pue=1.3, gpu_type="gpu-a").item() == 5
    assert ds["design"].sel(grid_intensity=0.0, pue=1.1).item() == "0 gpu-a"


def test_partial_grid_falls_back_to_points() -> None:
    ds = to_xarray(_table(grid=False), ["grid_intensity", "pue"])
    assert ds.attrs["layout"] == "points"
    assert dict(ds["carbon_kg"].sizes) == {"point_id": 5}
    assert "grid_intensity" in ds.coords
    assert ds["pue"].sel(point_id="p3").item() == 1.3


def test_long_table() -> None:
    t = _table()
    long = to_long(t, ["grid_intensity", "pue"])
    assert list(long.columns) == [
        "point_id",
        "grid_intensity",
        "pue",
        "variable",
        "label",
        "value",
        "unit",
    ]
    # 3 scalars + 4 breakdown + 2 GPU types + 1 host type, per point
    assert len(long) == 6 * (3 + 4 + 2 + 1)
    row = long[(long["point_id"] == "p5") & (long["label"] == "GPU")]
    assert set(row["variable"]) == {"operational_kg_by_component", "embodied_kg_by_component"}
    op = row[row["variable"] == "operational_kg_by_component"]["value"].item()
    assert op == pytest.approx(10.0 * 200.0 * 1.3)
    assert set(long.loc[long["variable"] == "carbon_kg", "unit"]) == {"kgCO2e"}
    assert to_long(t.iloc[0:0], ["grid_intensity"]).empty


def test_netcdf_round_trip(tmp_path: Path) -> None:
    pytest.importorskip("scipy")
    path = to_netcdf(_table(), ["grid_intensity", "pue"], tmp_path / "sweep.nc")
    back = xr.open_dataset(path, engine="scipy")
    try:
        want = to_xarray(_table(), ["grid_intensity", "pue"])
        np.testing.assert_allclose(back["carbon_kg"].values, want["carbon_kg"].values)
        assert back["carbon_kg"].attrs["units"] == "kgCO2e"
        assert back["design"].sel(grid_intensity=200.0, pue=1.3).item() == "5 gpu-a"
    finally:
        back.close()
