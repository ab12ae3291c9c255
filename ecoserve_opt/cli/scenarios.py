"""``ecoserve scenarios`` and ``ecoserve init``: the scenarios shipped with the package."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer

from ecoserve_opt.cli._common import console, fail, guarded


def _description(path: Path) -> str:
    """The scenario's ``description:`` (first line), read without validating it."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return ""
    text = str(data.get("description", "")).strip()
    return text.splitlines()[0] if text else ""


@guarded
def scenarios() -> None:
    """List the bundled scenarios (solve one by name: ecoserve solve default)."""
    from rich.markup import escape
    from rich.table import Table

    from ecoserve_opt.paths import bundled_scenarios

    table = Table(title="Bundled scenarios", title_justify="left")
    table.add_column("name")
    table.add_column("description")
    for name, path in bundled_scenarios().items():
        table.add_row(escape(name), escape(_description(path)))
    console.print(table)
    console.print(
        "solve one with [bold]ecoserve solve NAME[/]; copy one to edit with "
        "[bold]ecoserve init NAME[/]",
        highlight=False,
    )


@guarded
def init(
    name: Annotated[str, typer.Argument(help="Bundled scenario to copy (ecoserve scenarios).")],
    dest: Annotated[
        Path | None, typer.Argument(help="File to write (default NAME.yaml here).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Copy a bundled scenario into the working folder, to edit and solve."""
    from rich.markup import escape

    from ecoserve_opt.paths import bundled_scenarios

    found = bundled_scenarios()
    key = name.removesuffix(".yaml")
    if key not in found:
        raise fail(f"no bundled scenario {escape(name)!r} (bundled: {escape(', '.join(found))})")
    target = dest or Path(f"{key}.yaml")
    if target.exists() and not force:
        raise fail(f"{escape(str(target))} exists (use --force to overwrite)")
    shutil.copyfile(found[key], target)
    console.print(
        f"wrote {escape(str(target))}: edit it, then [bold]ecoserve solve {escape(str(target))}[/]",
        highlight=False,
    )
