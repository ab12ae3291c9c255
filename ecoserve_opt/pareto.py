"""Compatibility alias of :mod:`ecoserve_opt.studies.pareto` (import from there).

Kept while code written against the old layout is migrated; new code imports
``ecoserve_opt.studies``.
"""

from ecoserve_opt.studies.pareto import *  # noqa: F403
from ecoserve_opt.studies.pareto import __all__ as __all__
