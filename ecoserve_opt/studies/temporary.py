"""Temporary results stores: ``sweep()``/``pareto()`` called without an output folder."""

from __future__ import annotations

from pathlib import Path


class TemporaryStore:
    """A temporary store folder, removed when this object is garbage-collected (or at exit).

    :func:`~ecoserve_opt.studies.sweep.sweep` and ``pareto`` without ``out`` keep one on the
    returned :class:`SweepResults`, so its fleet tables stay readable while it is alive.
    """

    def __init__(self) -> None:
        import shutil
        import tempfile
        import weakref

        self.path = Path(tempfile.mkdtemp(prefix="ecoserve-sweep-"))
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.path, ignore_errors=True)


def store_folder(out: str | Path | None) -> tuple[Path, TemporaryStore | None]:
    """``out`` as a Path, or a new :class:`TemporaryStore` and its folder."""
    if out is not None:
        return Path(out), None
    tmp = TemporaryStore()
    return tmp.path, tmp
