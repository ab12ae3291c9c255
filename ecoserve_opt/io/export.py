"""Sweep and Pareto tables as tidy long tables and xarray Datasets (netCDF export).

The wide table of a :class:`~ecoserve_opt.studies.store.SweepResults` has one row per point and
one column per metric, breakdown part (``operational_kg:GPU``) and fleet item
(``gpu:h100``). Two other shapes of the same numbers:

* :func:`to_long`: one row per (point, variable, label) with its value and unit, ready for
  ``groupby``/seaborn/plotnine/SQL;
* :func:`to_xarray`: an ``xarray.Dataset`` whose dimensions are the swept parameters when
  the points form a full grid (else one ``point`` dimension with the parameters as
  coordinates), with ``component``, ``gpu_type`` and ``host_type`` dimensions for the
  breakdown and the fleet mix, and ``attrs["units"]`` on every variable.

xarray is optional (``pip install 'ecoserve-opt[xarray]'``); :func:`to_netcdf` writes with
the scipy backend (netCDF3, no C library) unless ``engine`` says otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ecoserve_opt.exceptions import EcoserveError

if TYPE_CHECKING:
    import xarray as xr

#: Scalar metric columns and their units.
METRIC_UNITS = {
    "carbon_kg": "kgCO2e",
    "operational_kg": "kgCO2e",
    "embodied_kg": "kgCO2e",
    "energy_kwh": "kWh",
    "cost_usd": "USD",
    "capex_usd": "USD",
    "latency_s_per_token": "s/token",
    "gpu_hours": "GPU-h",
    "gpus": "1",
    "hosts": "1",
    "offline_tokens_per_day": "tokens/day",
    "offline_share_host_cpu": "1",
    "host_cpu_gpu_serving": "1",
    "host_cpu_offline": "1",
    "host_cpu_idle": "1",
    "objective_value": "",
    "bound": "",
    "gap": "1",
    "wall_time_s": "s",
    "solve_wall_time_s": "s",
}
#: Text columns kept as variables.
TEXT_COLUMNS = ("status", "termination", "kind", "role", "objective", "design")
#: Prefix of a wide column -> (variable, label dimension, unit).
GROUPS = {
    "operational_kg:": ("operational_kg_by_component", "component", "kgCO2e"),
    "embodied_kg:": ("embodied_kg_by_component", "component", "kgCO2e"),
    "gpu:": ("gpus_by_type", "gpu_type", "1"),
    "host:": ("hosts_by_type", "host_type", "1"),
}
XARRAY_HINT = "xarray is needed for this: pip install 'ecoserve-opt[xarray]'"


def to_long(table: pd.DataFrame, params: list[str]) -> pd.DataFrame:
    """The wide sweep table as a tidy long table.

    Columns: ``point_id``, the parameters, ``variable``, ``label`` (component, GPU type or
    host platform; empty for scalar metrics), ``value`` and ``unit``. Only numeric values.
    """
    cols = ["point_id", *params, "variable", "label", "value", "unit"]
    if table.empty:
        return pd.DataFrame(columns=cols)
    ids = ["point_id", *[p for p in params if p in table.columns]]
    frames = []
    scalars = [c for c in METRIC_UNITS if c in table.columns]
    if scalars:
        long = table[ids + scalars].melt(id_vars=ids, var_name="variable", value_name="value")
        long["label"] = ""
        long["unit"] = long["variable"].map(METRIC_UNITS)
        frames.append(long)
    for prefix, (var, _dim, unit) in GROUPS.items():
        grouped = [c for c in table.columns if c.startswith(prefix)]
        if not grouped:
            continue
        long = table[ids + grouped].melt(id_vars=ids, var_name="label", value_name="value")
        long["label"] = long["label"].str.slice(len(prefix))
        long["variable"] = var
        long["unit"] = unit
        frames.append(long)
    out = pd.concat(frames, ignore_index=True)
    out["value"] = pd.to_numeric(out["value"], errors="coerce")
    out = out.dropna(subset=["value"])
    return out[[c for c in cols if c in out.columns]].reset_index(drop=True)


def _is_full_grid(table: pd.DataFrame, params: list[str]) -> bool:
    if not params or any(p not in table.columns for p in params):
        return False
    if table[params].isna().any().any() or table.duplicated(subset=params).any():
        return False
    n = int(np.prod([table[p].nunique() for p in params]))
    return n == len(table)


def to_xarray(
    table: pd.DataFrame, params: list[str], param_units: Mapping[str, str] | None = None
) -> xr.Dataset:
    """The sweep/Pareto table as an ``xarray.Dataset`` (see the module docstring);
    ``param_units`` gives the parameters' units (``attrs["units"]`` of their coordinates)."""
    try:
        import xarray as xr
    except ImportError:  # pragma: no cover - depends on the environment
        raise EcoserveError(XARRAY_HINT) from None
    t = table.reset_index(drop=True)
    grid = _is_full_grid(t, params)
    index_cols = params if grid else ["point_id"]
    t = t.set_index(index_cols) if index_cols[0] in t.columns else t
    if grid:
        t = t.sort_index()
    data: dict[str, Any] = {}
    for c in METRIC_UNITS:
        if c in t.columns:
            data[c] = pd.to_numeric(t[c], errors="coerce")
    for c in TEXT_COLUMNS:
        if c in t.columns:
            data[c] = t[c].astype(str).where(t[c].notna(), "")
    if not grid:
        for c in [*params, "point_id"]:
            if c in t.columns and c not in data:
                data[c] = t[c]
    frame = pd.DataFrame(data, index=t.index)
    ds = xr.Dataset.from_dataframe(frame)
    for prefix, (var, dim, unit) in GROUPS.items():
        grouped = [c for c in t.columns if c.startswith(prefix)]
        if not grouped:
            continue
        sub = t[grouped].apply(pd.to_numeric, errors="coerce")
        sub.columns = pd.Index([c[len(prefix) :] for c in grouped], name=dim)
        da = xr.DataArray.from_series(sub.stack(future_stack=True))  # type: ignore[call-arg]
        ds[var] = da
        ds[var].attrs["units"] = unit
    for c in METRIC_UNITS:
        if c in ds:
            ds[c].attrs["units"] = METRIC_UNITS[c]
    if not grid and "point_id" in ds.dims:
        for p in params:
            if p in ds:
                ds = ds.set_coords(p)
    for name in params:
        punit = (param_units or {}).get(name)
        if name in ds.coords and punit:
            ds[name].attrs["units"] = punit
    ds.attrs["layout"] = "grid" if grid else "points"
    return ds


def to_netcdf(
    table: pd.DataFrame,
    params: list[str],
    path: str | Path,
    engine: str | None = None,
    param_units: Mapping[str, str] | None = None,
) -> Path:
    """Write :func:`to_xarray` to a netCDF file (atomically); returns the path.

    ``engine`` defaults to ``scipy`` (netCDF3; text variables become character arrays).
    """
    from ecoserve_opt.io.atomic import atomic_write_bytes

    ds = to_xarray(table, params, param_units)
    p = Path(path)
    raw = ds.to_netcdf(None, engine=engine or "scipy")  # type: ignore[call-overload]
    atomic_write_bytes(p, bytes(raw))
    return p
