"""Class 4: tampered catalog CSVs are rejected on load, naming file, row and column.

Types (a unit inside a numeric column), ranges (negative memory or TTFT), allowed values,
cross-field rules (min <= max), empty, binary and missing tables. Before these checks a
negative TTFT or min_sockets > max_sockets was solved and reported as optimal.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from ecoserve_opt.catalog import load_catalog
from ecoserve_opt.catalog.validate import COLUMNS
from ecoserve_opt.cli import app
from ecoserve_opt.exceptions import CatalogError
from ecoserve_opt.paths import catalog_dir

TINY_CAT = Path(__file__).resolve().parents[1] / "fixtures" / "tiny" / "catalog"
runner = CliRunner()


def _tampered(catalog_copy: Callable[..., Path], table: str, row: int, col: str, val: Any) -> Path:
    df = pd.read_csv(TINY_CAT / f"{table}.csv", dtype=str)
    df.loc[row, col] = val
    return catalog_copy(**{table: df})


CELL_CASES = [
    # (table, data row index, column, new value, reason)
    ("gpus", 1, "tdp_w", "700 W", "not a number (units belong in the column name"),
    ("gpus", 0, "memory_gb", "-16", "must be > 0"),
    ("gpus", 0, "memory_gb", "inf", "must be a finite number"),
    ("gpus", 1, "idle_w", "-1", "must be >= 0"),
    ("gpus", 0, "idle_w", "900", "idle_w must be <= tdp_w"),
    ("gpus", 0, "form_factor", "nvlink", "must be one of sxm, pcie, oam"),
    ("gpus", 0, "lifetime_years", "0", "must be > 0"),
    ("gpus", 0, "generation_year", "2020.5", "must be a whole number"),
    ("hosts", 0, "min_sockets", "2", "min_sockets must be <= max_sockets"),
    ("hosts", 1, "min_dimms", "20", "min_dimms must be <= max_dimms"),
    ("hosts", 1, "max_ssds", "-4", "must be >= 0"),
    ("hosts", 0, "cores_per_socket", "0", "must be >= 1"),
    ("hosts", 0, "gpu_form_factor", "usb", "must be one of sxm, pcie, oam, none"),
    ("hosts", 0, "dimm_gb", "32GB", "not a number"),
    ("profiles", 0, "ttft_ms", "-1000", "must be > 0"),
    ("profiles", 1, "tpot_ms", "nan", "value is missing"),
    ("profiles", 0, "power_w", "", "value is missing"),
    ("profiles", 0, "tp", "1.5", "must be a whole number"),
    ("profiles", 0, "batch", "0", "must be >= 1"),
    ("llms", 0, "weights_gb", "-10", "must be > 0"),
    ("llms", 0, "active_params_b", "50", "active_params_b must be <= params_b"),
    ("embodied", 0, "kgco2e", "-100", "must be >= 0"),
    ("embodied", 0, "per", "kg", "must be one of unit, socket, gb, tb, host"),
    ("embodied", 0, "embodied_source", "guess", "must be one of act, greensku, boavizta"),
    ("cpu_profiles", 0, "tpot_ms", "0", "must be > 0"),
]


@pytest.mark.parametrize(("table", "row", "col", "val", "reason"), CELL_CASES)
def test_bad_cell_names_file_row_column(
    catalog_copy: Callable[..., Path], table: str, row: int, col: str, val: str, reason: str
) -> None:
    cat = _tampered(catalog_copy, table, row, col, val)
    with pytest.raises(CatalogError) as exc:
        load_catalog(cat)
    assert exc.value.file == str(cat.resolve() / f"{table}.csv")
    assert exc.value.path == f"row {row + 2}.{col}"
    assert reason in exc.value.reason


def test_cli_one_line_for_unit_in_numeric_column(
    tmp_path: Path, tiny_dict: dict[str, Any], catalog_copy: Callable[..., Path]
) -> None:
    cat = _tampered(catalog_copy, "gpus", 1, "tdp_w", "700 W")
    tiny_dict["catalog"] = str(cat)
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(tiny_dict))
    r = runner.invoke(app, ["solve", str(p)])
    assert r.exit_code == 2, r.output
    assert r.stderr.strip() == (
        f"error: {cat.resolve() / 'gpus.csv'}: row 3.tdp_w: not a number (units belong in "
        "the column name: write the bare number)"
    )


def test_negative_ttft_no_longer_solved(
    tmp_path: Path, tiny_dict: dict[str, Any], catalog_copy: Callable[..., Path]
) -> None:
    tiny_dict["catalog"] = str(_tampered(catalog_copy, "profiles", 0, "ttft_ms", "-5"))
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(tiny_dict))
    r = runner.invoke(app, ["solve", str(p)])
    assert r.exit_code == 2
    assert "profiles.csv: row 2.ttft_ms: must be > 0" in r.stderr
    assert "optimal" not in r.output


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "file is empty (no header row)"),
        (b"\n\n", "file is empty (no header row)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "not a UTF-8 text CSV"),
        (b"gpu,source\n", "required column is missing"),
    ],
)
def test_unreadable_tables(catalog_copy: Callable[..., Path], content: bytes, reason: str) -> None:
    cat = catalog_copy()
    (cat / "gpus.csv").write_bytes(content)
    with pytest.raises(CatalogError) as exc:
        load_catalog(cat)
    assert exc.value.file.endswith("gpus.csv")
    assert exc.value.reason.startswith(reason)
    assert "\n" not in str(exc.value)


def test_header_only_table(catalog_copy: Callable[..., Path]) -> None:
    cat = catalog_copy()
    header = (TINY_CAT / "llms.csv").read_text().splitlines()[0]
    (cat / "llms.csv").write_text(header + "\n")
    with pytest.raises(CatalogError, match="llms.csv: table has a header but no rows"):
        load_catalog(cat)


@pytest.mark.parametrize("name", ["gpus.csv", "hosts.csv", "embodied.csv", "llms.csv"])
def test_missing_required_file(catalog_copy: Callable[..., Path], name: str) -> None:
    cat = catalog_copy()
    (cat / name).unlink()
    with pytest.raises(CatalogError) as exc:
        load_catalog(cat)
    assert exc.value.file.endswith(name)
    assert exc.value.reason == "catalog table not found"


def test_table_that_is_a_folder(catalog_copy: Callable[..., Path]) -> None:
    cat = catalog_copy()
    (cat / "hosts.csv").unlink()
    (cat / "hosts.csv").mkdir()
    with pytest.raises(CatalogError, match="hosts.csv: is a folder, not a CSV file"):
        load_catalog(cat)


def test_missing_grid_table_needed_by_region(
    tmp_path: Path, tiny_dict: dict[str, Any], catalog_copy: Callable[..., Path]
) -> None:
    """The tiny catalog has no grid tables: grid.region then needs grid_regions.csv."""
    tiny_dict["catalog"] = str(catalog_copy())
    tiny_dict["grid"] = {"region": "us-central1"}
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(tiny_dict))
    r = runner.invoke(app, ["validate", str(p)])
    assert r.exit_code == 2
    assert r.stderr.strip().endswith(
        "grid_regions.csv: catalog table not found (needed by grid.region)"
    )


def test_bundled_and_fixture_catalogs_pass_every_rule() -> None:
    """The rules are not stricter than the real data (every checked column exists)."""
    for folder in (catalog_dir(), TINY_CAT):
        cat = load_catalog(folder)
        assert len(cat.gpus) > 0
        assert len(cat.profiles) > 0
    real = load_catalog(catalog_dir())
    for table, cols in COLUMNS.items():
        df = getattr(real, table[:-4])
        have = {*df.columns, *df.index.names}
        assert set(cols) <= have, (table, set(cols) - have)
