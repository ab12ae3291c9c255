"""Grid section of the data: carbon intensity per (year, slot) of the representative day.

The annual intensity (scenario number, region or country table) is shaped over the hours of
the day (hourly CSV or a documented shape), averaged per slot and trended per year; the
formulation charges operational carbon with it (mutable Param ``ci``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ecoserve_opt.catalog import Catalog
from ecoserve_opt.data.keys import YearSlot
from ecoserve_opt.exceptions import CatalogError, ScenarioError
from ecoserve_opt.grid import trend_factor
from ecoserve_opt.schema.scenario import Scenario


def hourly_intensity(s: Scenario, cat: Catalog, base: Path, file: str) -> tuple[np.ndarray, str]:
    """24 hourly grid intensities (kgCO2e/kWh) of the scenario's grid and their source."""
    from ecoserve_opt import grid

    g = s.grid
    cfe = None
    if g.intensity is not None:
        mean, src = g.intensity, "scenario grid.intensity"
    else:
        fld = "grid.region" if g.region else "grid.country"
        table = cat.grid_regions if g.region is not None else cat.grid_countries
        if table is None:
            name = "grid_regions.csv" if g.region is not None else "grid_countries.csv"
            raise CatalogError(
                str(cat.path / name), "", f"catalog table not found (needed by {fld})"
            )
        try:
            mean, src = grid.annual_intensity(
                region=g.region, country=g.country, year=g.year, catalog_dir=cat.path
            )
        except KeyError as exc:
            raise ScenarioError(file, fld, str(exc.args[0]) if exc.args else str(exc)) from None
        if g.region is not None and "cfe_share" in table.columns:
            wanted = g.region.strip().lower()
            regions = table.index.get_level_values("region")
            rows = table[[str(r).lower() == wanted for r in regions]].droplevel("region")
            yr = g.year if g.year is not None else int(rows.index.max())
            val = rows["cfe_share"].to_dict().get(yr)
            if val is not None and not pd.isna(val):
                cfe = float(val)
    if g.hourly_csv is not None:
        try:
            hourly = grid.load_hourly_csv(base / g.hourly_csv)
        except (OSError, ValueError) as exc:
            raise ScenarioError(file, "grid.hourly_csv", str(exc)) from None
        src += f"; hourly profile from {g.hourly_csv}"
    else:
        hourly = grid.hourly_profile(mean, shape=g.hourly_shape, hours=24, cfe_share=cfe)
        src += f"; hourly shape '{g.hourly_shape}'"
    return np.asarray(hourly, dtype=float), src


def slot_intensity(
    s: Scenario, hourly: np.ndarray, years: list[int], slots: list[int], slot_hours: float
) -> dict[tuple[int, int], float]:
    """kgCO2e/kWh per (year, slot): the mean of the slot's hours times the year's trend."""
    ci: dict[tuple[int, int], float] = {}
    for y in years:
        fac = trend_factor(s.grid.trend_per_year, y - years[0])
        for sl in slots:
            hrs = hourly[int(sl * slot_hours) : int((sl + 1) * slot_hours)]
            ci[YearSlot(y, sl)] = float(hrs.mean()) * fac
    return ci
