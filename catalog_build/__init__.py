"""Offline build of the bundled catalog (``models/``) from the shared field data.

This folder is a build tool, not part of the ``ecoserve_opt`` package: it is not shipped in
the wheel, and nothing in ``ecoserve_opt`` imports it. Run it from the repository root::

    python -m catalog_build all [--shared DIR] [--out models]

``--shared`` defaults to ``$ECOSERVE_SHARED_DATA`` if set, else ``../shared/data``
relative to the repository root; ``--out`` to ``models``. The hand-typed public spec tables
it reads (GPUs, CPUs, hosts, DIMMs, SSDs, host component power, whole-part LCA figures) are
CSV files with their sources in ``catalog_build/specs/``. See ``docs/data.md`` and
``docs/profiles.md``.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SPECS_DIR = Path(__file__).resolve().parent / "specs"
DEFAULT_OUT = REPO_ROOT / "models"
#: Environment variable that overrides the default shared field-data folder.
SHARED_ENV = "ECOSERVE_SHARED_DATA"


def default_shared_dir() -> Path:
    """``$ECOSERVE_SHARED_DATA`` if set, else ``../shared/data`` relative to the repo root."""
    env = os.environ.get(SHARED_ENV, "").strip()
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"


__all__ = ["DEFAULT_OUT", "REPO_ROOT", "SHARED_ENV", "SPECS_DIR", "default_shared_dir"]
