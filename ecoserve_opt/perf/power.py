"""GPU power at an operating point: idle plus the busy share of the request times (TDP - idle).

Per GPU, averaged over the request (prefill then ``output_tokens`` decode steps)::

    u_p = min(1, power_prefill * busy_p / ttft),   u_d = min(1, power_decode * busy_d / tpot)
    u   = (ttft u_p + o tpot u_d) / (ttft + o tpot)
    P   = idle_w + (tdp_w - idle_w) u                  (so idle_w <= P <= tdp_w)

``busy_*`` is the bandwidth + FLOP part of each phase (the rest is fixed overhead and
communication time, when the GPU mostly waits). The two fractions are fitted on measured
power (``docs/profiles.md``).
"""

from __future__ import annotations

from typing import Protocol


class PowerCalibration(Protocol):
    """The power constants of a roofline calibration."""

    @property
    def power_prefill(self) -> float: ...
    @property
    def power_decode(self) -> float: ...


def _utilisations(
    pre: tuple[float, float], dec: tuple[float, float], cal: PowerCalibration
) -> tuple[float, float]:
    """(prefill, decode) utilisation of the power rule from (ttft, busy) and (tpot, busy)."""
    (ttft, busy_p), (tpot, busy_d) = pre, dec
    return (
        min(1.0, cal.power_prefill * busy_p / ttft),
        min(1.0, cal.power_decode * busy_d / tpot),
    )


def phase_powers_w(
    idle_w: float,
    tdp_w: float,
    pre: tuple[float, float],
    dec: tuple[float, float],
    cal: PowerCalibration,
) -> tuple[float, float]:
    """(prefill, decode) power per GPU in W: each phase's own utilisation of the rule."""
    u_p, u_d = _utilisations(pre, dec, cal)
    return idle_w + (tdp_w - idle_w) * u_p, idle_w + (tdp_w - idle_w) * u_d


def gpu_power_w(
    idle_w: float,
    tdp_w: float,
    pre: tuple[float, float],
    dec: tuple[float, float],
    output_tokens: float,
    cal: PowerCalibration,
) -> float:
    """Request-average power per GPU from (ttft, busy) and (tpot, busy) in ms."""
    ttft, tpot = pre[0], dec[0]
    u_p, u_d = _utilisations(pre, dec, cal)
    t_dec = output_tokens * tpot
    u = (ttft * u_p + t_dec * u_d) / (ttft + t_dec)
    return idle_w + (tdp_w - idle_w) * u
