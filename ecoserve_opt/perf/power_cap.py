r"""Power-capped GPU variants: a board power limit below the TDP, as an option (pure Python).

A capped variant is a catalog GPU of its own (``gpus.csv``: same memory, bandwidth, tensor
peak, embodied carbon and price as its base GPU; ``tdp_w`` = the cap, the enforced board
limit). Its operating points are the base GPU's with each phase slowed by a factor fitted on
measured capped / uncapped rows, and each phase's power bounded by the cap::

    ttft' = s_pre  ttft          tpot' = s_dec  tpot
    P'    = (ttft' min(P_pre, cap) + o tpot' min(P_dec, cap)) / (ttft' + o tpot')

where ``P_pre``, ``P_dec`` are the base GPU's per-phase powers from the power rule of
:mod:`ecoserve_opt.perf.power` (base TDP). So ``P' <= cap`` always. The latency factors are
measured (see :data:`POWER_CAPS`); the power under the cap is **bounded, not measured**: no
public reading of the capped GPU's power exists, and ``min(P, cap)`` is the model's
uncapped power wherever that is below the cap.

The decode factor is measured only on the configurations of :data:`MEASURED_CONFIGS`; the
data layer (``ecoserve_opt/data/power_cap.py``) offers a capped operating point only where
the model's uncapped decode-phase power is within the range it gives on those
configurations, and only at 16-bit precision (the measured rows are FP16).
"""

from __future__ import annotations

from dataclasses import dataclass

from ecoserve_opt.perf.power import PowerCalibration, phase_powers_w

SPLITWISE_PCAP_SOURCE = (
    "Splitwise (Patel et al., ISCA 2024, arXiv 2311.18677): section III-F 'the token "
    "generation phase incurs almost no latency impact when power capping by over 50% (i.e., "
    "700 to 350W)'; section IV-D 'we power cap the token machines down to 70% of their rated "
    "power, with each GPU capped by 50% of the power'; splitwise-sim (MIT) "
    "configs/hardware_repo/skus/dgx-h100-pcap.yaml (server tdp 7140 W = 0.7 x 10200 W of "
    "dgx-h100.yaml) and data/perf_model.csv hardware h100-80gb-pcap (420 rows; slowdown "
    "factors fitted by catalog_build.fit_power_cap)"
)


@dataclass(frozen=True)
class PowerCap:
    """One capped GPU variant: its base GPU, the cap and the measured phase slowdowns."""

    gpu: str  # id of the capped variant in gpus.csv
    base: str  # id of the uncapped GPU
    cap_w: float  # enforced board power limit per GPU
    base_tdp_w: float  # the base GPU's TDP (the power rule's ceiling without the cap)
    prefill_slowdown: float  # ttft capped / uncapped (fitted)
    decode_slowdown: float  # tpot capped / uncapped (fitted)
    source: str

    def apply(
        self,
        idle_w: float,
        pre: tuple[float, float],
        dec: tuple[float, float],
        output_tokens: float,
        cal: PowerCalibration,
    ) -> tuple[float, float, float]:
        """(ttft ms, tpot ms, request-average power W) of the capped GPU from the base GPU's
        (ttft, busy) and (tpot, busy) in ms."""
        p_pre, p_dec = phase_powers_w(idle_w, self.base_tdp_w, pre, dec, cal)
        ttft = pre[0] * self.prefill_slowdown
        tpot = dec[0] * self.decode_slowdown
        t_dec = output_tokens * tpot
        power = (ttft * min(p_pre, self.cap_w) + t_dec * min(p_dec, self.cap_w)) / (ttft + t_dec)
        return ttft, tpot, power


#: The capped variants of the catalog. ``h100-80gb-pcap``: each H100 capped at 50% of its
#: 700 W TDP (Splitwise's Splitwise-HHcap token machines). Slowdowns: fit result of
#: ``catalog_build.fit_power_cap.fit()`` on splitwise-sim's h100-80gb-pcap rows against its
#: h100-80gb rows (a test re-runs the fit and checks these values; docs/profiles.md). In that
#: file every capped prompt_time is exactly 1.3 x the uncapped one and every token_time
#: equals it: the rows carry Splitwise's own per-phase model of the cap, not independent
#: repeats, so the fit is exact and its held-out error 0 by construction.
POWER_CAPS: dict[str, PowerCap] = {
    "h100-80gb-pcap": PowerCap(
        gpu="h100-80gb-pcap",
        base="h100-80gb",
        cap_w=350.0,
        base_tdp_w=700.0,
        prefill_slowdown=1.3,
        decode_slowdown=1.0,
        source=SPLITWISE_PCAP_SOURCE,
    ),
}

#: (llm, tp) of the measured capped rows (splitwise-sim perf_model.csv), batches 1-64 and
#: prompts 128-8192 that fit the catalog's memory rule: the domain of the decode factor.
MEASURED_CONFIGS: tuple[tuple[str, int], ...] = (
    ("llama2-70b", 2),
    ("llama2-70b", 4),
    ("llama2-70b", 8),
    ("bloom-176b", 8),
)
MEASURED_BATCHES: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64)
MEASURED_PROMPTS: tuple[int, ...] = (128, 256, 512, 1024, 2048, 4096, 8192)
MEASURED_OUTPUT_TOKENS = 128.0
