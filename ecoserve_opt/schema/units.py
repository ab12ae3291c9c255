"""Quantities with units, converted once to ecoserve-opt's canonical units.

Canonical internal units (the model only ever sees floats in these):

========================  ==================
dimension                 canonical unit
========================  ==================
power                     kW
energy                    kWh
duration (planning)       h
latency                   s
carbon                    kgCO2e
carbon intensity          kgCO2e/kWh
money                     USD
energy price              USD/kWh
rate                      1/s (tokens/s, requests/s)
memory                    GB
========================  ==================

A value in a scenario is either a bare number or a string ``"<number> <unit>"``, e.g.
``"420 gCO2e/kWh"``, ``"3 years"``, ``"200 ms"``, ``"0.7 kW"``. A bare number is in the
canonical unit, except a bare **carbon intensity, which is gCO2e/kWh** (:data:`BARE_UNITS`,
the unit grid data are quoted in; the same rule holds for sweeps and ``Built.set``, see
:mod:`ecoserve_opt.vocabulary`). A bare intensity between 0 and 2 is refused as a probable
kgCO2e/kWh value.
:func:`to_canonical` is the single place where rescaling happens; its round trip is tested.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

# dimension -> {unit spelling: factor to canonical}
UNITS: dict[str, dict[str, float]] = {
    "power": {"kW": 1.0, "W": 1e-3, "MW": 1e3},
    "energy": {"kWh": 1.0, "Wh": 1e-3, "MWh": 1e3, "GWh": 1e6},
    "duration": {
        "h": 1.0,
        "hour": 1.0,
        "hours": 1.0,
        "day": 24.0,
        "days": 24.0,
        "week": 168.0,
        "weeks": 168.0,
        "year": 8760.0,
        "years": 8760.0,
        "y": 8760.0,
        "month": 730.0,
        "months": 730.0,
    },
    "latency": {"s": 1.0, "ms": 1e-3, "us": 1e-6, "min": 60.0},
    "carbon": {"kgCO2e": 1.0, "gCO2e": 1e-3, "tCO2e": 1e3, "kg": 1.0, "t": 1e3},
    "carbon_intensity": {
        "kgCO2e/kWh": 1.0,
        "gCO2e/kWh": 1e-3,
        "gCO2/kWh": 1e-3,
        "g/kWh": 1e-3,
        "kgCO2/kWh": 1.0,
        "tCO2e/MWh": 1.0,
    },
    "money": {"USD": 1.0, "kUSD": 1e3, "MUSD": 1e6},
    "energy_price": {"USD/kWh": 1.0, "USD/MWh": 1e-3, "cents/kWh": 1e-2},
    "rate": {"1/s": 1.0, "/s": 1.0, "1/min": 1 / 60, "1/h": 1 / 3600, "1/day": 1 / 86400},
    "memory": {"GB": 1.0, "TB": 1e3, "MB": 1e-3},
    "fraction": {"": 1.0, "%": 1e-2},
}

CANONICAL: dict[str, str] = {dim: next(iter(u)) for dim, u in UNITS.items()}
#: Unit of bare numbers where it is not the canonical one.
BARE_UNITS: dict[str, str] = {"carbon_intensity": "gCO2e/kWh"}
#: Bare numbers strictly between 0 and this (in the bare unit) are refused: most likely the
#: value was meant in the canonical unit (0.42 meaning kgCO2e/kWh, no grid is that clean).
BARE_MIN_PLAUSIBLE: dict[str, float] = {"carbon_intensity": 2.0}


def _bare(number: float, dimension: str) -> float:
    """A bare number of ``dimension`` in the canonical unit."""
    unit = BARE_UNITS.get(dimension)
    if unit is None:
        return number
    low = BARE_MIN_PLAUSIBLE.get(dimension, 0.0)
    if 0 < number < low:
        raise ValueError(
            f"bare number {number:g} is read as {number:g} {unit}, which is implausibly low: "
            f"write the unit, e.g. '{number:g} {CANONICAL[dimension]}'"
        )
    return number * UNITS[dimension][unit]


CANONICAL["fraction"] = "1"

_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_QTY = re.compile(rf"^\s*({_NUM})\s*(.*?)\s*$")


def to_canonical(value: Any, dimension: str) -> float:
    """Convert ``value`` (number or ``"<number> <unit>"``) to the canonical unit of ``dimension``.

    >>> to_canonical("420 gCO2e/kWh", "carbon_intensity")
    0.42
    >>> to_canonical("3 years", "duration")
    26280.0
    >>> to_canonical(420, "carbon_intensity")  # a bare intensity is gCO2e/kWh
    0.42
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a number or a quantity string, got {value!r}")
    if isinstance(value, int | float):
        return _bare(float(value), dimension)
    if not isinstance(value, str):
        raise ValueError(f"expected a number or a quantity string, got {value!r}")
    m = _QTY.match(value)
    if not m:
        raise ValueError(f"cannot read {value!r} as '<number> <unit>'")
    number, unit = float(m.group(1)), m.group(2)
    table = UNITS[dimension]
    if unit not in table:
        if unit == "" and dimension != "fraction":
            return _bare(number, dimension)
        known = ", ".join(k for k in table if k)
        raise ValueError(f"unit {unit!r} is not a {dimension.replace('_', ' ')} unit ({known})")
    return number * table[unit]


def from_canonical(value: float, dimension: str, unit: str) -> float:
    """Inverse of :func:`to_canonical` for a given target unit."""
    return value / UNITS[dimension][unit]


def _quantity(dimension: str) -> Any:
    unit = BARE_UNITS.get(dimension)
    if unit is None:
        return Annotated[float, BeforeValidator(lambda v: to_canonical(v, dimension))]
    # dumped (resolved scenario, hash) as a bare number in the bare unit, so it reloads as is
    factor = UNITS[dimension][unit]
    return Annotated[
        float,
        BeforeValidator(lambda v: to_canonical(v, dimension)),
        PlainSerializer(lambda v: None if v is None else v / factor),
    ]


Power = _quantity("power")
Energy = _quantity("energy")
Duration = _quantity("duration")
Latency = _quantity("latency")
Carbon = _quantity("carbon")
CarbonIntensity = _quantity("carbon_intensity")
Money = _quantity("money")
EnergyPrice = _quantity("energy_price")
Rate = _quantity("rate")
Memory = _quantity("memory")
Fraction = _quantity("fraction")
