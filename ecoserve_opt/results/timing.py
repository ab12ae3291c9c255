"""When the offline work ran, against the grid intensity (for captions and summaries)."""

from __future__ import annotations

import math

import pandas as pd


def offline_timing(
    power: pd.DataFrame, offline: pd.DataFrame, year: int | None = None
) -> dict[str, float] | None:
    """When the offline work ran, against the grid intensity of the representative day.

    From the ``power`` and ``offline`` tables of one planning year (default: the first):
    ``low_half_share`` = share of the offline tokens served in the slots whose intensity is
    below the day's median (the cleaner half; NaN when all slots are equally clean),
    ``weighted_ci`` = token-weighted mean intensity of the offline work and ``day_ci`` = mean
    intensity over the slots (kgCO2e/kWh, slot-hour weighted). ``None`` when there is no
    offline work. Captions and summaries use this, so they say what the data shows.
    """
    if offline is None or offline.empty or power is None or power.empty:
        return None
    yr = int(power["year"].min()) if year is None else year
    p = power[power["year"] == yr].set_index("slot")["grid_kg_per_kwh"].astype(float)
    tok = offline[offline["year"] == yr].groupby("slot")["tokens_per_day"].sum()
    tok = tok.reindex(p.index, fill_value=0.0).astype(float)
    total = float(tok.sum())
    if total <= 0:
        return None
    median = float(p.median())
    low = p < median - 1e-12 * max(abs(median), 1.0)
    return {
        "low_half_share": float(tok[low].sum()) / total if low.any() else float("nan"),
        "weighted_ci": float((tok * p).sum()) / total,
        "day_ci": float(p.mean()),
        "year": float(yr),
    }


def offline_timing_caption(timing: dict[str, float] | None) -> str:
    """One sentence stating where the offline work ran (from :func:`offline_timing`)."""
    if timing is None:
        return ""
    w, day = timing["weighted_ci"] * 1000.0, timing["day_ci"] * 1000.0
    share = timing["low_half_share"]
    if math.isnan(share):
        return (
            "The grid intensity is the same in every slot, so when the offline work runs "
            "does not change its carbon."
        )
    if w < day * (1 - 0.01):
        verdict = "the offline work runs mostly in cleaner-than-average hours"
    elif w > day * (1 + 0.01):
        verdict = "the offline work runs mostly in dirtier-than-average hours"
    else:
        verdict = "the offline work is spread over clean and dirty hours alike"
    return (
        f"{share:.0%} of the offline tokens run in the cleaner half of the slots; at a "
        f"token-weighted {w:,.0f} gCO2e/kWh against the day's mean {day:,.0f}, {verdict}."
    )
