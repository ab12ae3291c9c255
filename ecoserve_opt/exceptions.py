"""Exceptions raised by ecoserve-opt.

Every user-facing error derives from :class:`EcoserveError`; the CLI prints its message on
one line (no traceback unless ``--debug``) and exits non-zero.
"""

from __future__ import annotations


class EcoserveError(Exception):
    """Base class of all errors meant for the user."""


class ScenarioError(EcoserveError):
    """A scenario (or catalog) file is invalid.

    The message always names the file, the field path (dot-separated) and the reason.
    """

    def __init__(self, file: str, path: str, reason: str) -> None:
        self.file = file
        self.path = path
        self.reason = reason
        where = f"{file}: {path}" if path else file
        super().__init__(f"{where}: {reason}")


class CatalogError(ScenarioError):
    """A catalog table is missing, malformed or lacks a referenced entry."""


class InfeasibleError(EcoserveError):
    """The scenario has no feasible fleet; ``diagnosis`` explains why (see diagnostics)."""

    def __init__(self, message: str, diagnosis: object | None = None) -> None:
        self.diagnosis = diagnosis
        super().__init__(message)


class SolverError(EcoserveError):
    """The solver failed (not infeasibility: an error, or no solution within limits)."""
