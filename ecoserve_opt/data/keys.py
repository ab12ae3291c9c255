"""Labelled index keys: one NamedTuple per index set of the model.

A key is a plain tuple (it hashes and compares like one, so ``d.cap[(l, g, t, b, c, q)]`` and
``d.cap[Point(l, g, t, b, c, q)]`` find the same entry, and Pyomo stores it as a plain tuple),
with field names so the code reads ``k.cls == "offline"`` and ``k.point`` rather than
``k[4]`` and ``k[:5]``. The set each key indexes is named in its docstring (the symbols of
docs/formulation.md and ``formulation/sets.py``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

#: ``tuple.__new__``: a NamedTuple from a slice of another, without its ``__new__``
_new: Any = tuple.__new__


class GpuCohort(NamedTuple):
    r"""New GPUs of type ``gpu`` bought in ``year`` with planned lifetime ``life``
    (:math:`\mathcal{C}^{gpu}`, Pyomo set ``GC``)."""

    gpu: str
    year: int
    life: int


class HostCohort(NamedTuple):
    r"""New hosts of item ``host`` bought in ``year`` with planned lifetime ``life``
    (:math:`\mathcal{C}^{host}`, set ``HC``)."""

    host: str
    year: int
    life: int


class OwnedGpuYear(NamedTuple):
    """An owned GPU pool in a year it is still usable (set ``OG``)."""

    pool: str
    year: int


class OwnedHostYear(NamedTuple):
    """An owned host item in a year it is still usable (set ``OH``)."""

    host: str
    year: int


class HostGpu(NamedTuple):
    """An allowed pairing of a host item with a GPU type (or ``none``)."""

    host: str
    gpu: str


class Deployment(NamedTuple):
    r"""Hosts of item ``host``, lifetime class ``life``, carrying GPU type ``gpu`` (or
    ``none``) in ``year`` (:math:`\mathcal{D}`, set ``D``)."""

    host: str
    gpu: str
    life: int
    year: int


class HostLifeYear(NamedTuple):
    """Hosts of item ``host`` with lifetime class ``life`` in ``year`` (set ``HLY``)."""

    host: str
    life: int
    year: int


class Replica(NamedTuple):
    """A replica configuration: ``llm`` on ``tp`` GPUs of type ``gpu`` at numeric
    ``precision`` (``bf16``, ``fp8``, ``int8``, ``int4``: :mod:`ecoserve_opt.perf.precision`)."""

    llm: str
    gpu: str
    tp: int
    precision: str = "bf16"


class PoolReplica(NamedTuple):
    r"""Replicas of ``llm`` on ``tp`` GPUs of type ``gpu`` in ``pool`` at ``precision``
    (:math:`\mathcal{R}`, set ``R``)."""

    llm: str
    gpu: str
    tp: int
    pool: str
    precision: str = "bf16"


class Point(NamedTuple):
    r"""An operating point: ``llm`` on ``tp`` x ``gpu`` at ``batch`` for class ``cls``
    (``online``/``offline``) at numeric ``precision`` (:math:`\mathcal{K}`, set ``K``)."""

    llm: str
    gpu: str
    tp: int
    batch: int
    cls: str
    precision: str = "bf16"

    @property
    def replica(self) -> Replica:
        """The replica configuration this point runs on."""
        return Replica(self.llm, self.gpu, self.tp, self.precision)


class Serve(NamedTuple):
    """Tokens/s served at an operating point in ``year`` and ``slot`` (set ``XK``)."""

    llm: str
    gpu: str
    tp: int
    batch: int
    cls: str
    precision: str
    year: int
    slot: int

    @property
    def point(self) -> Point:
        """The operating point served (its first six fields: built without ``Point``'s
        Python-level ``__new__``, as the model build asks for it ~650k times on fleet20)."""
        return _new(Point, self[:6])


class CpuPoint(NamedTuple):
    """Offline serving of ``llm`` on the CPUs of host item ``host`` at ``batch`` (set ``KC``)."""

    llm: str
    host: str
    batch: int


class CpuServe(NamedTuple):
    """Offline tokens/s served on host CPUs in ``year`` and ``slot`` (set ``XC``)."""

    llm: str
    host: str
    batch: int
    year: int
    slot: int

    @property
    def point(self) -> CpuPoint:
        """The CPU serving point (its first three fields)."""
        return _new(CpuPoint, self[:3])


class Staged(NamedTuple):
    """Copies of ``llm``'s weights staged on hosts of item ``host`` carrying ``gpu`` in
    ``year`` (set ``STAGED``)."""

    llm: str
    host: str
    gpu: str
    year: int


class CpuCopies(NamedTuple):
    """Copies of ``llm``'s weights that CPU serving uses on ``host`` in ``year``, ``slot``
    (index of ``cpu_weight_copies``)."""

    llm: str
    host: str
    year: int
    slot: int


class YearSlot(NamedTuple):
    """A slot of the representative day in a planning year."""

    year: int
    slot: int


class OnlineDemandKey(NamedTuple):
    """Online demand of ``llm`` in ``year``, ``slot`` (index of ``online_demand``)."""

    llm: str
    year: int
    slot: int


class OfflineDemandKey(NamedTuple):
    """Offline daily volume of ``llm`` in ``year`` (index of ``offline_demand``)."""

    llm: str
    year: int


class WindowSlot(NamedTuple):
    """The hours of ``slot`` inside ``llm``'s offline window."""

    llm: str
    slot: int


class CohortKind(NamedTuple):
    """A lifetime option of a GPU or host item (``kind`` is ``gpu`` or ``host``)."""

    kind: str
    item: str
    life: int


class PhasePoint(NamedTuple):
    r"""A phase operating point (Phase-level Rightsize): online ``phase`` (``prefill`` or
    ``decode``) of ``llm`` on ``tp`` x ``gpu`` at ``batch``; a prefill point sends its KV
    cache over ``path`` (``nvlink``: to a decode pool of the same GPU type in the same host;
    ``nic``: to any decode pool), a decode point has path ``none``
    (:math:`\mathcal{K}^{ph}`, set ``KP``)."""

    llm: str
    gpu: str
    tp: int
    batch: int
    phase: str
    path: str

    @property
    def replica(self) -> PhaseReplica:
        """The phase pool this point runs on."""
        return PhaseReplica(self.llm, self.gpu, self.tp, self.phase)


class PhaseReplica(NamedTuple):
    r"""Replicas of a phase pool: ``llm``'s ``phase`` on ``tp`` GPUs of type ``gpu``
    (:math:`\mathcal{R}^{ph}`, set ``RP``)."""

    llm: str
    gpu: str
    tp: int
    phase: str


class PhaseServe(NamedTuple):
    """Online requests (as output tokens/s) through a phase point in ``year`` and ``slot``
    (set ``XP``)."""

    llm: str
    gpu: str
    tp: int
    batch: int
    phase: str
    path: str
    year: int
    slot: int

    @property
    def point(self) -> PhasePoint:
        """The phase point served."""
        return PhasePoint(self.llm, self.gpu, self.tp, self.batch, self.phase, self.path)
