"""ecoserve-opt: carbon-aware LLM inference fleet design (EcoServe's 4R as a MILP).

The public names below are imported on first use (PEP 562), so ``import ecoserve_opt``
and the ``ecoserve`` command start fast; ``ecoserve --help`` never loads Pyomo or pandas.
"""

from __future__ import annotations

import sys
import types
from importlib import import_module
from typing import TYPE_CHECKING, Any

from ecoserve_opt._version import __version__

#: Public name -> module that defines it.
_LAZY = {
    "Built": "ecoserve_opt.api",
    "build": "ecoserve_opt.api",
    "scenario_hash": "ecoserve_opt.api",
    "solve": "ecoserve_opt.api",
    "load_scenario": "ecoserve_opt.io.yaml_loader",
    "pareto": "ecoserve_opt.studies",
    "Results": "ecoserve_opt.results",
    "SolveOptions": "ecoserve_opt.solve",
    "Status": "ecoserve_opt.solve",
    "SweepResults": "ecoserve_opt.studies.store",
    "sweep": "ecoserve_opt.studies",
}

if TYPE_CHECKING:
    from ecoserve_opt.api import Built, build, scenario_hash, solve
    from ecoserve_opt.io.yaml_loader import load_scenario
    from ecoserve_opt.results import Results
    from ecoserve_opt.solve import SolveOptions, Status
    from ecoserve_opt.studies import pareto, sweep  # type: ignore[no-redef]
    from ecoserve_opt.studies.store import SweepResults


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ecoserve_opt' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


#: Public functions that share their name with a submodule (``ecoserve_opt.solve`` is the
#: solver module, ``ecoserve_opt.solve(...)`` the API function).
_SHADOWED = frozenset({"solve"})


class _Package(types.ModuleType):
    """Keeps ``ecoserve_opt.solve`` the API function.

    Importing the submodule of the same name would otherwise rebind the package attribute to
    the module (the submodules stay importable: ``from ecoserve_opt.solve import Solver``).
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SHADOWED and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


__all__ = [
    "Built",
    "Results",
    "SolveOptions",
    "Status",
    "SweepResults",
    "__version__",
    "build",
    "load_scenario",
    "pareto",
    "scenario_hash",
    "solve",
    "sweep",
]
