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


def _module_graph() -> dict[str, set[str]]:
    """Imports between the package's modules (module- and function-level)."""
    mods = {}
    for f in PACKAGE.rglob("*.py"):
        parts = list(f.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = f

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, f in mods.items():
        for n in _imports(f):
            if n.startswith("ecoserve_opt"):
                t = resolve(n)
                if t and t != m and t != "ecoserve_opt" and not m.startswith(t + "."):
                    graph[m].add(t)
    return graph


def test_no_import_cycle_inside_the_package() -> None:
    graph = _module_graph()
    cycles = set()
    for a, targets in graph.items():
        for b in targets:
            # a -> b and b reaches a: a cycle through the edge a -> b
            seen, todo = set(), [b]
            while todo:
                x = todo.pop()
                if x == a:
                    cycles.add(frozenset({a, b}))
                    break
                if x not in seen:
                    seen.add(x)
                    todo.extend(graph.get(x, ()))
    assert cycles == set()


#: Longest module allowed in the package (issue 13: a newcomer reads one in a sitting).
MAX_MODULE_LINES = 600


def test_no_module_exceeds_600_lines() -> None:
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_catalog_builder_inside_the_package() -> None:
    """The offline catalog build (reads the shared field data, writes models/*.csv) lives in
    catalog_build/ at the repository root, outside the wheel: no builder module, no fitting
    code and no reader of the shared data inside ecoserve_opt (issue 13, item 4)."""
    builders = [
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if p.stem.startswith(("build_", "fit_")) or p.stem in ("whole_part", "profile_validation")
    ]
    assert builders == []
    offenders = []
    for p in PACKAGE.rglob("*.py"):
        names = _imports(p)
        text = p.read_text(encoding="utf-8")
        if any(
            n == "catalog_build" or n.startswith(("catalog_build.", "boaviztapi")) for n in names
        ):
            offenders.append(f"{p.relative_to(PACKAGE)}: imports the build tool or boaviztapi")
        for marker in (
            "shared/data",
            "splitwise_perf_model",
            "least_squares",
            "def fit_calibration",
        ):
            if marker in text:
                offenders.append(f"{p.relative_to(PACKAGE)}: {marker}")
    assert offenders == []
