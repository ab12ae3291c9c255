"""Results store for sweeps and Pareto fronts: one atomic record per solved point.

Layout of a store folder::

    sweep.json                    # manifest: scenario hash, runs (command, parameters)
    points/<point_id>.parquet     # one row: parameters, status, gap, metrics, breakdown, mix
    points/<point_id>.fleet.parquet      # the point's fleet table (Results.tables["fleet"])
    points/<point_id>.replicas.parquet   # its replicas table
    points/<point_id>.json        # metadata, written LAST: its presence marks the point done

``point_id`` is a hash of the scenario hash and everything that defines the point (parameter
values, objective, caps, fixed-fleet flag), so re-running the same sweep finds its finished
points and skips them; a sweep killed at any moment resumes without losing a finished point
(every file is written through :mod:`ecoserve_opt.io.atomic`). Solver settings (gap, time
limit) are recorded in the metadata but are not part of the id: re-running with other
settings reuses the stored points (use a new folder, or ``retry_failed`` for points that
ended without a solution).

:class:`SweepResults` reads a store into one tidy DataFrame (one row per point).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ecoserve_opt.exceptions import EcoserveError
from ecoserve_opt.io.atomic import atomic_write_bytes, atomic_write_text
from ecoserve_opt.results import COMPONENTS, Results

if TYPE_CHECKING:
    import xarray as xr

    from ecoserve_opt.studies.temporary import TemporaryStore

from ecoserve_opt.vocabulary import (
    METRICS,
    PARAMETERS,
    metric_column,
    metric_label,
    metric_name,
)

__all__ = [
    "METRIC_COLUMNS",
    "PARAM_UNITS",
    "ResultsStore",
    "SweepResults",
    "design_signature",
    "fleet_mix",
    "metric_column",
    "metric_label",
    "metric_name",
    "non_dominated",
    "point_id",
    "point_row",
]

#: Metric name -> (column in the tidy table, unit, label), from the vocabulary.
METRIC_COLUMNS: dict[str, tuple[str, str, str]] = {
    n: (m.column, m.unit, m.label) for n, m in METRICS.items()
}
#: Units of the sweepable parameters as they appear in the table, from the vocabulary.
PARAM_UNITS = {n: p.unit for n, p in PARAMETERS.items()}

#: Columns that differ between two runs of the same points (timings, provenance).
VOLATILE_COLUMNS = ("wall_time_s", "solve_wall_time_s", "finished_at", "mode", "warm_start")

STORE_VERSION = 1


def _canon(value: Any) -> Any:
    """JSON-stable form of a parameter value (floats rounded to 12 significant digits)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        v = float(value)
        if not math.isfinite(v):
            return str(v)
        if v == int(v) and abs(v) < 1e15:
            return int(v)
        return float(f"{v:.12g}")
    if isinstance(value, Mapping):
        return {str(k): _canon(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_canon(v) for v in value]
    return str(value)


def point_id(scenario_hash: str, definition: Mapping[str, Any]) -> str:
    """Stable id of a point: hash of the scenario hash and the point's definition."""
    payload = json.dumps({"scenario": scenario_hash, **_canon(dict(definition))}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


def _parquet_bytes(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def design_signature(results: Results) -> str:
    """Short text naming a solution's fleet, e.g. ``5 gpu-a + 2 host-x`` (year 1)."""
    parts = [f"{v:g} {k.split(':', 1)[1]}" for k, v in fleet_mix(results).items() if v > 0]
    return " + ".join(parts) if parts else "-"


def fleet_mix(results: Results) -> dict[str, float]:
    """GPUs per type and hosts per platform in service in the first year.

    Keys ``gpu:<type>`` (GPUs mounted) and ``host:<platform>`` (hosts deployed).
    """
    dep = results.tables.get("deployment")
    out: dict[str, float] = {}
    if dep is None or dep.empty:
        return out
    first = dep[dep["year"] == dep["year"].min()]
    gpus = first[first["gpu"] != "none"].groupby("gpu")["gpus"].sum()
    for g, n in sorted(gpus.items()):
        out[f"gpu:{g}"] = round(float(n), 6)
    hosts = first.groupby("host")["hosts"].sum()
    for h, n in sorted(hosts.items()):
        out[f"host:{h}"] = float(n)
    return out


def point_row(
    pid: str,
    results: Results,
    params: Mapping[str, Any],
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The flat record of one solved point (one row of the tidy table)."""
    row: dict[str, Any] = {"point_id": pid, **params}
    row.update(dict(extra or {}))
    row["status"] = results.status.value
    row["termination"] = results.meta.get("termination")
    for k, v in results.metrics.items():
        key = "objective_value" if k == "objective" else str(k)
        row[key] = float(v) if isinstance(v, int | float | np.number) else v
    bd = results.tables.get("breakdown")
    if bd is not None and not bd.empty:
        for _, r in bd.iterrows():
            row[f"operational_kg:{r['component']}"] = float(r["operational_kg"])
            row[f"embodied_kg:{r['component']}"] = float(r["embodied_kg"])
    for k, v in fleet_mix(results).items():
        row[k] = v
    row["design"] = design_signature(results) if results.status.has_solution else None
    return row


@dataclass
class ResultsStore:
    """A folder of solved points (see the module docstring for the layout)."""

    root: Path
    points_dir: Path = field(init=False)
    skipped: dict[str, str] = field(init=False, default_factory=dict)
    """Points left out by the last :meth:`rows` because their files could not be read."""
    recovered_manifest: str | None = field(init=False, default=None)
    """Set by :meth:`open_run` when it replaced an unreadable ``sweep.json``."""

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self.points_dir = self.root / "points"

    # ---- manifest -----------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        """``sweep.json`` in the store folder."""
        return self.root / "sweep.json"

    def manifest(self) -> dict[str, Any]:
        """The manifest (empty dict for a new store, or when it is unreadable: see
        :meth:`manifest_problem`)."""
        return self._read_manifest()[0]

    def manifest_problem(self) -> str | None:
        """Why ``sweep.json`` cannot be used (``None`` when it is fine or absent)."""
        return self._read_manifest()[1]

    def _read_manifest(self) -> tuple[dict[str, Any], str | None]:
        if not self.manifest_path.exists():
            return {}, None
        try:
            man = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError):
            return {}, "sweep.json is unreadable (not JSON)"
        if not isinstance(man, dict) or not isinstance(man.get("runs", []), list):
            return {}, "sweep.json is not a sweep manifest"
        return dict(man), None

    def open_run(self, scenario_hash: str, scenario: str, run: Mapping[str, Any]) -> None:
        """Record a run in the manifest; refuses a store holding another scenario's points."""
        man, problem = self._read_manifest()
        if problem is not None:
            # The scenario hash it held is lost: fall back on the points' own metadata.
            self.recovered_manifest = problem
            hashes = {m.get("scenario_hash") for m in self._metas().values()} - {None}
            man = {"scenario_hash": next(iter(hashes))} if len(hashes) == 1 else {}
            if len(hashes) > 1:
                raise EcoserveError(
                    f"{self.root}: {problem} and the points inside belong to several "
                    "scenarios; use another --out folder"
                )
            corrupt = self.manifest_path.with_name("sweep.json.corrupt")
            self.manifest_path.replace(corrupt)
        old = man.get("scenario_hash")
        if old is not None and old != scenario_hash:
            raise EcoserveError(
                f"{self.root}: this results folder holds points of another scenario "
                f"(hash {old}, this one is {scenario_hash}); use another --out folder"
            )
        runs = list(man.get("runs", []))
        entry = _canon(dict(run))
        if entry not in runs:
            runs.append(entry)
        man.update(
            {
                "store_version": STORE_VERSION,
                "scenario_hash": scenario_hash,
                "scenario": scenario,
                "runs": runs,
            }
        )
        self.points_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.manifest_path, json.dumps(man, indent=2, default=str))

    # ---- points -------------------------------------------------------------------------
    def _meta_path(self, pid: str) -> Path:
        return self.points_dir / f"{pid}.json"

    def _metas(self) -> dict[str, dict[str, Any]]:
        """Readable point metadata by id (unreadable ones are skipped)."""
        out: dict[str, dict[str, Any]] = {}
        if not self.points_dir.is_dir():
            return out
        for p in self.points_dir.glob("*.json"):
            try:
                meta = json.loads(p.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, ValueError, RecursionError):
                continue
            if isinstance(meta, dict):
                out[p.stem] = meta
        return out

    def problem(self, pid: str) -> str | None:
        """Why the stored point ``pid`` is damaged, ``None`` if it is intact or absent.

        A point is intact when its metadata parses and every Parquet file it lists (its
        row, its fleet and replicas tables) is present and has a valid Parquet footer, so a
        truncated or overwritten file is detected without reading the whole store.
        """
        p = self._meta_path(pid)
        if not p.exists():
            return None
        try:
            meta = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError):
            return "metadata is unreadable"
        if not isinstance(meta, dict):
            return "metadata is not a JSON object"
        for name in ("", ".fleet", ".replicas"):
            f = self.points_dir / f"{pid}{name}.parquet"
            if not f.exists():
                if name == "":
                    return f"{f.name} is missing"
                continue
            why = _parquet_problem(f)
            if why is not None:
                return f"{f.name} {why}"
        return None

    def done(self, pid: str, retry_failed: bool = False) -> bool:
        """True when point ``pid`` is complete and intact (see :meth:`problem`).

        With ``retry_failed`` a point that ended without a solution (time limit, error) is
        not done; infeasible points stay done (re-solving cannot change a proof). A damaged
        point is not done: the next run recomputes it.
        """
        p = self._meta_path(pid)
        if not p.exists() or self.problem(pid) is not None:
            return False
        meta = json.loads(p.read_text(encoding="utf-8"))
        return not (retry_failed and meta.get("status") in ("no_solution", "error"))

    def damaged(self) -> dict[str, str]:
        """Stored points that are damaged (id -> reason); a rerun recomputes them."""
        if not self.points_dir.is_dir():
            return {}
        out = {}
        for p in sorted(self.points_dir.glob("*.json")):
            why = self.problem(p.stem)
            if why is not None:
                out[p.stem] = why
        return out

    def finished(self) -> set[str]:
        """Ids of all complete, intact points."""
        if not self.points_dir.is_dir():
            return set()
        return {p.stem for p in self.points_dir.glob("*.json") if self.done(p.stem)}

    def write(
        self,
        row: Mapping[str, Any],
        tables: Mapping[str, pd.DataFrame],
        meta: Mapping[str, Any],
    ) -> None:
        """Write one point: tables, then its row, then the metadata (the completion mark)."""
        pid = str(row["point_id"])
        self.points_dir.mkdir(parents=True, exist_ok=True)
        for name, df in tables.items():
            atomic_write_bytes(self.points_dir / f"{pid}.{name}.parquet", _parquet_bytes(df))
        atomic_write_bytes(self.points_dir / f"{pid}.parquet", _parquet_bytes(pd.DataFrame([row])))
        atomic_write_text(self._meta_path(pid), json.dumps(dict(meta), indent=2, default=str))

    def read_meta(self, pid: str) -> dict[str, Any]:
        """Metadata of point ``pid``."""
        return dict(json.loads(self._meta_path(pid).read_text()))

    def read_table(self, pid: str, name: str) -> pd.DataFrame:
        """Table ``name`` (``fleet``, ``replicas``) of point ``pid``."""
        p = self.points_dir / f"{pid}.{name}.parquet"
        if not p.exists():
            return pd.DataFrame()
        try:
            return pd.read_parquet(p)
        except Exception as exc:  # noqa: BLE001 - a damaged table reads as empty, reported
            self.skipped[pid] = f"{p.name} is unreadable ({type(exc).__name__})"
            return pd.DataFrame()

    def rows(self, ids: Iterable[str] | None = None) -> pd.DataFrame:
        """The tidy table of the given (default: all complete) points; points whose row
        cannot be read are left out and listed in :attr:`skipped`."""
        ids = sorted(self.finished() if ids is None else ids)
        frames = []
        for pid in ids:
            try:
                frames.append(pd.read_parquet(self.points_dir / f"{pid}.parquet"))
            except Exception as exc:  # noqa: BLE001 - any unreadable file is a damaged point
                self.skipped[pid] = f"{pid}.parquet is unreadable ({type(exc).__name__})"
        frames = [f.dropna(axis=1, how="all") for f in frames if not f.empty]
        if not frames:
            return pd.DataFrame()
        return pd.concat(frames, ignore_index=True, sort=False)


def _parquet_problem(path: Path) -> str | None:
    """``None`` when ``path`` has a valid Parquet footer, else what is wrong."""
    import pyarrow.parquet as pq

    try:
        pq.read_metadata(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for bad files
        return f"is not a valid Parquet file ({type(exc).__name__})"
    return None


def non_dominated(
    df: pd.DataFrame, x: str, y: str, rel_tol: float = 1e-9, abs_tol: float = 1e-9
) -> pd.DataFrame:
    """Rows of ``df`` not dominated in (``x``, ``y``), both minimised; duplicates kept once.

    A point is dominated when another is no worse in both columns and better in one (within
    the tolerance ``abs_tol + rel_tol*|value|``, so solver noise does not create false front
    points). Returned sorted by ``x``.
    """
    if df.empty:
        return df.copy()
    d = df.dropna(subset=[x, y]).sort_values([x, y], kind="mergesort")
    keep: list[Any] = []
    best_y = math.inf
    for idx, r in d.iterrows():
        yv = float(r[y])
        if yv < best_y - (abs_tol + rel_tol * abs(best_y if math.isfinite(best_y) else 0.0)):
            keep.append(idx)
            best_y = yv
    return d.loc[keep]


class SweepResults:
    """All points of a store as one tidy DataFrame (one row per point).

    Columns: ``point_id``, ``kind`` (``sweep``, ``anchor``, ``front``, ``baseline``), the
    swept parameters (``grid_intensity`` in gCO2e/kWh, dot-paths as given), ``objective``,
    ``status``, ``gap``, the metrics of :class:`~ecoserve_opt.results.Results` (``carbon_kg``,
    ``operational_kg``, ``embodied_kg``, ``energy_kwh``, ``cost_usd``, ...), the carbon
    breakdown (``operational_kg:GPU`` ... ``embodied_kg:other``), the first-year fleet mix
    (``gpu:<type>`` GPUs, ``host:<platform>`` hosts) and ``design`` (a text signature).
    """

    def __init__(self, table: pd.DataFrame, store: ResultsStore | None = None) -> None:
        self.table = table
        self.store = store
        self.temporary: TemporaryStore | None = None  # set when the store is temporary

    @classmethod
    def load(cls, path: str | Path) -> SweepResults:
        """Read every finished point of the store at ``path``."""
        store = ResultsStore(Path(path))
        if not store.points_dir.is_dir():
            raise EcoserveError(f"{path}: not a sweep results folder (no points/ inside)")
        return cls(_tidy(store.rows()), store)

    def warnings(self) -> list[str]:
        """One line per problem found in the store (the CLI prints them; check them after
        :meth:`load`): damaged points left out (a rerun of the
        sweep recomputes them), an unreadable manifest."""
        if self.store is None:
            return []
        out = []
        bad = {**self.store.damaged(), **self.store.skipped}
        if bad:
            first = next(iter(bad.values()))
            out.append(
                f"{self.store.root}: {len(bad)} damaged point(s) left out (e.g. {first}); "
                "rerun the same sweep/pareto command to recompute them"
            )
        problem = self.store.manifest_problem()
        if problem is not None:
            out.append(
                f"{self.store.root}: {problem}; swept parameters guessed from the table "
                "(a rerun of the sweep rewrites it)"
            )
        return out

    @property
    def manifest(self) -> dict[str, Any]:
        """The store's manifest (empty when built from a bare DataFrame)."""
        return self.store.manifest() if self.store is not None else {}

    @property
    def params(self) -> list[str]:
        """Names of the swept parameters (from the manifest, else guessed from columns)."""
        names: list[str] = []
        for run in self.manifest.get("runs", []):
            for p in run.get("params", []):
                if p not in names:
                    names.append(p)
        if not names and "grid_intensity" in self.table.columns:
            names = ["grid_intensity"]
        return [n for n in names if n in self.table.columns]

    def solved(self) -> pd.DataFrame:
        """Rows with a solution (optimal or time-limited feasible)."""
        if self.table.empty:
            return self.table
        return self.table[self.table["status"].isin(["optimal", "feasible"])]

    def sweep(self) -> pd.DataFrame:
        """Sweep points, sorted by their parameters."""
        t = self.table
        if t.empty:
            return t
        t = t[t["kind"] == "sweep"] if "kind" in t.columns else t
        return t.sort_values(self.params or ["point_id"], kind="mergesort").reset_index(drop=True)

    def baselines(self) -> pd.DataFrame:
        """Baseline design points (one per objective: performance, energy, cost, carbon)."""
        t = self.solved()
        if t.empty or "kind" not in t.columns:
            return t.iloc[0:0]
        return t[t["kind"] == "baseline"].reset_index(drop=True)

    def infeasible(self) -> pd.DataFrame:
        """Points that ended without a solution (infeasible caps, limits)."""
        t = self.table
        if t.empty:
            return t
        return t[~t["status"].isin(["optimal", "feasible"])].reset_index(drop=True)

    def pareto_front(
        self, x: str | None = None, y: str | None = None, include_time_limited: bool = False
    ) -> pd.DataFrame:
        """Mutually non-dominated solved points in (``x``, ``y``), both minimised.

        Defaults to the axes of the store's Pareto run (else cost vs carbon). Uses the
        epsilon-constraint points (``anchor``/``front``) when there are any, else every solved
        point; sorted by ``x``. Time-limited points (``status`` feasible: not proven optimal)
        are kept off the front unless ``include_time_limited``: a point that is not optimal
        for its cap may be dominated by the true optimum.
        """
        run: dict[str, Any] = next(
            (r for r in self.manifest.get("runs", []) if r.get("command") == "pareto"), {}
        )
        xm = metric_name(x or run.get("x", "cost"))
        ym = metric_name(y or run.get("y", "carbon"))
        t = self.solved()
        if not include_time_limited and not t.empty:
            t = t[t["status"] == "optimal"]
        if t.empty:
            return t
        if "kind" in t.columns and t["kind"].isin(["front", "anchor"]).any():
            t = t[t["kind"].isin(["front", "anchor"])]
        front = non_dominated(t, metric_column(xm), metric_column(ym))
        return front.reset_index(drop=True)

    def to_long(self) -> pd.DataFrame:
        """The table as a tidy long table (:func:`ecoserve_opt.io.export.to_long`): one row
        per (point, variable, label) with its value and unit."""
        from ecoserve_opt.io.export import to_long

        return to_long(self.table, self.params)

    def to_xarray(self) -> xr.Dataset:
        """The table as an ``xarray.Dataset`` (:func:`ecoserve_opt.io.export.to_xarray`):
        the swept parameters as dimensions on a full grid (else a ``point_id`` dimension),
        ``component``/``gpu_type``/``host_type`` dimensions, ``attrs["units"]`` everywhere.
        Needs the ``xarray`` extra."""
        from ecoserve_opt.io.export import to_xarray

        return to_xarray(self.table, self.params, PARAM_UNITS)

    def to_netcdf(self, path: str | Path, engine: str | None = None) -> Path:
        """Write :meth:`to_xarray` to a netCDF file (atomically; scipy backend, netCDF3,
        unless ``engine`` says otherwise); returns the path."""
        from ecoserve_opt.io.export import to_netcdf

        return to_netcdf(self.table, self.params, path, engine, PARAM_UNITS)

    def fleet(self, pid: str) -> pd.DataFrame:
        """The fleet table of point ``pid``."""
        if self.store is None:
            raise EcoserveError("fleet tables need a results folder (SweepResults.load)")
        return self.store.read_table(pid, "fleet")

    def fleets(self, ids: Sequence[str] | None = None) -> pd.DataFrame:
        """Fleet tables of the given points (default: all) with a ``point_id`` column."""
        ids = list(self.table["point_id"]) if ids is None else list(ids)
        frames = [self.fleet(p).assign(point_id=p) for p in ids]
        frames = [f for f in frames if not f.empty]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def comparable(self) -> pd.DataFrame:
        """The table without run-dependent columns (timings), sorted by point id: two runs
        of the same points compare equal."""
        t = self.table.drop(columns=[c for c in VOLATILE_COLUMNS if c in self.table.columns])
        return t.sort_values("point_id").reset_index(drop=True)[sorted(t.columns)]

    def __len__(self) -> int:
        return len(self.table)

    def __repr__(self) -> str:
        n_ok = len(self.solved())
        return f"SweepResults({len(self)} points, {n_ok} solved, params={self.params})"


def _tidy(df: pd.DataFrame) -> pd.DataFrame:
    """Fill the mix and breakdown columns missing in some rows with zeros."""
    if df.empty:
        return df
    for c in df.columns:
        if c.startswith(("gpu:", "host:", "operational_kg:", "embodied_kg:")):
            df[c] = df[c].astype(float).fillna(0.0)
    for comp in COMPONENTS:
        for part in ("operational_kg", "embodied_kg"):
            col = f"{part}:{comp}"
            if col not in df.columns:
                df[col] = 0.0
    # zeros for unsolved points would be misleading: keep NaN there
    if "status" in df.columns:
        bad = ~df["status"].isin(["optimal", "feasible"])
        mixcols = [c for c in df.columns if c.startswith(("gpu:", "host:", "operational_kg:"))]
        mixcols += [c for c in df.columns if c.startswith("embodied_kg:")]
        df.loc[bad, mixcols] = np.nan
        # a point stopped by a limit with a solution is not proven optimal: mark it
        df["time_limited"] = df["status"] == "feasible"
    return df
