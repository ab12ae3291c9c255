r"""Lifetime economics of the Recycle pillar (pure functions, no Pyomo).

A unit bought new falls behind the hardware that could replace it: with an efficiency
trend :math:`r` per year (performance per watt of the newest generation), a replacement
bought :math:`a` years later does the same work with :math:`(1+r)^{-a}` of the energy. Kept
for :math:`L` years and then replaced by the newest generation (a steady-state replacement
chain, the classic equipment-replacement model under technological progress), a unit's
operational energy is, on average over its life, a share

.. math::

   \varepsilon_L(r) = \frac{1}{L}\sum_{a=0}^{L-1}\big(1 - (1+r)^{-a}\big)

above what the newest hardware would draw for the same work. The Recycle pillar prices a
lifetime :math:`L` per year of service at its levelised cost: embodied
:math:`\omega_L E / L` plus the obsolescence charge
:math:`(\varepsilon_L - \varepsilon_{L^{cat}})\,P\,h\,\mathrm{PUE}\,\mathrm{CI}` relative to
the catalog lifetime :math:`L^{cat}` (zero when every item keeps its catalog lifetime, as
with Recycle off). See docs/formulation.md (Recycle) for the derivation and a hand-worked
example.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

#: Efficiency trend of GPUs (perf/W of the newest generation, per year): ML GPU energy
#: efficiency doubles about every 3 years (Hobbhahn, Heim, Aydos, "Trends in Machine
#: Learning Hardware", Epoch AI, 2023): 2**(1/3) - 1 = 0.26.
GPU_EFFICIENCY_GAIN = 0.26
#: Efficiency trend of host servers (CPUs): peak-output computing efficiency doubles about
#: every 2.6 years since 2000 (Koomey and Naffziger, "Energy efficiency of computing:
#: what's next?", Electronic Design, 2016): 2**(1/2.6) - 1 = 0.305.
HOST_EFFICIENCY_GAIN = 0.305


def obsolescence_share(life: int, gain: float) -> float:
    r"""Mean excess energy share :math:`\varepsilon_L(r)` of a unit kept ``life`` years.

    >>> round(obsolescence_share(5, 0.25), 5)
    0.32768
    >>> obsolescence_share(3, 0.0)
    0.0
    """
    if life <= 0:
        raise ValueError("life must be a positive number of years")
    q = 1.0 + gain
    return sum(1.0 - q ** (-a) for a in range(life)) / life


def relative_obsolescence(life: int, catalog_life: int, gain: float) -> float:
    r""":math:`\varepsilon_L - \varepsilon_{L^{cat}}`: the obsolescence charge share of a
    lifetime relative to the catalog lifetime (negative for a shorter life)."""
    return obsolescence_share(life, gain) - obsolescence_share(catalog_life, gain)


def spares_factor(life: int, catalog_life: int, per_extra_year: float) -> float:
    r"""Spares overhead :math:`\omega_L = 1 + \gamma\,(L - L^{cat})^+` on embodied carbon."""
    return 1.0 + per_extra_year * max(0, life - catalog_life)


def levelised_charge(
    life: int,
    catalog_life: int,
    embodied_kg: float,
    kwh_per_year: float,
    kg_per_kwh: float,
    gain: float,
    per_extra_year: float,
) -> float:
    """Per-year charge (kgCO2e) of one unit kept ``life`` years (steady-state accounting).

    Embodied ``omega_L E / L`` plus the obsolescence charge relative to the catalog life;
    the unit's own operational carbon (the same for every lifetime) is left out.
    """
    emb = spares_factor(life, catalog_life, per_extra_year) * embodied_kg / life
    return emb + relative_obsolescence(life, catalog_life, gain) * kwh_per_year * kg_per_kwh


def best_lifetime(
    lives: Iterable[int],
    catalog_life: int,
    embodied_kg: float,
    kwh_per_year: float,
    kg_per_kwh: float,
    gain: float,
    per_extra_year: float,
) -> int:
    """The lifetime of lowest levelised charge (ties: the longest)."""
    return min(
        lives,
        key=lambda L: (
            levelised_charge(
                L, catalog_life, embodied_kg, kwh_per_year, kg_per_kwh, gain, per_extra_year
            ),
            -L,
        ),
    )


def lower_envelope(lines: Sequence[tuple[int, float, float]]) -> list[int]:
    """Ids of the lines ``(id, a, b)`` that are the minimum of ``a + b x`` for some ``x >= 0``.

    Ties: at equal value the line of smaller slope wins (it is lower just after), then the
    larger id (the longer lifetime). Used to drop lifetime options no grid intensity can
    make optimal: a cohort's per-year charge is ``E (a_L + b_L x)`` with ``x`` >= 0
    proportional to the grid intensity, and any mix of components and years adds up to the
    same line at a weighted mean ``x``, so an option off the envelope is never chosen.
    """
    if not lines:
        return []
    cur = min(lines, key=lambda t: (t[1], t[2], -t[0]))
    keep = [cur[0]]
    x = 0.0
    while True:
        best: tuple[float, float, int] | None = None
        nxt = None
        for ln in lines:
            if ln[2] >= cur[2]:
                continue
            xi = max(x, (ln[1] - cur[1]) / (cur[2] - ln[2]))
            key = (xi, ln[2], -ln[0])
            if best is None or key < best:
                best, nxt = key, ln
        if nxt is None or best is None:
            return keep
        x, cur = best[0], nxt
        keep.append(cur[0])


def refresh_plan(fleet: pd.DataFrame, horizon_years: int, start_year: int) -> pd.DataFrame:
    """The refresh plan of a design: per year, new cohorts bought and cohorts retired.

    ``fleet`` is a results ``fleet`` table (``kind, item, source, year_bought,
    lifetime_years, count``); owned items are left out (they are not bought). A cohort bought
    in planning year ``y0`` with lifetime ``L`` is retired at the end of year ``y0 + L - 1``,
    possibly after the horizon (``within_horizon`` false). Rows: ``year`` (planning year,
    1 = first), ``calendar_year``, ``kind``, ``item``, ``action`` (``buy``/``retire``),
    ``count``, ``lifetime_years``, ``within_horizon``; sorted by year, then buy before retire.
    """
    cols = [
        "year",
        "calendar_year",
        "kind",
        "item",
        "action",
        "count",
        "lifetime_years",
        "within_horizon",
    ]
    f = fleet
    if f.empty:
        return pd.DataFrame(columns=cols)
    new = f[f["source"] == "new"]
    rows = []
    for _, r in new.iterrows():
        y0, life, n = int(r["year_bought"]), int(r["lifetime_years"]), int(r["count"])
        for year, action in ((y0, "buy"), (y0 + life - 1, "retire")):
            rows.append(
                {
                    "year": year,
                    "calendar_year": start_year + year - 1,
                    "kind": r["kind"],
                    "item": r["item"],
                    "action": action,
                    "count": n,
                    "lifetime_years": life,
                    "within_horizon": year <= horizon_years,
                }
            )
    keys = [*cols[:5], "lifetime_years", "within_horizon"]
    summed: pd.DataFrame = pd.DataFrame(rows, columns=cols).groupby(keys, as_index=False).sum()
    out = summed[cols].copy()
    out["_order"] = (out["action"] == "retire").astype(int)
    out = out.sort_values(["year", "_order", "kind", "item"], kind="mergesort")
    return out.drop(columns="_order").reset_index(drop=True)
