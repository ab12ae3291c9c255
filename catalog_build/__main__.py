"""``python -m catalog_build <step> [options]``: rebuild the bundled catalog (``models/``).

Steps (run from the repository root; ``python -m catalog_build <step> --help`` lists the
options, ``--shared DIR`` and ``--out models`` for all):

  all           hardware, then profiles, then measurements: everything ``models/`` holds
                that comes from the shared field data
  hardware      gpus, hosts, embodied, host_components, grid_regions, grid_countries,
                licences
  profiles      llms, profiles, cpu_profiles, traces (needs the hardware tables in --out);
                ``--report`` prints the Splitwise calibration error table instead
  measurements  profile_measurements/splitwise.csv; ``--report [--engine E]`` prints the
                held-out validation tables of docs/profiles.md instead
  fit-engine    re-fits an engine calibration and prints its constants
  power-check   the power error on readings without a published input length (a bracket
                of assumed lengths; docs/profiles.md)
  power-fit-cb  the continuous-batching power constants (fit on ML.ENERGY v3) and their
                held-out errors (docs/profiles.md)
  power-cap-fit the per-phase slowdown of the power-capped H100 (h100-80gb-pcap) and its
                held-out errors (docs/profiles.md)
  power-traces  TP > 1 power validation points from a local copy of a powertrace-sim run
                folder (``--run DIR``; docs/profiles.md)
  fit-cpu       re-fits the CPU-socket roofline on profile_measurements/cpu.csv and prints
                its constants; ``--report`` prints the CPU error table of docs/profiles.md
"""

from __future__ import annotations

import sys
from collections.abc import Callable


def _step(name: str) -> Callable[[list[str] | None], int]:
    if name == "hardware":
        from catalog_build.hardware import main
    elif name == "profiles":
        from catalog_build.profiles import main
    elif name == "measurements":
        from catalog_build.profile_validation import main
    elif name == "fit-cpu":
        from catalog_build.fit_cpu import main
    elif name == "power-check":
        from catalog_build.power_check import main
    elif name == "power-fit-cb":
        from catalog_build.power_fit_cb import main
    elif name == "power-traces":
        from catalog_build.power_traces import main
    elif name == "power-cap-fit":
        from catalog_build.fit_power_cap import main
    else:
        from catalog_build.fit_engines import main
    return main


STEPS = (
    "all",
    "hardware",
    "profiles",
    "measurements",
    "fit-engine",
    "fit-cpu",
    "power-check",
    "power-traces",
    "power-fit-cb",
    "power-cap-fit",
)


def main(argv: list[str] | None = None) -> int:
    """Run one step, or ``all`` three build steps in order (same options)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] not in STEPS:
        sys.stderr.write(__doc__ or "")
        return 2
    step, rest = args[0], args[1:]
    for name in ("hardware", "profiles", "measurements") if step == "all" else (step,):
        rc = _step(name)(rest)
        if rc:
            return rc
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
