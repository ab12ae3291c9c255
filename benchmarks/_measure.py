"""Measurement helpers shared by the benchmark scripts.

Stage timers wrap methods of Pyomo's persistent HiGHS interface
(``pyomo.contrib.solver.solvers.highs.Highs``) for the life of a benchmark process, so the
package is measured exactly as users run it (``ecoserve_opt.build`` then ``Built.solve``)
while the hand-off (``set_instance``), the persistent ``update`` scan and the HiGHS run
(``_solve``: option setting + ``Highs.run()``) are timed apart. Nothing in ``ecoserve_opt``
is changed.
"""

from __future__ import annotations

import contextlib
import resource
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

STAGES = ("set_instance", "update", "_solve", "_load_vars")
_TIMES: dict[str, float] = {}
_CPU: dict[str, float] = {}  # CPU seconds of this process (user + system) per stage
_INSTALLED = False


def install_timers() -> None:
    """Wrap the persistent HiGHS interface's stage methods with accumulating timers."""
    global _INSTALLED
    if _INSTALLED:
        return
    from pyomo.contrib.solver.solvers.highs import Highs

    for name in STAGES:
        orig = getattr(Highs, name)

        def timed(
            self: Any, *a: Any, _orig: Callable[..., Any] = orig, _n: str = name, **k: Any
        ) -> Any:
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                return _orig(self, *a, **k)
            finally:
                _TIMES[_n] = _TIMES.get(_n, 0.0) + time.perf_counter() - t0
                _CPU[_n] = _CPU.get(_n, 0.0) + time.process_time() - c0

        setattr(Highs, name, timed)
    _INSTALLED = True


def reset_timers() -> None:
    """Zero the stage timers."""
    _TIMES.clear()
    _CPU.clear()


def stage(name: str) -> float:
    """Seconds accumulated in a stage since the last reset."""
    return _TIMES.get(name, 0.0)


def stage_cpu(name: str) -> float:
    """CPU seconds (user + system, this process) spent in a stage since the last reset.

    On a shared machine wall time stretches with other jobs' load; CPU time of a
    single-threaded stage barely does, so it is the number to compare between machines.
    """
    return _CPU.get(name, 0.0)


def load_average() -> float:
    """The 1-minute load average (nan where the OS has none)."""
    import os

    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (MB)."""
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024.0 if sys.platform != "darwin" else kb / 2**20


@contextlib.contextmanager
def timer(out: dict[str, float], key: str) -> Iterator[None]:
    """Store the wall time of the block in ``out[key]`` (seconds)."""
    t0 = time.perf_counter()
    try:
        yield
    finally:
        out[key] = time.perf_counter() - t0


def markdown_table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """A GitHub-markdown table of ``rows`` restricted to ``columns``."""

    def fmt(v: Any) -> str:
        if isinstance(v, float):
            if v != v:  # nan
                return "-"
            return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}" if abs(v) < 1 else f"{v:.2f}"
        if isinstance(v, int):
            return f"{v:,}"
        return str(v)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines) + "\n"
