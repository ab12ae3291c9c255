"""Grid carbon intensity: annual look-ups, generated hourly shapes and user CSVs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from catalog_build import default_shared_dir
from ecoserve_opt.grid import SHAPES, annual_intensity, hourly_profile, load_hourly_csv

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "models"
# ../shared/data, or $ECOSERVE_SHARED_DATA (the catalog build's default)
SHARED = default_shared_dir()


@pytest.fixture(scope="module")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip("shared field data (../shared/data) not available")
    return SHARED


def _gcp(shared: Path, year: int) -> dict[str, float]:
    with (shared / "grid" / "gcp" / f"{year}.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.reader(fh) if r][1:]
    return {r[0]: float(r[3]) for r in rows}


# --- annual ---------------------------------------------------------------------------------


def test_region_latest_year_in_kg(shared: Path) -> None:
    years = sorted(int(p.stem) for p in (shared / "grid" / "gcp").glob("*.csv"))
    kg, source = annual_intensity(region="us-central1", catalog_dir=MODELS)
    assert kg == pytest.approx(_gcp(shared, years[-1])["us-central1"] / 1000)
    assert f"{years[-1]}" in source
    assert "region-carbon-info" in source


@pytest.mark.parametrize("year", [2019, 2021, 2024])
def test_region_given_year(shared: Path, year: int) -> None:
    kg, _ = annual_intensity(region="europe-west1", year=year, catalog_dir=MODELS)
    assert kg == pytest.approx(_gcp(shared, year)["europe-west1"] / 1000)


def test_region_is_case_insensitive() -> None:
    a = annual_intensity(region="US-EAST4", catalog_dir=MODELS)
    b = annual_intensity(region="us-east4", catalog_dir=MODELS)
    assert a == b


def test_country_by_code_and_name(shared: Path) -> None:
    data = json.loads((shared / "grid" / "codecarbon" / "global_energy_mix.json").read_text())
    kg, source = annual_intensity(country="FRA", catalog_dir=MODELS)
    assert kg == pytest.approx(data["FRA"]["carbon_intensity"] / 1000)
    assert str(data["FRA"]["year"]) in source
    assert "codecarbon" in source
    assert annual_intensity(country="france", catalog_dir=MODELS)[0] == kg


def test_unknown_region_suggests_close_match() -> None:
    with pytest.raises(KeyError, match="us-central1"):
        annual_intensity(region="us-centrl1", catalog_dir=MODELS)


def test_unknown_country_suggests_close_match() -> None:
    with pytest.raises(KeyError, match="Germany"):
        annual_intensity(country="Germny", catalog_dir=MODELS)


def test_unknown_year_lists_years() -> None:
    with pytest.raises(KeyError, match=r"years available: \[.*2024\]"):
        annual_intensity(region="us-central1", year=1999, catalog_dir=MODELS)


def test_region_xor_country() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        annual_intensity(catalog_dir=MODELS)
    with pytest.raises(ValueError, match="exactly one"):
        annual_intensity(region="us-east1", country="USA", catalog_dir=MODELS)


# --- hourly shapes --------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mean", [0.0, 0.003, 0.12, 0.41272, 0.9])
@pytest.mark.parametrize("cfe", [None, 0.0, 0.5, 1.0])
def test_profile_mean_equals_annual_mean(shape: str, mean: float, cfe: float | None) -> None:
    p = hourly_profile(mean, shape=shape, cfe_share=cfe)
    assert p.shape == (24,)
    assert p.mean() == pytest.approx(mean, rel=1e-12, abs=1e-15)
    assert (p >= 0).all()


def test_profile_from_catalog_region() -> None:
    kg, _ = annual_intensity(region="us-west1", catalog_dir=MODELS)
    assert hourly_profile(kg).mean() == pytest.approx(kg, rel=1e-12)


def test_flat_is_constant() -> None:
    assert np.all(hourly_profile(0.3, "flat") == pytest.approx(0.3))


@pytest.mark.parametrize("cfe", [None, 0.2, 0.9])
def test_solar_minimum_at_midday(cfe: float | None) -> None:
    p = hourly_profile(0.35, "solar", cfe_share=cfe)
    assert int(np.argmin(p)) == 12
    assert p[12] < p[9] < p[6] == pytest.approx(p[0])  # falls through the morning
    assert p[12] < p[15] < p[18]  # and rises in the afternoon


def test_solar_dip_deepens_with_cleaner_grid() -> None:
    def depth(p: np.ndarray) -> float:
        return 1 - p.min() / p.mean()

    by_cfe = [depth(hourly_profile(0.3, "solar", cfe_share=c)) for c in (0.0, 0.5, 1.0)]
    assert by_cfe == sorted(by_cfe)
    assert by_cfe[0] < by_cfe[-1]
    by_mean = [depth(hourly_profile(m, "solar")) for m in (0.7, 0.4, 0.05)]
    assert by_mean == sorted(by_mean)
    assert by_mean[0] < by_mean[-1]


def test_evening_peak_at_19h() -> None:
    p = hourly_profile(0.4, "evening-peak")
    assert int(np.argmax(p)) == 19
    assert p[19] == pytest.approx(1.25 * 0.4)


def test_profile_longer_horizon_repeats_day() -> None:
    day = hourly_profile(0.2, "solar")
    two = hourly_profile(0.2, "solar", hours=48)
    assert two == pytest.approx(np.concatenate([day, day]))
    partial = hourly_profile(0.2, "solar", hours=30)
    assert partial.mean() == pytest.approx(0.2, rel=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"shape": "duck"}, "unknown shape"),
        ({"hours": 0}, "hours"),
        ({"cfe_share": 1.5}, "cfe_share"),
    ],
)
def test_profile_rejects_bad_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        hourly_profile(0.3, **kwargs)


def test_profile_rejects_negative_mean() -> None:
    with pytest.raises(ValueError, match="mean_kg_per_kwh"):
        hourly_profile(-0.1)


# --- user CSV -------------------------------------------------------------------------------


def _write(path: Path, rows: list[tuple], header: str = "hour,gco2e_per_kwh") -> Path:
    path.write_text(header + "\n" + "".join(f"{a},{b}\n" for a, b in rows), encoding="utf-8")
    return path


def test_load_hourly_csv_any_order_to_kg(tmp_path: Path) -> None:
    values = {h: 100.0 + 10 * h for h in range(24)}
    rows = [(h, values[h]) for h in reversed(range(24))]
    got = load_hourly_csv(_write(tmp_path / "ok.csv", rows))
    assert got == pytest.approx(np.array([values[h] / 1000 for h in range(24)]))


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ([(h, 100) for h in range(23)], "expected 24 data rows"),
        ([(h, 100) for h in range(23)] + [(22, 100)], "row 24 .*hour 22 appears twice"),
        ([(h, 100) for h in range(23)] + [(24, 100)], "row 24 .*0..23"),
        ([(0, "abc")] + [(h, 100) for h in range(1, 24)], "row 1 .*gco2e_per_kwh is not a number"),
        ([(h, 100) for h in range(5)] + [(5, -3)] + [(h, 1) for h in range(6, 24)], "row 6 "),
        ([(h, 100) for h in range(5)] + [(5, "nan")] + [(h, 1) for h in range(6, 24)], "row 6 "),
        ([("x", 100)] + [(h, 100) for h in range(1, 24)], "row 1 .*hour is not a number"),
    ],
)
def test_load_hourly_csv_errors_name_file_and_row(tmp_path: Path, rows: list, match: str) -> None:
    path = _write(tmp_path / "bad.csv", rows)
    with pytest.raises(ValueError, match=match) as err:
        load_hourly_csv(path)
    assert "bad.csv" in str(err.value)


def test_load_hourly_csv_wrong_columns(tmp_path: Path) -> None:
    path = _write(tmp_path / "cols.csv", [(h, 1) for h in range(24)], header="h,g")
    with pytest.raises(
        ValueError, match="cols.csv: expected a header row with columns hour,gco2e_per_kwh"
    ):
        load_hourly_csv(path)
