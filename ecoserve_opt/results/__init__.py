"""Results: pandas tables extracted from a solved model, exports, and re-reading.

Modules: ``container.py`` (:class:`Results`, writing and re-reading a results folder),
``extract.py`` (:func:`extract`, one function per table), ``checks.py`` (a solution's
values are finite and serve the demand), ``timing.py`` (when the offline work ran).
"""

from __future__ import annotations

from ecoserve_opt.results.checks import DEMAND_TOLERANCE, demand_shortfall, non_finite_values
from ecoserve_opt.results.container import (
    COMPONENTS,
    RESOLVED_FILE,
    RESOLVED_HEADER,
    RESOLVED_KEY,
    RESULTS_FILES,
    TABLES,
    Results,
    check_results_dir,
    verify_results_dir,
)
from ecoserve_opt.results.extract import extract
from ecoserve_opt.results.timing import offline_timing, offline_timing_caption

__all__ = [
    "COMPONENTS",
    "DEMAND_TOLERANCE",
    "RESOLVED_FILE",
    "RESOLVED_HEADER",
    "RESOLVED_KEY",
    "RESULTS_FILES",
    "TABLES",
    "Results",
    "check_results_dir",
    "demand_shortfall",
    "extract",
    "non_finite_values",
    "offline_timing",
    "offline_timing_caption",
    "verify_results_dir",
]
