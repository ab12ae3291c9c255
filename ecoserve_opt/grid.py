r"""Grid carbon intensity: annual figures from the catalog and 24-hour profiles.

No Pyomo and no network: everything comes from the catalog folder (``grid_regions.csv``,
``grid_countries.csv``; see ``docs/catalog-format.md``) or a user CSV. All returned values are
in the model's canonical unit, **kgCO2e/kWh** (the files hold gCO2e/kWh).

Annual figures
--------------
:func:`annual_intensity` looks up a cloud region (``grid_regions.csv``: Google Cloud's yearly
per-region figures, 2019-2024) or a country (``grid_countries.csv``: codecarbon's per-country
mix, ISO 3166 alpha-3 code or country name). Without ``year`` the latest year is used.
Unknown names raise :class:`KeyError` listing close matches.

Hourly shapes
-------------
No licensed hourly series is bundled, so :func:`hourly_profile` generates a profile from the
annual mean :math:`\mu` with a documented shape. Hours are indexed by hour of day
:math:`h = 0..23` (local time; ``hours`` longer than 24 repeats the day). Every shape is
rescaled at the end so that its mean over the returned hours equals :math:`\mu` exactly.

``flat``
    :math:`c_h = \mu`.

``solar`` (midday dip, the "duck curve")
    Solar generation displaces fossil generation around noon, as in CAISO's duck curve
    (CAISO 2013, *What the duck curve tells us about managing a green grid*) and, less
    deeply, ERCOT. With the clear-sky shape
    :math:`s_h = \max(0, \sin(\pi (h - 6) / 12))` (sunrise 06:00, peak 12:00, sunset
    18:00) and its daily mean :math:`\bar s`,

    .. math::  c_h = \mu \left(1 - d\,\frac{s_h - \bar s}{1 - \bar s}\right)

    so the noon value is :math:`\mu (1 - d)` and night hours sit at
    :math:`\mu (1 + d \bar s / (1 - \bar s))`. The relative depth :math:`d` grows with the
    grid's cleanliness :math:`x`:
    :math:`d = d_\min + (d_\max - d_\min)\,x`, :math:`d_\min = 0.10`, :math:`d_\max = 0.60`,
    with :math:`x` = ``cfe_share`` when given, else :math:`x = \mathrm{clip}(1 - \mu / 0.8,
    0, 1)` (:math:`\mu` in kg/kWh; 0.8 kg/kWh is a coal-dominated grid). A clean grid
    (:math:`x \approx 0.9`) gets a noon value about 0.45 :math:`\mu` and a night/noon ratio
    about 3, the order of CAISO's spring days; a coal-heavy grid gets a shallow 10 % dip.

``evening-peak``
    Fossil peakers serve the evening demand peak (typical of ERCOT/PJM summer days). With
    :math:`e_h = \exp(-\delta(h, 19)^2 / (2 \sigma^2))`, :math:`\sigma = 2.5` h,
    :math:`\delta` the circular distance in hours, and its daily mean :math:`\bar e`,

    .. math::  c_h = \mu \left(1 + a\,\frac{e_h - \bar e}{1 - \bar e}\right),
       \quad a = 0.25

    so the 19:00 value is :math:`1.25 \mu`. ``cfe_share`` is not used.

User series
-----------
:func:`load_hourly_csv` reads a 24-row CSV with columns ``hour,gco2e_per_kwh``.
"""

from __future__ import annotations

import csv
import difflib
import math
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["SHAPES", "trend_factor", "annual_intensity", "hourly_profile", "load_hourly_csv"]


def trend_factor(trend_per_year: float, years_after_first: int) -> float:
    """Intensity multiplier ``years_after_first`` planning years after the first one, for a
    relative change ``trend_per_year`` per year (``-0.05``: 5 % cleaner each year)."""
    return (1.0 + trend_per_year) ** years_after_first


SHAPES = ("flat", "solar", "evening-peak")

SOLAR_DEPTH_MIN = 0.10
SOLAR_DEPTH_MAX = 0.60
DIRTY_GRID_KG_PER_KWH = 0.8
EVENING_PEAK_HOUR = 19
EVENING_PEAK_SIGMA_H = 2.5
EVENING_PEAK_AMPLITUDE = 0.25


# ---------------------------------------------------------------------------------------------
# Annual figures
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _read_table(path: str, mtime_ns: int) -> pd.DataFrame:
    del mtime_ns  # part of the cache key only
    return pd.read_csv(path, keep_default_na=False, na_values=[""], encoding="utf-8")


def _table(catalog_dir: Path, name: str) -> pd.DataFrame:
    path = Path(catalog_dir) / name
    if not path.is_file():
        raise FileNotFoundError(f"grid table not found: {path}")
    return _read_table(str(path), path.stat().st_mtime_ns)


def _unknown(kind: str, name: str, candidates: list[str], n_known: int) -> KeyError:
    lowered = {c.lower(): c for c in candidates}
    close = [lowered[m] for m in difflib.get_close_matches(name.lower(), list(lowered), n=5)]
    if not close:
        close = [c for c in candidates if name.lower() in c.lower()][:5]
    hint = f"close matches: {', '.join(close)}" if close else "no close match"
    return KeyError(f"unknown {kind} {name!r}; {hint} ({n_known} known)")


def annual_intensity(
    *,
    region: str | None = None,
    country: str | None = None,
    year: int | None = None,
    catalog_dir: Path,
) -> tuple[float, str]:
    """Annual grid carbon intensity in kgCO2e/kWh and its source string.

    Give exactly one of ``region`` (cloud region, e.g. ``"us-central1"``) or ``country``
    (ISO alpha-3 code such as ``"DEU"`` or a name such as ``"Germany"``; case-insensitive).
    ``year=None`` takes the latest year available for that name.

    Raises:
        KeyError: unknown region/country (the message lists close matches) or year.
        ValueError: neither or both of ``region`` and ``country`` given.
    """
    if (region is None) == (country is None):
        raise ValueError("give exactly one of region= or country=")
    if region is not None:
        df = _table(catalog_dir, "grid_regions.csv")
        names = sorted(df["region"].unique())
        key = next((r for r in names if r.lower() == region.strip().lower()), None)
        if key is None:
            raise _unknown("region", region, names, len(names))
        rows = df[df["region"] == key]
        label = f"{rows['provider'].iloc[0]} region {key} ({rows['location'].iloc[-1]})"
    else:
        assert country is not None
        df = _table(catalog_dir, "grid_countries.csv")
        wanted = country.strip().lower()
        by_code = {c.lower(): c for c in df["country"]}
        by_name = {str(n).lower(): c for n, c in zip(df["name"], df["country"], strict=True)}
        key = by_code.get(wanted) or by_name.get(wanted)
        if key is None:
            candidates = sorted(df["country"]) + sorted(df["name"].astype(str))
            raise _unknown("country", country, candidates, len(df))
        rows = df[df["country"] == key]
        label = f"country {key} ({rows['name'].iloc[0]})"
    years = sorted(int(y) for y in rows["year"])
    use = years[-1] if year is None else int(year)
    if use not in years:
        raise KeyError(f"no {use} figure for {label}; years available: {years}")
    row = rows[rows["year"] == use].iloc[0]
    g = float(row["gco2e_per_kwh"])
    return g / 1000.0, f"{label}, {use}: {row['gco2e_per_kwh']:g} gCO2e/kWh; {row['source']}"


# ---------------------------------------------------------------------------------------------
# Hourly profiles
# ---------------------------------------------------------------------------------------------


def _cleanliness(mean_kg: float, cfe_share: float | None) -> float:
    if cfe_share is not None:
        return float(cfe_share)
    return min(1.0, max(0.0, 1.0 - mean_kg / DIRTY_GRID_KG_PER_KWH))


def hourly_profile(
    mean_kg_per_kwh: float,
    shape: str = "solar",
    hours: int = 24,
    cfe_share: float | None = None,
) -> np.ndarray:
    """Hourly intensity (kgCO2e/kWh) of ``hours`` hours whose mean is ``mean_kg_per_kwh``.

    Shapes and formulas: see the module docstring (``flat``, ``solar``, ``evening-peak``).
    Hour ``i`` of the result is hour of day ``i % 24``.
    """
    mu = float(mean_kg_per_kwh)
    if not math.isfinite(mu) or mu < 0:
        raise ValueError(f"mean_kg_per_kwh must be a finite number >= 0, got {mean_kg_per_kwh}")
    if int(hours) != hours or hours < 1:
        raise ValueError(f"hours must be a positive integer, got {hours}")
    if cfe_share is not None and not 0.0 <= float(cfe_share) <= 1.0:
        raise ValueError(f"cfe_share must be within [0, 1], got {cfe_share}")
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; choose one of {', '.join(SHAPES)}")

    day = np.arange(24, dtype=float)
    if shape == "flat":
        rel = np.ones(24)
    elif shape == "solar":
        s = np.clip(np.sin(np.pi * (day - 6.0) / 12.0), 0.0, None)
        s_bar = s.mean()
        x = _cleanliness(mu, cfe_share)
        d = SOLAR_DEPTH_MIN + (SOLAR_DEPTH_MAX - SOLAR_DEPTH_MIN) * x
        rel = 1.0 - d * (s - s_bar) / (1.0 - s_bar)
    else:  # evening-peak
        delta = np.abs(day - EVENING_PEAK_HOUR)
        delta = np.minimum(delta, 24.0 - delta)
        e = np.exp(-(delta**2) / (2.0 * EVENING_PEAK_SIGMA_H**2))
        e_bar = e.mean()
        rel = 1.0 + EVENING_PEAK_AMPLITUDE * (e - e_bar) / (1.0 - e_bar)

    rel = rel[np.arange(int(hours)) % 24]
    rel = rel / rel.mean()  # exact mean also for partial days
    return mu * rel


# ---------------------------------------------------------------------------------------------
# User CSV
# ---------------------------------------------------------------------------------------------


def load_hourly_csv(path: str | Path) -> np.ndarray:
    """Read a 24-hour series ``hour,gco2e_per_kwh`` and return kgCO2e/kWh ordered by hour.

    ``hour`` must be the integers 0..23, each once (any order); values finite and >= 0.
    Error messages name the file, row and column but never quote the file's contents (the
    path may point at an unrelated file).

    Raises:
        ValueError: naming the file and the offending row (1-based data row and file line).
    """
    path = Path(path)
    try:
        return _read_hourly(path)
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path}: not a UTF-8 text CSV (undecodable byte at offset {exc.start})"
        ) from None
    except csv.Error as exc:
        raise ValueError(f"{path}: malformed CSV ({exc})") from None


def _read_hourly(path: Path) -> np.ndarray:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        cols = [c.strip() for c in (reader.fieldnames or [])]
        if "hour" not in cols or "gco2e_per_kwh" not in cols:
            raise ValueError(
                f"{path}: expected a header row with columns hour,gco2e_per_kwh "
                f"(found {len(cols)} column(s), not these)"
            )
        reader.fieldnames = cols
        values: dict[int, float] = {}
        n = 0
        for n, rec in enumerate(reader, start=1):
            where = f"{path}: row {n} (line {reader.line_num})"
            h_txt = str(rec.get("hour") or "").strip()
            v_txt = str(rec.get("gco2e_per_kwh") or "").strip()
            try:
                h_num = float(h_txt)
            except ValueError:
                raise ValueError(f"{where}: hour is not a number") from None
            if not h_num.is_integer() or not 0 <= h_num <= 23:
                raise ValueError(f"{where}: hour is not an integer in 0..23")
            h = int(h_num)
            if h in values:
                raise ValueError(f"{where}: hour {h} appears twice")
            try:
                v = float(v_txt)
            except ValueError:
                raise ValueError(f"{where}: gco2e_per_kwh is not a number") from None
            if not math.isfinite(v) or v < 0:
                raise ValueError(f"{where}: gco2e_per_kwh must be finite and >= 0")
            values[h] = v
            if n > 24:
                break
    if n != 24:
        found = "more than 24" if n > 24 else str(n)
        raise ValueError(f"{path}: expected 24 data rows (hours 0..23), found {found}")
    return np.array([values[h] for h in range(24)], dtype=float) / 1000.0
