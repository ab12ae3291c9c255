"""A self-contained HTML report of one solved design (``ecoserve report RESULTS_DIR``).

The page is a single file: plots are inline SVG, the stylesheet is inline, there is no
JavaScript and no external font, image or stylesheet, so it opens from disk (``file://``)
with no server and no network. Every piece of text taken from the results is escaped.

Input is a folder written by :meth:`~ecoserve_opt.results.Results.to_dir` (CSV or Parquet
tables plus ``meta.json``). The page shows the scenario (name, file, hash, overrides,
pillars), the solver status (with a prominent *not optimal* banner and the gap when a limit
stopped the solve), the totals, the three plots of :mod:`ecoserve_opt.plot.fleet` and the
fleet, replica, deployment and carbon-breakdown tables.

A sweep or Pareto results store (``ecoserve sweep``/``ecoserve pareto --out``, see
:mod:`ecoserve_opt.studies.store`) gives a page with the Pareto front, the sensitivity and the
per-point breakdown plots of :mod:`ecoserve_opt.plot` and a table of every point.

>>> from ecoserve_opt.report import write_report  # doctest: +SKIP
>>> write_report("out/default")  # doctest: +SKIP
PosixPath('out/default/report.html')
"""

from __future__ import annotations

from pathlib import Path

from ecoserve_opt.exceptions import EcoserveError
from ecoserve_opt.io.atomic import atomic_write_text
from ecoserve_opt.report.html import figure_svg, html_table
from ecoserve_opt.report.single import render_results
from ecoserve_opt.report.sweep import is_sweep_dir, render_sweep
from ecoserve_opt.results import Results

REPORT_NAME = "report.html"


def read_results(results_dir: str | Path) -> Results:
    """:meth:`Results.from_dir`, with a one-line error when the folder is not a results one."""
    p = Path(results_dir)
    if not p.is_dir():
        raise EcoserveError(f"{p}: not a folder")
    if not (p / "meta.json").is_file():
        raise EcoserveError(
            f"{p}: no meta.json (not a results folder written by 'ecoserve solve --out', "
            "nor a sweep/Pareto store)"
        )
    try:
        return Results.from_dir(p)
    except (OSError, ValueError, KeyError) as exc:
        raise EcoserveError(f"{p}: cannot read results ({exc})") from None


def render_report(results_dir: str | Path) -> str:
    """The HTML report (one self-contained page) for a results folder: one solved design
    (``Results.to_dir``) or a sweep/Pareto store (``ecoserve sweep``/``ecoserve pareto``)."""
    p = Path(results_dir)
    if p.is_dir() and not (p / "meta.json").is_file() and is_sweep_dir(p):
        from ecoserve_opt.studies.store import SweepResults

        return render_sweep(SweepResults.load(p), source=p.name)
    return render_results(read_results(p), source=p.name, folder=p)


def write_report(results_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the report atomically (default ``RESULTS_DIR/report.html``); return its path."""
    target = Path(out) if out is not None else Path(results_dir) / REPORT_NAME
    atomic_write_text(target, render_report(results_dir))
    return target


__all__ = [
    "figure_svg",
    "html_table",
    "is_sweep_dir",
    "read_results",
    "render_report",
    "render_results",
    "render_sweep",
    "write_report",
]
