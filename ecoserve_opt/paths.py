"""Where bundled data lives: the repo's ``models/``/``scenarios/`` or the installed copy."""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def bundled_dir(name: str) -> Path:
    """Folder ``models`` or ``scenarios``: the installed copy, else the source checkout's."""
    installed = _PKG / "_bundled" / name
    if installed.is_dir():
        return installed
    return _PKG.parent / name


def catalog_dir() -> Path:
    """The bundled catalog folder."""
    return bundled_dir("models")


def scenarios_dir() -> Path:
    """The bundled scenarios folder."""
    return bundled_dir("scenarios")


def bundled_scenarios() -> dict[str, Path]:
    """Scenarios shipped with the package, by name (file stem), sorted."""
    folder = scenarios_dir()
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))}


def resolve_scenario(arg: str | Path) -> Path:
    """The scenario file for ``arg``: an existing path as given, else a bundled scenario
    named ``arg`` (``default`` or ``default.yaml``); otherwise ``arg`` unchanged (the loader
    then reports the file as not found)."""
    path = Path(arg)
    if path.exists():
        return path
    text = str(arg)
    if "/" in text or "\\" in text:
        return path
    name = text.removesuffix(".yaml").removesuffix(".yml")
    return bundled_scenarios().get(name, path)
