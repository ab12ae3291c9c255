"""``ecoserve catalog``: list the catalog's GPUs, hosts and LLMs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ecoserve_opt.cli._common import console, df_table, fail, guarded


@guarded
def catalog(
    kind: Annotated[str, typer.Argument(help="gpus | hosts | llms | embodied | all")] = "all",
    path: Annotated[Path | None, typer.Option("--catalog", help="Catalog folder.")] = None,
    source: Annotated[str, typer.Option(help="Embodied source: act|greensku|boavizta")] = "act",
) -> None:
    """List the catalog's GPUs, hosts and LLMs with key figures and sources."""
    from ecoserve_opt.catalog import load_catalog
    from ecoserve_opt.catalog.summary import catalog_tables

    cat = load_catalog(path)
    tables = catalog_tables(cat, source)
    if kind != "all" and kind not in tables:
        raise fail(f"unknown catalog table {kind!r} ({', '.join(tables)})")
    for name, df in tables.items():
        if kind in ("all", name):
            console.print(df_table(df, f"{name} ({cat.path.name})", max_rows=200))
