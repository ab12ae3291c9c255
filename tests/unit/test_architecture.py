"""Layer rules of the package, checked on its source (see docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import ecoserve_opt

PACKAGE = Path(ecoserve_opt.__file__).parent


def _imports(path: Path) -> set[str]:
    """Top-level module names imported anywhere in ``path`` (absolute imports only)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _engine_modules() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if "cli" not in p.relative_to(PACKAGE).parts]


def test_typer_lives_only_in_the_cli_package() -> None:
    offenders = [
        str(p.relative_to(PACKAGE))
        for p in _engine_modules()
        if any(n == "typer" or n.startswith("typer.") for n in _imports(p))
    ]
    assert offenders == []


def test_engine_modules_never_import_the_cli() -> None:
    offenders = [
        str(p.relative_to(PACKAGE))
        for p in _engine_modules()
        if any(n == "ecoserve_opt.cli" or n.startswith("ecoserve_opt.cli.") for n in _imports(p))
    ]
    assert offenders == []


def test_every_command_is_registered() -> None:
    from ecoserve_opt.cli import app

    names = [c.name for c in app.registered_commands]
    assert names == [
        "scenarios",
        "init",
        "validate",
        "solve",
        "schema",
        "check-solver",
        "catalog",
        "compare",
        "diagnose",
        "sweep",
        "pareto",
        "plot",
        "report",
        "simulate",
    ]
