"""``python -m catalog_build <step> [options]``: rebuild the bundled catalog (``models/``).

Steps: ``hardware`` (gpus, hosts, embodied, host_components, grid tables, licences),
``profiles`` (llms, profiles, cpu_profiles, traces; needs the hardware tables in ``--out``),
``all`` (both, in that order). ``python -m catalog_build <step> --help`` lists the options.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Dispatch to the step's own command line."""
    args = list(sys.argv[1:] if argv is None else argv)
    steps = ("hardware", "profiles", "all")
    if not args or args[0] not in steps:
        sys.stderr.write(__doc__ or "")
        return 2
    step, rest = args[0], args[1:]
    if step in ("hardware", "all"):
        from catalog_build.hardware import main as hardware

        rc = hardware(rest)
        if rc or step == "hardware":
            return rc
    from ecoserve_opt.catalog.build_profiles import main as profiles

    return profiles(rest)


if __name__ == "__main__":
    raise SystemExit(main())
