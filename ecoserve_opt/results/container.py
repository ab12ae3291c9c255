"""The :class:`Results` of a solve: metrics and tidy tables, written to and read from a folder."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ecoserve_opt.exceptions import EcoserveError
from ecoserve_opt.io.atomic import atomic_write_bytes, atomic_write_text
from ecoserve_opt.io.outputs import check_output_dir, new_sibling_dir, replace_dir
from ecoserve_opt.solve import Status

COMPONENTS = ("GPU", "CPU", "DRAM", "SSD", "other")
TABLES = (
    "fleet",
    "deployment",
    "replicas",
    "breakdown",
    "power",
    "utilisation",
    "offline",
    "host_cpu",
)


#: Meta key and file of the resolved scenario (the validated scenario as solved).
RESOLVED_KEY = "resolved_scenario"
RESOLVED_FILE = "scenario.resolved.yaml"
RESOLVED_HEADER = (
    "# The scenario as solved: includes merged, overrides applied, defaults filled in.\n"
    "# Quantities are in canonical units (kW, kWh, h, kgCO2e, USD, tokens/s). For the record:\n"
    "# edit and solve the original scenario file, not this one.\n"
)


@dataclass(frozen=True)
class Results:
    """A solved (or failed) scenario: status, metrics and tidy tables."""

    name: str
    objective: str
    status: Status
    metrics: pd.Series
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, item: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if item in tables:
            return tables[item]
        raise AttributeError(item)

    @property
    def optimal(self) -> bool:
        """True only for a proven optimum (within the requested gap)."""
        return self.status == Status.OPTIMAL

    @property
    def carbon(self) -> float:
        """Total carbon over the horizon (kgCO2e)."""
        return float(self.metrics["carbon_kg"])

    def summary(self) -> str:
        """A plain-text summary (status, metrics, fleet)."""
        lines = [f"scenario {self.name!r}  objective={self.objective}  status={self.status.value}"]
        m = self.metrics
        if self.status.has_solution:
            if self.status == Status.FEASIBLE:
                lines.append(
                    f"  NOT OPTIMAL: stopped by a limit, gap {m.get('gap', float('nan')):.2%},"
                    f" bound {m.get('bound', float('nan')):.6g}"
                )
            lines.append(
                f"  carbon {m['carbon_kg']:,.0f} kgCO2e (operational {m['operational_kg']:,.0f},"
                f" embodied {m['embodied_kg']:,.0f}); energy {m['energy_kwh']:,.0f} kWh;"
                f" cost {m['cost_usd']:,.0f} USD"
            )
        return "\n".join(lines)

    def to_dir(self, path: str | Path, fmt: str = "csv") -> Path:
        """Write every table (CSV or Parquet), ``metrics.csv``, ``meta.json`` and the resolved
        scenario (``scenario.resolved.yaml``: includes and overrides applied) as one unit.

        The files are written into a new folder next to ``path`` and swapped in place of the
        previous results only when all are written (:func:`~ecoserve_opt.io.outputs.replace_dir`):
        a crash or a full disk leaves the previous results as they were, never a mix.
        ``meta.json`` records a SHA-256 of every file it describes, so :meth:`from_dir`
        refuses tables that do not belong to it. ``path`` must be new, empty or a previous
        results folder (:func:`check_results_dir`).
        """
        out = check_results_dir(path)
        tmp = new_sibling_dir(out)
        try:
            self._write_files(tmp, fmt)
            replace_dir(tmp, out)
        except OSError as exc:
            raise EcoserveError(
                f"{out}: cannot write results ({exc.strerror or type(exc).__name__}); "
                "previous results left as they were"
            ) from None
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return out

    def _write_files(self, out: Path, fmt: str) -> None:
        files: dict[str, bytes] = {}
        for name, df in self.tables.items():
            if fmt == "parquet":
                import io

                buf = io.BytesIO()
                df.to_parquet(buf, index=False)
                files[f"{name}.parquet"] = buf.getvalue()
            else:
                files[f"{name}.csv"] = df.to_csv(index=False).encode("utf-8")
        files["metrics.csv"] = self.metrics.to_frame("value").to_csv().encode("utf-8")
        meta = dict(self.meta)
        resolved = meta.pop(RESOLVED_KEY, None)
        if resolved is not None:  # the scenario as solved (includes, overrides applied)
            import yaml

            text = yaml.safe_dump(resolved, sort_keys=False, allow_unicode=True)
            files[RESOLVED_FILE] = (RESOLVED_HEADER + text).encode("utf-8")
        for fname, data in files.items():
            atomic_write_bytes(out / fname, data)
        meta = {
            **meta,
            "name": self.name,
            "objective": self.objective,
            "status": self.status.value,
            "tables": sorted(self.tables),
            "format": fmt,
            "files_sha256": {f: hashlib.sha256(b).hexdigest() for f, b in sorted(files.items())},
        }
        atomic_write_text(out / "meta.json", json.dumps(meta, indent=2, default=str))

    @classmethod
    def from_dir(cls, path: str | Path) -> Results:
        """Read results written by :meth:`to_dir`; EcoserveError when the folder's files and
        its ``meta.json`` disagree (a table from another solve, missing or altered)."""
        p = Path(path)
        meta = json.loads((p / "meta.json").read_text())
        if not isinstance(meta, dict):
            raise EcoserveError(f"{p}: meta.json is not a results description")
        verify_results_dir(p, meta)
        fmt = meta.get("format", "csv")
        tables = {}
        for name in meta.get("tables", []):
            f = p / f"{name}.{fmt}"
            tables[name] = pd.read_parquet(f) if fmt == "parquet" else pd.read_csv(f)
        metrics = pd.read_csv(p / "metrics.csv", index_col=0)["value"]
        if (p / RESOLVED_FILE).is_file():
            import yaml

            meta[RESOLVED_KEY] = yaml.safe_load((p / RESOLVED_FILE).read_text())
        return cls(
            name=meta["name"],
            objective=meta["objective"],
            status=Status(meta["status"]),
            metrics=metrics,
            tables=tables,
            meta=meta,
        )


#: Files a results folder may hold besides its tables (a report is rewritten from them).
RESULTS_FILES = ("meta.json", "metrics.csv", RESOLVED_FILE, "report.html")


def _owned_results_file(name: str) -> bool:
    stem, _, ext = name.rpartition(".")
    return name in RESULTS_FILES or (ext in ("csv", "parquet") and stem in TABLES)


def check_results_dir(path: str | Path, option: str = "--out") -> Path:
    """Check, before solving, that ``path`` can take a results folder (see
    :func:`~ecoserve_opt.io.outputs.check_output_dir`): new, empty or previous results."""
    return check_output_dir(path, option, owned=_owned_results_file)


def verify_results_dir(path: Path, meta: dict[str, Any]) -> None:
    """EcoserveError unless every file listed in ``meta["files_sha256"]`` is present and
    unchanged (folders written before this check existed carry no hashes: not checked)."""
    hashes = meta.get("files_sha256")
    if not isinstance(hashes, dict):
        return
    for fname, want in sorted(hashes.items()):
        f = path / str(fname)
        if not f.is_file():
            raise EcoserveError(
                f"{path}: {fname} is missing; this folder does not hold one complete solve "
                "(re-run the solve into it)"
            )
        if hashlib.sha256(f.read_bytes()).hexdigest() != want:
            raise EcoserveError(
                f"{path}: {fname} does not match meta.json (written by another solve or "
                "changed since); refusing to mix results: re-run the solve into this folder"
            )
