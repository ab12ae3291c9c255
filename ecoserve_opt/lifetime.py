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

**Ageing** (``recycle.ageing``). A unit of age :math:`a` fails with the annual failure rate
:math:`\mathrm{AFR}(a)`; a failed part is replaced unless it fails in place (rate
:math:`f`), so a cohort kept :math:`L` years carries, per year, the replacement embodied
carbon :math:`\rho_L E` with :math:`\rho_L = (1-f)\,\frac1L\sum_{a<L}\mathrm{AFR}(a)`.
Relative to the catalog lifetime (as the obsolescence charge) this is the factor
:math:`\omega_L = 1 + L(\rho_L - \rho_{L^{cat}})` on :math:`E/L`: 1 when the AFR does not
change with age, above 1 for a longer life when it rises. An optional power degradation
:math:`\delta` per year of age (the unit draws :math:`(1+\delta)^a` of its new power for
the same work) adds to the obsolescence share.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

#: Efficiency trend of GPUs (perf/W of the newest generation, per year): ML GPU energy
#: efficiency doubles about every 3 years (Hobbhahn, Heim, Aydos, "Trends in Machine
#: Learning Hardware", Epoch AI, 2023): 2**(1/3) - 1 = 0.26.
GPU_EFFICIENCY_GAIN = 0.26
#: Efficiency trend of host servers (CPUs): peak-output computing efficiency doubles about
#: every 2.6 years since 2000 (Koomey and Naffziger, "Energy efficiency of computing:
#: what's next?", Electronic Design, 2016): 2**(1/2.6) - 1 = 0.305.
HOST_EFFICIENCY_GAIN = 0.305


@dataclass(frozen=True)
class FailureRates:
    """Annual failure rates of a component by age and its fail-in-place rate.

    ``afr_by_age[a]`` is the share of units of age ``a`` (years, 0 = first year) that fail
    in that year; the last value holds for older ages. ``fail_in_place`` is the share of
    failures left in place (the part is switched off, not replaced).
    """

    afr_by_age: tuple[float, ...]
    fail_in_place: float
    source: str

    def afr(self, age: int) -> float:
        """AFR at ``age`` (the last value beyond the table)."""
        return self.afr_by_age[min(age, len(self.afr_by_age) - 1)]


_LYU = (
    "Lyu et al., Hyrax: fail-in-place server operation in cloud platforms, OSDI 2023 "
    "(GreenSKU's afr_data.yaml); constant with age in the source"
)
#: Sourced failure rates. Hosts: Lyu et al. (OSDI 2023, the AFR data of GreenSKU, ISCA
#: 2024): the server's parts other than DRAM and SSDs 2.4 %/year, never failed in place;
#: DRAM 0.1 % and SSDs 0.2 %/year, 75 % failed in place; reused parts as new; constant with
#: age. GPUs: Meta's Llama 3 training run (Dubey et al., The Llama 3 Herd of Models, 2024,
#: section 3.3.4): 268 unexpected interruptions attributed to GPUs and their memory in 54
#: days on 16,384 H100s, 11 % a year (an upper bound: not every interruption replaced a
#: GPU), no age dependence reported. The only public age-resolved GPU data found (Titan's
#: K20X, Ostrouchov et al., SC20) rose after ~4 years from one board defect (resistor
#: corrosion), not a trend of current GPUs, so no sourced AFR rises with age: with constant
#: rates the replacement charge does not depend on the lifetime (factor 1).
SOURCED_FAILURES: dict[str, FailureRates] = {
    "gpu": FailureRates((0.11,), 0.0, "Dubey et al. 2024 (Llama 3), constant"),
    "host": FailureRates((0.024,), 0.0, _LYU),
    "dram": FailureRates((0.001,), 0.75, _LYU),
    "ssd": FailureRates((0.002,), 0.75, _LYU),
}


def obsolescence_share(life: int, gain: float, degradation: float = 0.0) -> float:
    r"""Mean excess energy share :math:`\varepsilon_L(r, \delta)` of a unit kept ``life``
    years: :math:`\frac1L\sum_{a<L}\big((1+\delta)^a - (1+r)^{-a}\big)`.

    >>> round(obsolescence_share(5, 0.25), 5)
    0.32768
    >>> obsolescence_share(3, 0.0)
    0.0
    >>> round(obsolescence_share(2, 0.0, 0.1), 6)
    0.05
    """
    if life <= 0:
        raise ValueError("life must be a positive number of years")
    q, g = 1.0 + gain, 1.0 + degradation
    return sum(g**a - q ** (-a) for a in range(life)) / life


def relative_obsolescence(
    life: int, catalog_life: int, gain: float, degradation: float = 0.0
) -> float:
    r""":math:`\varepsilon_L - \varepsilon_{L^{cat}}`: the obsolescence charge share of a
    lifetime relative to the catalog lifetime (negative for a shorter life)."""
    if life == catalog_life:
        return 0.0
    return obsolescence_share(life, gain, degradation) - obsolescence_share(
        catalog_life, gain, degradation
    )


def replacement_share(life: int, rates: FailureRates) -> float:
    r""":math:`\rho_L = (1-f)\frac1L\sum_{a<L}\mathrm{AFR}(a)`: embodied carbon replaced
    per year, as a share of the unit's, for a unit kept ``life`` years.

    >>> replacement_share(3, FailureRates((0.01, 0.02, 0.06), 0.5, "example"))
    0.015
    """
    if life <= 0:
        raise ValueError("life must be a positive number of years")
    return (1.0 - rates.fail_in_place) * sum(rates.afr(a) for a in range(life)) / life


def ageing_factor(life: int, catalog_life: int, rates: FailureRates) -> float:
    r"""Replacement factor :math:`\omega_L = 1 + L(\rho_L - \rho_{L^{cat}})` on the yearly
    embodied charge :math:`E/L`, relative to the catalog lifetime (exactly 1 when the AFR
    is the same at every age the two lifetimes cover)."""
    ages = range(max(life, catalog_life))
    if life == catalog_life or len({rates.afr(a) for a in ages}) == 1:
        return 1.0
    return 1.0 + life * (replacement_share(life, rates) - replacement_share(catalog_life, rates))


def spares_factor(life: int, catalog_life: int, per_extra_year: float) -> float:
    r"""Flat spares overhead :math:`\omega_L = 1 + \gamma\,(L - L^{cat})^+` on embodied
    carbon (``recycle.ageing: flat``, unsourced)."""
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
