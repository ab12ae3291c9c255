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
