"""Readable numbers with units for people: ``156.2 tCO2e``, ``370.8 MWh``, ``500.1 k USD``.

Values come in the canonical units (kgCO2e, kWh, USD, s/token); these helpers pick a
prefix so that the number has at most four significant digits and no exponent. They are
for display only (terminal tables, plot labels, the report); files keep canonical units.

>>> fmt_carbon(156_200)
'156.2 tCO2e'
>>> fmt_energy(370_800)
'370.8 MWh'
>>> fmt_usd(500_100)
'500.1 k USD'
>>> fmt_latency(0.0421)
'42.1 ms/token'
>>> fmt_quantity("carbon_kg", 4741)
'4.741 tCO2e'
"""

from __future__ import annotations

import math
from typing import Any

#: (factor, prefix) ladders per canonical unit, smallest first.
_MASS = ((1.0, "kgCO2e"), (1e3, "tCO2e"), (1e6, "ktCO2e"), (1e9, "MtCO2e"))
_ENERGY = ((1.0, "kWh"), (1e3, "MWh"), (1e6, "GWh"), (1e9, "TWh"))
_MONEY = ((1.0, "USD"), (1e3, "k USD"), (1e6, "M USD"), (1e9, "G USD"))


def _digits(x: float) -> str:
    """Four significant digits at most, never an exponent, no trailing zeros noise."""
    a = abs(x)
    if a == 0:
        return "0"
    if a >= 1000:
        return f"{x:,.0f}"
    if a >= 100:
        return f"{x:.1f}"
    if a >= 10:
        return f"{x:.2f}"
    if a >= 0.01:
        return f"{x:.3g}" if a < 1 else f"{x:.3f}"
    return f"{x:.2g}"


def _ladder(value: float, ladder: tuple[tuple[float, str], ...]) -> str:
    a = abs(value)
    factor, unit = ladder[0]
    for f, u in ladder:
        if a >= f:
            factor, unit = f, u
    return f"{_digits(value / factor)} {unit}"


def _missing(value: Any) -> bool:
    try:
        return value is None or math.isnan(float(value))
    except (TypeError, ValueError):
        return True


def fmt_carbon(kg: float | None) -> str:
    """Carbon from kgCO2e: ``4.741 tCO2e``; ``-`` when missing."""
    return "-" if _missing(kg) else _ladder(float(kg), _MASS)  # type: ignore[arg-type]


def fmt_energy(kwh: float | None) -> str:
    """Energy from kWh: ``370.8 MWh``."""
    return "-" if _missing(kwh) else _ladder(float(kwh), _ENERGY)  # type: ignore[arg-type]


def fmt_usd(usd: float | None) -> str:
    """Money from USD: ``500.1 k USD``."""
    return "-" if _missing(usd) else _ladder(float(usd), _MONEY)  # type: ignore[arg-type]


def fmt_latency(s_per_token: float | None) -> str:
    """Latency from s/token: ``42.1 ms/token``."""
    if _missing(s_per_token):
        return "-"
    return f"{_digits(float(s_per_token) * 1000.0)} ms/token"  # type: ignore[arg-type]


def fmt_count(n: float | None, unit: str = "") -> str:
    """A count with thousands separators (``1,234``), optionally with a unit."""
    if _missing(n):
        return "-"
    v = float(n)  # type: ignore[arg-type]
    text = f"{v:,.0f}" if v == round(v) else _digits(v)
    return f"{text} {unit}".rstrip()


def fmt_gap(gap: float | None) -> str:
    """A relative MIP gap as a percentage, three significant digits: ``0.485%``."""
    if _missing(gap):
        return "unknown"
    g = float(gap) * 100.0  # type: ignore[arg-type]
    if g == 0:
        return "0%"
    return f"{g:.3g}%" if abs(g) < 100 else f"{g:.0f}%"


#: Column or metric name -> formatter.
FORMATTERS = {
    "carbon_kg": fmt_carbon,
    "operational_kg": fmt_carbon,
    "embodied_kg": fmt_carbon,
    "obsolescence_kg": fmt_carbon,
    "total_kg": fmt_carbon,
    "energy_kwh": fmt_energy,
    "cost_usd": fmt_usd,
    "latency_s_per_token": fmt_latency,
    "gap": fmt_gap,
    "carbon": fmt_carbon,
    "energy": fmt_energy,
    "cost": fmt_usd,
    "latency": fmt_latency,
}


def fmt_quantity(name: str, value: Any) -> str:
    """Format ``value`` of column/metric ``name`` (canonical units) for display."""
    f = FORMATTERS.get(name)
    if f is not None:
        return f(value)
    if _missing(value):
        return "-"
    if isinstance(value, int | float):
        return fmt_count(value) if float(value) == round(float(value)) else _digits(float(value))
    return str(value)
