"""Compatibility alias of :mod:`ecoserve_opt.studies` (import from there).

Kept while code written against the old layout is migrated. Model changes that lived here
(``set_grid_intensity``, ``fix_fleet``, ``activate_objective``, ``solve_lexicographic``) are
now methods of :class:`ecoserve_opt.api.Built`.
"""

from ecoserve_opt.studies import *  # noqa: F403
from ecoserve_opt.studies import __all__ as __all__
