"""Study parameters: names, aliases, and values parsed from ``start:stop:step`` or lists.

*Model parameters* (:data:`~ecoserve_opt.api.MODEL_PARAMETERS`) change a mutable ``Param``
of the built model (no rebuild); ``cap.<metric>`` sets an epsilon cap. *Any other dot-path*
of the scenario is applied by re-loading the scenario and rebuilding the model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ecoserve_opt.exceptions import EcoserveError
from ecoserve_opt.io.yaml_loader import parse_override_value
from ecoserve_opt.vocabulary import PARAMETER_ALIASES, PARAMETERS, canonical_param, parameter_value

__all__ = [
    "FAST_PARAMS",
    "PARAM_ALIASES",
    "canonical_param",
    "convert_value",
    "is_fast",
    "parse_values",
]

#: Parameters applied through mutable Params (no rebuild).
FAST_PARAMS = tuple(PARAMETERS)
PARAM_ALIASES = PARAMETER_ALIASES


def is_fast(name: str) -> bool:
    """True for parameters applied through mutable Params (no rebuild)."""
    return name in FAST_PARAMS or name.startswith("cap.")


def convert_value(name: str, value: Any) -> Any:
    """Normalise one value of parameter ``name`` (units -> the table's unit).

    Model parameters take bare numbers in their vocabulary unit (grid intensity:
    gCO2e/kWh) or quantity strings; other values are read as YAML.
    """
    if name in FAST_PARAMS:
        return parameter_value(name, value)
    if isinstance(value, str):
        return parse_override_value(value)
    return value


MAX_VALUES = 10_000
"""Most values one sweep parameter may take (a typo such as ``0:1e9:1`` is refused)."""


def _convert(name: str, value: Any) -> Any:
    """:func:`convert_value` with unreadable values as an EcoserveError naming the option."""
    try:
        return convert_value(name, value)
    except (EcoserveError, ValueError, TypeError) as exc:
        why = str(exc).removeprefix(f"{name}: ")
        raise EcoserveError(f"--values for {name}: {why}") from None


def parse_values(name: str, spec: str | Sequence[Any]) -> list[Any]:
    """Values of a sweep parameter from ``start:stop:step`` (inclusive), ``a,b,c`` or a list.

    ``0:800:25`` gives 0, 25, ..., 800 (the stop is included when it falls on the grid).
    List items are read as YAML (numbers, words, unit strings).
    """
    name = canonical_param(name)
    if not isinstance(spec, str):
        vals = [_convert(name, v) for v in spec]
    elif spec.count(":") in (1, 2) and "," not in spec:
        parts = spec.split(":")
        try:
            start, stop = float(parts[0]), float(parts[1])
            step = float(parts[2]) if len(parts) == 3 else 1.0
        except ValueError:
            raise EcoserveError(
                f"--values {spec!r}: expected start:stop:step with numbers"
            ) from None
        if not all(math.isfinite(x) for x in (start, stop, step)):
            raise EcoserveError(f"--values {spec!r}: start, stop and step must be finite")
        if step <= 0 or stop < start:
            raise EcoserveError(f"--values {spec!r}: need step > 0 and stop >= start")
        n = int(math.floor((stop - start) / step + 1e-9)) + 1
        if n > MAX_VALUES:
            raise EcoserveError(
                f"--values {spec!r}: {n:,} values, more than {MAX_VALUES:,} per parameter"
            )
        vals = [_convert(name, float(f"{start + i * step:.12g}")) for i in range(n)]
    else:
        vals = [_convert(name, v.strip()) for v in spec.split(",") if v.strip()]
    if not vals:
        raise EcoserveError(f"--values for {name}: no values")
    if name in FAST_PARAMS and any(not math.isfinite(v) or v < 0 for v in vals):
        raise EcoserveError(f"--values for {name}: values must be finite and >= 0")
    return list(dict.fromkeys(vals))
