"""One vocabulary: the names, units and labels of metrics and study parameters.

Every module that names a metric or a study parameter (objectives and caps in
``formulation/objectives.py``, ``Built.set``/``Built.set_parameters``, the studies and their
store, the CLI's help, the report and the plots) takes it from here.

Units of study parameters
-------------------------
A value is a bare number in the unit below, or a quantity string (``"0.42 kgCO2e/kWh"``).
**A bare grid intensity is gCO2e/kWh everywhere**: in scenario YAML (``grid.intensity:
420``), in ``--override grid.intensity=420``, in ``sweep --values 0:800:25``, in
``Built.set(grid_intensity=420)`` and in the sweep tables. (The model itself works in
kgCO2e/kWh; the conversion happens once, in :mod:`ecoserve_opt.schema.units`.) A bare number
between 0 and 2 is refused as a probable kgCO2e/kWh value: write the unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ecoserve_opt.exceptions import EcoserveError

__all__ = [
    "METRICS",
    "METRIC_ALIASES",
    "PARAMETERS",
    "PARAMETER_ALIASES",
    "Metric",
    "Parameter",
    "canonical_param",
    "metric_column",
    "metric_label",
    "metric_name",
    "param_label",
    "param_unit",
    "parameter_value",
]


@dataclass(frozen=True)
class Metric:
    """A minimisable total: its result column, unit, label and the objective minimising it."""

    name: str
    column: str
    unit: str
    label: str
    objective: str


@dataclass(frozen=True)
class Parameter:
    """A study parameter that changes a mutable Param of the built model (no rebuild).

    ``unit`` is the unit of bare numbers and of the sweep tables; ``dimension`` names the
    quantity for unit strings (:mod:`ecoserve_opt.schema.units`); ``to_model`` converts a
    value in ``unit`` to the model's canonical unit.
    """

    name: str
    unit: str
    label: str
    dimension: str | None = None
    to_model: float = 1.0


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("carbon", "carbon_kg", "kgCO2e", "carbon", "carbon"),
        Metric("cost", "cost_usd", "USD", "cost", "cost"),
        Metric("energy", "energy_kwh", "kWh", "facility energy", "energy"),
        Metric("latency", "latency_s_per_token", "s/token", "mean online latency", "performance"),
        Metric("gpu_hours", "gpu_hours", "GPU-h", "GPU-hours", "gpu_hours"),
    )
}
METRIC_ALIASES = {"performance": "latency", "gpu-hours": "gpu_hours", "gpuhours": "gpu_hours"}

PARAMETERS: dict[str, Parameter] = {
    p.name: p
    for p in (
        Parameter("grid_intensity", "gCO2e/kWh", "grid carbon intensity", "carbon_intensity", 1e-3),
        Parameter("pue", "", "PUE"),
        Parameter("prices.electricity", "USD/kWh", "electricity price", "energy_price"),
        Parameter("demand_scale", "x", "demand multiplier"),
        Parameter("embodied_scale", "x", "embodied-carbon multiplier"),
    )
}
PARAMETER_ALIASES = {
    "grid.pue": "pue",
    "electricity_price": "prices.electricity",
    "demand": "demand_scale",
}


def metric_name(name: str) -> str:
    """Canonical metric name (``performance`` -> ``latency``); EcoserveError if unknown."""
    key = METRIC_ALIASES.get(name.lower(), name.lower())
    if key not in METRICS:
        known = ", ".join([*METRICS, "performance"])
        raise EcoserveError(f"unknown metric {name!r} (choose {known})")
    return key


def metric_column(name: str) -> str:
    """Column of the results and sweep tables holding metric ``name``."""
    return METRICS[metric_name(name)].column


def metric_label(name: str) -> str:
    """Axis label with unit for metric ``name``."""
    m = METRICS[metric_name(name)]
    return f"{m.label} ({m.unit})"


def canonical_param(name: str) -> str:
    """Canonical name of a study parameter (aliases resolved)."""
    name = name.strip()
    return PARAMETER_ALIASES.get(name, name)


def param_unit(name: str) -> str:
    """Unit of parameter ``name`` in tables and bare numbers (``""`` if unitless/unknown)."""
    p = PARAMETERS.get(canonical_param(name))
    return p.unit if p is not None else ""


def param_label(name: str) -> str:
    """Axis/column label of a study parameter with its unit (dot-paths as given)."""
    p = PARAMETERS.get(canonical_param(name))
    if p is None:
        return name
    return f"{p.label} ({p.unit})" if p.unit else p.label


def parameter_value(name: str, value: Any) -> float:
    """A value of model parameter ``name`` in its table unit (:attr:`Parameter.unit`).

    Bare numbers are taken in that unit; quantity strings are converted.
    """
    from ecoserve_opt.schema.units import to_canonical

    p = PARAMETERS[canonical_param(name)]
    if p.dimension is None:
        return float(value)
    try:
        return to_canonical(value, p.dimension) / p.to_model
    except ValueError as exc:
        raise EcoserveError(f"{p.name}: {exc}") from None
