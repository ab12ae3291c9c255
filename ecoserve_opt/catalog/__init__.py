"""Catalog loading: hardware, embodied carbon, LLMs, serving profiles (docs/catalog-format.md).

``load_catalog(folder)`` reads the CSV tables, checks the columns the model needs and that
every row has a ``source``, and returns a :class:`Catalog` of pandas DataFrames indexed by key.
Units are those of the files (W, GB, ms); :mod:`ecoserve_opt.data` converts to canonical units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from ecoserve_opt.catalog.validate import check_table
from ecoserve_opt.exceptions import CatalogError, ScenarioError
from ecoserve_opt.paths import catalog_dir

REQUIRED: dict[str, tuple[list[str], list[str]]] = {
    # file: (key columns, required value columns)
    "gpus.csv": (
        ["gpu"],
        [
            "generation_year",
            "form_factor",
            "memory_gb",
            "tdp_w",
            "idle_w",
            "lifetime_years",
            "capex_usd",
        ],
    ),
    "hosts.csv": (
        ["host"],
        [
            "cpu",
            "generation_year",
            "cores_per_socket",
            "min_sockets",
            "max_sockets",
            "cpu_tdp_w",
            "cpu_idle_w",
            "dram_type",
            "dimm_gb",
            "dimm_w",
            "min_dimms",
            "max_dimms",
            "ssd_tb",
            "ssd_w",
            "min_ssds",
            "max_ssds",
            "gpu_slots",
            "gpu_form_factor",
            "base_w",
            "lifetime_years",
            "capex_base_usd",
            "capex_cpu_usd",
            "capex_dimm_usd",
            "capex_ssd_usd",
        ],
    ),
    "embodied.csv": (["kind", "item", "embodied_source"], ["kgco2e", "per"]),
    "llms.csv": (["llm"], ["weights_gb"]),
    "profiles.csv": (
        ["llm", "gpu", "tp", "batch", "prompt_tokens"],
        ["ttft_ms", "tpot_ms", "power_w"],
    ),
}
#: Optional column of ``profiles.csv``: the serving engine a row represents (part of the key).
ENGINE_COLUMN = "engine"
OPTIONAL: dict[str, tuple[list[str], list[str]]] = {
    "cpu_profiles.csv": (
        ["llm", "cpu", "batch", "prompt_tokens"],
        ["ttft_ms", "tpot_ms", "power_w"],
    ),
    "grid_regions.csv": (["region", "year"], ["gco2e_per_kwh"]),
    "grid_countries.csv": (["country", "year"], ["gco2e_per_kwh"]),
    "host_components.csv": (["component", "variant"], ["idle", "max"]),
}


@dataclass(frozen=True)
class Catalog:
    """The catalog tables (DataFrames, indexed by their key columns)."""

    path: Path
    gpus: pd.DataFrame
    hosts: pd.DataFrame
    embodied: pd.DataFrame
    llms: pd.DataFrame
    profiles: pd.DataFrame
    cpu_profiles: pd.DataFrame | None
    grid_regions: pd.DataFrame | None
    grid_countries: pd.DataFrame | None
    host_components: pd.DataFrame | None
    #: rows already read by :meth:`row` and the ``embodied`` lookup, per table (the tables
    #: are not changed after loading; ``dataclasses.replace`` starts an empty cache)
    _cache: dict[str, Any] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def row(self, table: str, key: str) -> dict[str, Any]:
        """One row of a single-key table (``gpus``, ``hosts``, ``llms``) as a plain dict."""
        rows = self._cache.setdefault(table, {})
        r = rows.get(key)
        if r is None:
            df: pd.DataFrame = getattr(self, table)
            r = rows[key] = {str(k): v for k, v in df.loc[key].to_dict().items()}
        return dict(r)

    def embodied_kg(self, kind: str, item: str, source: str) -> float:
        """Embodied kgCO2e of one item per its ``per`` unit, from the chosen source."""
        kg = self._cache.get("embodied_kg")
        if kg is None:
            kg = self._cache["embodied_kg"] = self.embodied["kgco2e"].to_dict()
        try:
            return float(kg[(kind, item, source)])
        except KeyError:
            raise CatalogError(
                str(self.path / "embodied.csv"),
                f"{kind}.{item}.{source}",
                f"no embodied-carbon row for {kind} '{item}' from source '{source}'",
            ) from None


def _read_table(folder: Path, name: str, keys: list[str], cols: list[str]) -> pd.DataFrame:
    path = folder / name
    try:
        df = pd.read_csv(path, encoding="utf-8")
    except FileNotFoundError:
        raise CatalogError(str(path), "", "catalog table not found") from None
    except IsADirectoryError:
        raise CatalogError(str(path), "", "is a folder, not a CSV file") from None
    except PermissionError:
        raise CatalogError(str(path), "", "cannot read file (permission denied)") from None
    except pd.errors.EmptyDataError:
        raise CatalogError(str(path), "", "file is empty (no header row)") from None
    except UnicodeDecodeError as exc:
        raise CatalogError(
            str(path), "", f"not a UTF-8 text CSV (undecodable byte at offset {exc.start})"
        ) from None
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CatalogError(str(path), "", f"malformed CSV ({first})") from None
    if name == "profiles.csv" and ENGINE_COLUMN in df.columns:
        # one full set of rows per serving-engine generation (docs/catalog-format.md)
        keys = [*keys, ENGINE_COLUMN]
    missing = [c for c in [*keys, *cols, "source"] if c not in df.columns]
    if missing:
        raise CatalogError(str(path), missing[0], "required column is missing")
    if len(df) == 0:
        raise CatalogError(str(path), "", "table has a header but no rows")
    nosrc = df["source"].isna() | (df["source"].astype(str).str.strip() == "")
    if nosrc.any():
        i = int(nosrc.to_numpy().nonzero()[0][0])
        raise CatalogError(str(path), f"row {i + 2}.source", "every row needs a source")
    for c in [*keys, *cols]:
        if df[c].isna().any():
            i = int(df[c].isna().to_numpy().nonzero()[0][0])
            raise CatalogError(str(path), f"row {i + 2}.{c}", "value is missing")
    df = check_table(path, df)
    if df.duplicated(keys).any():
        i = int(df.duplicated(keys).to_numpy().nonzero()[0][0])
        raise CatalogError(str(path), f"row {i + 2}", f"duplicate key {tuple(df.iloc[i][keys])}")
    return df.set_index(keys).sort_index()


@lru_cache(maxsize=8)
def _load(folder: Path) -> Catalog:
    tables: dict[str, pd.DataFrame | None] = {}
    for name, (keys, cols) in REQUIRED.items():
        tables[name[:-4]] = _read_table(folder, name, keys, cols)
    for name, (keys, cols) in OPTIONAL.items():
        tables[name[:-4]] = (
            _read_table(folder, name, keys, cols) if (folder / name).exists() else None
        )
    return Catalog(path=folder, **tables)  # type: ignore[arg-type]


def load_catalog(folder: str | Path | None = None) -> Catalog:
    """Load (and cache) the catalog in ``folder``; ``None`` or ``"default"`` = bundled."""
    path = catalog_dir() if folder is None or str(folder) == "default" else Path(folder)
    if not path.is_dir():
        raise CatalogError(str(path), "catalog", "catalog folder not found")
    return _load(path.resolve())


def select_engine(prof: pd.DataFrame, engine: str | None, file: str) -> pd.DataFrame:
    """Rows of one serving-engine generation (``profiles.engine``; docs/profiles.md)."""
    if ENGINE_COLUMN not in prof.columns:
        if engine is not None:
            raise ScenarioError(
                file,
                "profiles.engine",
                f"engine {engine!r} requested but the catalog's profiles.csv has no "
                f"'{ENGINE_COLUMN}' column",
            )
        return prof
    have = sorted(str(e) for e in prof[ENGINE_COLUMN].unique())
    from ecoserve_opt.perf.engines import DEFAULT_ENGINE

    want = engine if engine is not None else DEFAULT_ENGINE
    if want not in have:
        raise ScenarioError(
            file, "profiles.engine", f"engine {want!r} not in profiles.csv (has: {have})"
        )
    return prof[prof[ENGINE_COLUMN] == want]
