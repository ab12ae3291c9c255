"""``ecoserve report RESULTS_DIR [--out FILE]``: a self-contained HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ecoserve_opt.cli._common import console, esc, guarded


@guarded
def report_cmd(
    results_dir: Annotated[
        Path,
        typer.Argument(help="Results folder of 'ecoserve solve --out', or a sweep/Pareto store."),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="HTML file to write (default RESULTS_DIR/report.html)."),
    ] = None,
) -> None:
    """Write a self-contained HTML report (plots, tables, scenario, solver status).

    Opens in any browser from disk: inline SVG plots, no scripts, no network."""
    from ecoserve_opt.report import write_report

    if out is not None:
        from ecoserve_opt.io.outputs import check_output_file

        check_output_file(out, "--out")
    path = write_report(results_dir, out)
    console.print(f"report written to {esc(path)}")
