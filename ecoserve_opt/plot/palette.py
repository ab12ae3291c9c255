"""One palette for every figure of :mod:`ecoserve_opt.plot`: a colour means one thing.

* **Components** (GPU, CPU, DRAM, SSD, other) keep their colour in every breakdown, both
  for operational and embodied carbon; embodied carbon is the same colour, lighter and
  hatched (:data:`EMBODIED_HATCH`, :data:`EMBODIED_ALPHA`).
* **Operational vs embodied** totals (when a figure does not split by component) have
  their own two colours, which no component uses.
* **Design points** (the baseline objectives, the Pareto front, evaluated points) have
  their own colours and markers.
* **Types** (GPU types, host platforms) in fleet-mix series: :func:`type_colours` gives
  each name a colour from :data:`TYPE_SERIES` by its sorted position, so one figure never
  reuses a colour, and no type colour equals a component, total or design colour.

Colours are Okabe-Ito (colour-blind safe) for the components and Paul Tol's *muted* and
*dark* schemes for the rest. ``tests/plot`` asserts the colours are distinct across
meanings and that the figures draw with them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

COMPONENTS = ("GPU", "CPU", "DRAM", "SSD", "other")

#: Carbon by component (Okabe-Ito).
COMPONENT_COLOURS = {
    "GPU": "#0072B2",
    "CPU": "#009E73",
    "DRAM": "#E69F00",
    "SSD": "#CC79A7",
    "other": "#999999",
}

#: Operational and embodied totals (figures that do not split by component).
OPERATIONAL = "#D55E00"
EMBODIED = "#332288"
#: Embodied parts of a component breakdown: the component colour, lighter and hatched.
EMBODIED_HATCH = "///"
EMBODIED_ALPHA = 0.5
OPERATIONAL_ALPHA = 0.9

#: Design points of a Pareto plot and the baselines of a comparison.
FRONT = "#222222"
EVALUATED = "#BBBBBB"
OBJECTIVE_COLOURS = {
    "performance": "#882255",
    "energy": "#999933",
    "cost": "#117733",
    "carbon": "#AA4499",
}
OBJECTIVE_MARKERS = {"performance": "^", "energy": "s", "cost": "D", "carbon": "*"}
OBJECTIVE_LABELS = {
    "performance": "performance-optimised",
    "energy": "energy-optimised",
    "cost": "cost-optimised",
    "carbon": "carbon-optimised",
}

#: Other single-meaning colours: grid intensity line, offline throughput, design changes.
GRID = "#000000"
OFFLINE = "#44AA99"
NEUTRAL = "#444444"
TIME_LIMITED = "#E69F00"  # points stopped by a limit (not proven optimal): orange crosses
#: Carbon saved by one pillar (comparison plots); all pillars together (EcoServe).
SAVING = "#4477AA"
ECOSERVE = "#111111"

#: Fleet-mix series (GPU types, host platforms), assigned by :func:`type_colours`.
TYPE_SERIES = (
    "#88CCEE",
    "#DDCC77",
    "#CC6677",
    "#6699CC",
    "#661100",
    "#AA7744",
    "#117799",
    "#DDAA33",
    "#77AADD",
    "#EE8866",
)

#: Everything in one mapping (meaning -> colour), used by the consistency test.
MEANINGS: dict[str, str] = {
    **{f"component:{k}": v for k, v in COMPONENT_COLOURS.items()},
    "operational": OPERATIONAL,
    "embodied": EMBODIED,
    "front": FRONT,
    "evaluated": EVALUATED,
    **{f"objective:{k}": v for k, v in OBJECTIVE_COLOURS.items()},
    "grid": GRID,
    "offline": OFFLINE,
    "saving": SAVING,
    "ecoserve": ECOSERVE,
    **{f"type:{i}": v for i, v in enumerate(TYPE_SERIES)},
}


def type_colours(names: Iterable[str]) -> dict[str, str]:
    """A colour per type name, by sorted position (cycled past ten names)."""
    ordered = sorted({str(n) for n in names})
    return {n: TYPE_SERIES[i % len(TYPE_SERIES)] for i, n in enumerate(ordered)}


def component_colour(component: str) -> str:
    """The colour of a carbon component (unknown names count as ``other``)."""
    return COMPONENT_COLOURS.get(component, COMPONENT_COLOURS["other"])


def mark_time_limited(ax: Any, x: Any, y: Any, count: int, zorder: float = 5) -> None:
    """Draw points stopped by a limit (not proven optimal) as the one marker every figure
    uses: orange crosses, with their count in the legend label."""
    ax.scatter(
        x,
        y,
        marker="x",
        s=46,
        color=TIME_LIMITED,
        linewidth=1.6,
        zorder=zorder,
        label=f"time-limited, not proven optimal ({count})",
    )
