"""Scenario schema (pydantic v2, ``extra="forbid"``, frozen).

Every quantity accepts a bare number in the canonical unit (see :mod:`ecoserve_opt.schema.units`)
or a string with a unit. Field docstrings are the reference documentation
(``ecoserve schema`` prints the JSON schema).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ecoserve_opt.schema.units import (
    CarbonIntensity,
    Duration,
    EnergyPrice,
    Fraction,
    Latency,
    Memory,
    Rate,
)


class _Strict(BaseModel):
    # allow_inf_nan=False: .inf/.nan (and "1e999 W") are rejected at every float field,
    # including list items such as ``diurnal``, naming the field. The field docstrings are
    # not read at class creation (use_attribute_docstrings costs a third of this module's
    # import); model_json_schema adds them (ecoserve_opt.schema.docs).
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Pydantic's JSON schema with the field docstrings as descriptions."""
        from ecoserve_opt.schema.docs import add_field_docs

        return add_field_docs(super().model_json_schema(*args, **kwargs), cls)


# Bounded integers: out-of-range values are rejected here, naming the field, instead of
# reaching the model (a zero TP degree divides by zero; a negative batch matches no profile).
Year = Annotated[int, Field(ge=1900, le=2200)]
Count = Annotated[int, Field(ge=0, le=10_000_000)]
Tokens = Annotated[int, Field(gt=0, le=100_000_000)]
TPDegree = Annotated[int, Field(ge=1, le=1024)]
BatchSize = Annotated[int, Field(ge=1, le=1_000_000)]
ExtraYears = Annotated[int, Field(ge=0, le=30)]


class OnlineDemand(_Strict):
    """Latency-sensitive (interactive) demand of one LLM."""

    workload: Literal["azure-conv-2023", "azure-code-2023"] | None = None
    """Bundled Azure LLM trace giving the request rate, mean token lengths and diurnal shape
    (fields given explicitly here win)."""
    rate_scale: float = Field(default=1.0, gt=0, le=1e9)
    """Multiplier on the workload trace's request rate (e.g. 100 = a fleet 100x the trace)."""
    requests_per_s: Rate | None = Field(default=None, ge=0)
    """Mean request rate (requests/s) over the day; the diurnal shape scales it per hour."""
    tokens_per_s: Rate | None = Field(default=None, ge=0)
    """Alternative to ``requests_per_s``: mean generated (output) tokens/s."""
    input_tokens: Tokens = 1024
    """Mean prompt length (tokens)."""
    output_tokens: Tokens = 256
    """Mean generated length (tokens)."""
    ttft_slo: Latency = Field(default=2.0, gt=0)
    """Time-to-first-token SLO (s): a configuration serves online load only if it meets it."""
    tpot_slo: Latency = Field(default=0.1, gt=0)
    """Time-per-output-token SLO (s)."""
    diurnal: Literal["flat", "default"] | list[float] = "default"
    """Hourly shape of the request rate: ``flat``, ``default`` (the workload module's
    documented diurnal shape) or 24 multipliers (normalised to mean 1)."""
    headroom_rule: Literal["queueing", "minute-peak", "none"] = "queueing"
    """How capacity is sized above each slot's peak-hour demand (capacity only: served
    tokens and energy stay at the demand). ``queueing``: the batch slots of each operating
    point are sized with an Erlang-C (M/M/c, Allen-Cunneen service correction) bound at the
    busiest minute's arrival rate so that at most ``1 - attainment_target`` of requests wait
    longer than the TTFT slack; ``minute-peak``: capacity x ``burst_headroom`` (the rule
    before queueing was modelled); ``none``: size for the hourly rate. See docs/simulate.md."""
    attainment_target: float = Field(default=0.99, gt=0, lt=1)
    """Share of online requests that must meet the TTFT SLO at the busiest minute's rate
    (``headroom_rule: queueing``)."""
    burst_headroom: Literal["auto"] | float = "auto"
    """Busiest minute's arrival rate over the peak hour's. ``auto`` = the workload trace's
    minute peak-to-mean ratio (azure-conv-2023 1.52, azure-code-2023 4.18); for a rate
    (Poisson arrivals) 1 under ``headroom_rule: queueing`` (the queueing bound models the
    Poisson fluctuation itself) and ``1 + z/sqrt(60 x requests/s)`` under ``minute-peak``
    (z the standard-normal quantile at 1 - 1/60: one minute in an hour exceeds it). A number
    >= 1 sets the factor. See docs/simulate.md."""

    @model_validator(mode="after")
    def _one_rate(self) -> OnlineDemand:
        if self.requests_per_s is not None and self.tokens_per_s is not None:
            raise ValueError("give requests_per_s or tokens_per_s, not both")
        if self.workload is None and self.requests_per_s is None and self.tokens_per_s is None:
            raise ValueError("give one of requests_per_s, tokens_per_s or workload")
        if isinstance(self.diurnal, list) and (
            len(self.diurnal) != 24 or min(self.diurnal) < 0 or sum(self.diurnal) <= 0
        ):
            raise ValueError("diurnal must have 24 non-negative values with a positive sum")
        if not isinstance(self.burst_headroom, str) and not self.burst_headroom >= 1.0:
            raise ValueError("burst_headroom must be 'auto' or a number >= 1")
        return self

    @property
    def output_tokens_per_s(self) -> float:
        """Mean generated tokens/s."""
        if self.tokens_per_s is not None:
            return self.tokens_per_s
        if self.requests_per_s is None:
            raise ValueError("workload not resolved: use ecoserve_opt.data.resolve_workloads")
        return self.requests_per_s * self.output_tokens


class OfflineDemand(_Strict):
    """Batch (offline) demand of one LLM: a daily volume with a time window, no latency SLO."""

    tokens_per_day: float = Field(ge=0)
    """Generated (output) tokens per day."""
    input_tokens: Tokens = 1024
    """Mean prompt length (tokens)."""
    output_tokens: Tokens = 256
    """Mean generated length (tokens)."""
    window: tuple[int, int] = (0, 24)
    """Hours of the day [start, end) in which the batch may run (end may be < start: wraps)."""

    @field_validator("window")
    @classmethod
    def _window(cls, v: tuple[int, int]) -> tuple[int, int]:
        a, b = v
        if not (0 <= a <= 23 and 1 <= b <= 24) or a == b:
            raise ValueError(
                "window must be [start, end) with 0<=start<=23, 1<=end<=24, start!=end"
            )
        return v


#: Numeric precisions a scenario may allow (``ecoserve_opt.perf.precision.PRECISIONS``; a
#: test checks the two agree).
PrecisionName = Literal["bf16", "fp8", "int8", "int4"]


class LLM(_Strict):
    """One served LLM (must exist in the catalog's ``llms.csv``)."""

    online: OnlineDemand | None = None
    offline: OfflineDemand | None = None
    precisions: list[PrecisionName] = Field(default=["bf16"], min_length=1)
    """Numeric precisions this model may be served at (Rightsize picks among them per
    replica): ``bf16`` (16-bit weights, activations and KV cache, the serving profiles),
    ``fp8`` (FP8 weights, activations and KV cache; only on GPUs with FP8 tensor cores:
    H100, H200, B200, L40S, L4, MI300X), ``int8`` / ``int4`` (weight-only W8A16 / W4A16, 16-bit
    activations and KV cache; any GPU). Whether a precision keeps the model's quality is the
    user's call: the default, ``[bf16]``, changes nothing. See docs/profiles.md."""

    @model_validator(mode="after")
    def _some_demand(self) -> LLM:
        if self.online is None and self.offline is None:
            raise ValueError("an LLM needs online and/or offline demand")
        return self

    @field_validator("precisions")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError(f"a precision is listed twice: {v}")
        return v


class Grid(_Strict):
    """Where the fleet runs and how clean its electricity is."""

    region: str | None = None
    """Cloud region from ``grid_regions.csv`` (e.g. ``us-central1``)."""
    country: str | None = None
    """ISO-3 country from ``grid_countries.csv`` (e.g. ``FRA``)."""
    intensity: CarbonIntensity | None = Field(default=None, ge=0)
    """Explicit annual mean grid intensity (a bare number is gCO2e/kWh, or e.g.
    ``"0.42 kgCO2e/kWh"``); overrides region/country."""
    year: Year | None = None
    """Data year for region/country (default: latest)."""
    hourly_shape: Literal["flat", "solar", "evening-peak"] = "solar"
    """Shape of the 24-h intensity profile generated from the annual mean."""
    hourly_csv: str | None = None
    """User CSV (``hour,gco2e_per_kwh``, 24 rows) replacing the generated profile."""
    trend_per_year: float = Field(default=0.0, ge=-0.5, le=0.5)
    """Relative change of intensity per planning year (e.g. -0.05 = 5% cleaner each year)."""
    pue: float = Field(default=1.12, ge=1.0, le=3.0)
    """Data-centre power usage effectiveness."""

    @model_validator(mode="after")
    def _one_source(self) -> Grid:
        if self.intensity is None and self.region is None and self.country is None:
            raise ValueError("give one of region, country or intensity")
        if self.region is not None and self.country is not None:
            raise ValueError("give region or country, not both")
        return self


class Hardware(_Strict):
    """Candidate hardware for new purchases."""

    gpus: list[str] = Field(min_length=1)
    """GPU ids from ``gpus.csv`` that may be bought."""
    hosts: list[str] = Field(min_length=1)
    """Host platform ids from ``hosts.csv`` that may be bought."""
    tp_degrees: list[TPDegree] = Field(default=[1, 2, 4, 8], min_length=1)
    """Tensor-parallel degrees considered."""
    batches: list[BatchSize] | None = Field(default=None, min_length=1)
    """Batch sizes considered (default: all in the profile table)."""
    available_from: dict[str, Year] = {}
    """Override of the first year an item (GPU or host id) can be bought."""


class OwnedGPU(_Strict):
    """Already-owned GPUs (their manufacturing carbon is spent)."""

    gpu: str
    count: Count
    age_years: float = Field(default=3.0, ge=0, le=100)


class OwnedHost(_Strict):
    """Already-owned host servers of an older platform."""

    host: str
    count: Count
    age_years: float = Field(default=3.0, ge=0, le=100)


class Inventory(_Strict):
    """Hardware already owned, usable when the Reuse pillar is on."""

    gpus: list[OwnedGPU] = []
    hosts: list[OwnedHost] = []
    dram_gb: Memory = Field(default=0.0, ge=0)
    """Pool of reusable DRAM (GB) that can go into new hosts (GreenSKU-style, zero embodied)."""
    ssd_tb: float = Field(default=0.0, ge=0)
    """Pool of reusable SSD capacity (TB) for new hosts."""
    embodied_residual_share: Fraction = Field(default=0.0, ge=0, le=1)
    """Share of an owned item's embodied carbon still charged when it is used (0 = sunk)."""


class Pillars(_Strict):
    """EcoServe's 4R pillars; each switches a block of the model on."""

    reduce: bool = True
    """Host CPU sockets, DRAM and SSD sized to need (off: the full SKU)."""
    reuse: bool = True
    """Already-owned hosts/GPUs/DRAM/SSD may be used (off: inventory ignored)."""
    reuse_host_cpus: bool = True
    """Offline inference on the spare CPUs of provisioned hosts and CPU-only servers."""
    rightsize: bool = True
    """GPU mix, count and TP degree per model (off: one GPU type for all models, chosen by
    the objective; the TP degree per model stays free)."""
    recycle: bool = True
    """Lifetime extension and decoupled host/GPU refresh (off: fixed, coupled lifetimes)."""
    shift_offline: bool = True
    """Offline work placed in low-carbon hours of its window (off: spread evenly)."""
    split_phases: bool = False
    """Phase-level Rightsize (needs ``rightsize``): online traffic of each LLM may also be
    served by a prefill pool and a decode pool, each with its own GPU type, TP degree and
    batch, the KV cache moved between them over NVLink (same host) or the NIC (between
    hosts). Co-located replicas stay available, so turning it on never raises the optimum."""

    @model_validator(mode="after")
    def _split_needs_rightsize(self) -> Pillars:
        if self.split_phases and not self.rightsize:
            raise ValueError(
                "pillars.split_phases: needs pillars.rightsize (a phase pool picks its own "
                "GPU type, which Rightsize off forbids)"
            )
        return self


class HostNeeds(_Strict):
    """What GPU serving needs from its host (lower bounds for the Reduce pillar)."""

    stage_weights: bool = True
    """Each replica keeps one copy of its model's weights in host DRAM (loading, restarts)."""
    kv_offload_tokens: Count = 0
    """Tokens of KV cache per replica offloaded to host DRAM (0 = no offload); GB follow
    from the model's KV bytes per token."""
    checkpoint_copies: float = Field(default=1.0, ge=0)
    """Copies of each replica's model weights stored on its hosts' SSDs."""
    dram_per_gpu_memory: float = Field(default=0.0, ge=0)
    """Optional rule of thumb: host DRAM per GB of GPU memory (e.g. 1.0 = DRAM >= HBM)."""
    dram_gb_per_host: Memory = Field(default=64.0, ge=0)
    """OS and runtime DRAM per host (GB)."""
    ssd_tb_per_gpu: float = Field(default=0.0, ge=0)
    """Optional extra SSD per GPU (TB), e.g. datasets or logs."""
    ssd_tb_per_host: float = Field(default=0.5, ge=0)
    """OS and logs per host (TB)."""
    cores_per_gpu: int = Field(default=4, ge=0, le=100_000)
    """Host cores driving each GPU (tokenisation, scheduling)."""
    cores_per_host: int = Field(default=4, ge=0, le=100_000)
    """Host cores for the OS and agents."""
    cpu_reserved_fraction: Fraction = Field(default=0.25, ge=0, lt=1)
    """Share of host cores never lent to offline CPU inference (headroom)."""


class Recycle(_Strict):
    """Lifetime choices of the Recycle pillar."""

    gpu_extra_years: list[ExtraYears] = Field(default=[0, 1, 2], min_length=1)
    """Lifetime extensions (years beyond the catalog lifetime) that new GPUs may get."""
    host_extra_years: list[ExtraYears] = Field(default=[0, 1, 2, 3], min_length=1)
    """Lifetime extensions that new hosts may get."""
    ageing: Literal["sourced", "flat", "none"] = "sourced"
    """How failures with age are charged (docs/formulation.md, Recycle: ageing).
    ``sourced`` (default): replacement embodied carbon from annual failure rates by age and
    fail-in-place rates (hosts: Lyu et al., OSDI 2023, GreenSKU's data; GPUs: Meta's Llama 3
    run), relative to the catalog lifetime: ``omega_L = 1 + L (rho_L - rho_cat)`` with
    ``rho_L = (1 - fip) x mean AFR over ages < L``; the sourced rates are constant with
    age, so a lifetime changes nothing unless ``gpu_afr_by_age``/``host_afr_by_age`` give
    rates that rise. ``flat``: the old unsourced ``1 + overhead_per_extra_year x years
    beyond the catalog``. ``none``: no charge."""
    overhead_per_extra_year: Fraction = Field(default=0.03, ge=0, le=1)
    """``ageing: flat`` only: spares overhead per year of extension (embodied x(1+overhead))."""
    gpu_afr_by_age: list[Fraction] | None = Field(default=None, min_length=1)
    """``ageing: sourced``: annual failure rates of new GPUs at ages 0, 1, 2, ... years (the
    last value holds for older ages; no GPU is failed in place), in place of the sourced
    constant rate, e.g. a wear-out curve."""
    host_afr_by_age: list[Fraction] | None = Field(default=None, min_length=1)
    """``ageing: sourced``: annual failure rates of new hosts by age (as ``gpu_afr_by_age``),
    applied to the whole host's embodied carbon, in place of the sourced constant rates."""
    gpu_power_degradation: float = Field(default=0.0, ge=0, le=1)
    """Optional: extra energy per year of age a GPU draws for the same work (0 = none; no
    public fleet measurement was found). Adds ``(1+d)^a - 1`` to the obsolescence share."""
    host_power_degradation: float = Field(default=0.0, ge=0, le=1)
    """Optional: as ``gpu_power_degradation``, for a host's static power."""
    owned_extra_years: ExtraYears = 2
    """Years an owned item may serve beyond its catalog lifetime."""
    lifetime_accounting: Literal["steady_state", "horizon"] = "steady_state"
    """How a lifetime is priced. ``steady_state`` (default): each year in service is
    charged the lifetime's levelised cost, embodied ``omega_L E/L`` plus an obsolescence
    charge for the efficiency the unit forgoes against newer hardware, relative to the
    catalog lifetime (docs/formulation.md, Recycle); the longest option wins only where
    embodied carbon outweighs that loss. ``horizon``: embodied ``omega_L E/L`` only, which
    makes every lifetime past the horizon look free (the longest option always wins)."""
    gpu_efficiency_gain: float = Field(default=0.26, ge=0, le=2)
    """Yearly gain in performance per watt of the newest GPUs (0.26: ML GPU energy
    efficiency doubles about every 3 years, Epoch AI "Trends in Machine Learning Hardware",
    2023). Drives the obsolescence charge of GPU lifetimes."""
    host_efficiency_gain: float = Field(default=0.305, ge=0, le=2)
    """Yearly gain in performance per watt of new host servers (0.305: computing
    efficiency doubles about every 2.6 years since 2000, Koomey and Naffziger 2016).
    Applied to a host's static power (an upper bound: chassis, fans and DIMMs improve
    more slowly than CPUs)."""
    gpu_load_share: Fraction = Field(default=0.5, ge=0, le=1)
    """Load of a GPU, between idle (0) and TDP (1), in the obsolescence charge (0.5:
    Splitwise's measured token-phase power, (380-75)/(700-75) = 0.49 on H100 and
    (250-63)/(400-63) = 0.55 on A100; LLM serving time is dominated by decoding)."""


class Prices(_Strict):
    """Prices for the cost objective."""

    electricity: EnergyPrice = Field(default=0.08, ge=0)
    """Electricity price (USD/kWh)."""


class Profiles(_Strict):
    """Which serving profiles of the catalog to use."""

    engine: str | None = None
    """Serving-engine generation (``profiles.csv`` column ``engine``): ``tensorrt-llm``
    (current engines, the default for the bundled catalog) or ``splitwise`` (the Splitwise
    measurements and the roofline fitted on them). ``None``: the default engine if the
    catalog has an ``engine`` column, else every row."""
    power: Literal["static-batch", "continuous-batching"] | None = None
    """GPU power constants of the operating points. ``continuous-batching``: refitted on
    ML.ENERGY v3 (vLLM 0.11, saturated continuous batching, H100), for current serving
    engines (vLLM, SGLang, TensorRT-LLM in-flight batching), whose GPUs stay busier at the
    same batch (held-out error 6.8% on vLLM 0.10 TP 4 windows). ``static-batch``: the
    engine's own, fitted on Splitwise's static-batch readings (within 6% of vLLM 0.5 static
    batches at TP 1, 26% low on continuous batching at TP 4). ``None`` (default): the
    engine's own mode, ``continuous-batching`` for ``tensorrt-llm``, ``static-batch`` for
    ``splitwise`` and for a catalog without an ``engine`` column. Only ``power_w`` changes
    (docs/profiles.md, "Continuous-batching power")."""


class Solver(_Strict):
    """HiGHS settings."""

    mip_rel_gap: float = Field(default=1e-4, ge=0, lt=1)
    """Relative MIP gap at which HiGHS stops, in [0, 1)."""
    time_limit: Duration | None = Field(default=None, gt=0)
    """Wall-clock limit; bare numbers are seconds here, strings like "2 min" are accepted."""
    threads: int = Field(default=1, ge=1, le=1024)
    seed: int = Field(default=0, ge=0, le=2_147_483_647)
    highs_options: dict[str, bool | int | float | str] = {}
    """Further HiGHS options by name, passed as given (e.g. ``mip_heuristic_effort: 0.1``,
    ``presolve: "off"``; https://ergo-code.github.io/HiGHS/stable/options/definitions/).
    An unknown name or a value of the wrong type stops the solve with an error naming it."""
    tighten: bool = True
    """Exact upper bounds on the integer fleet variables, derived from the demand
    (formulation/bounds.py, docs/formulation.md "Exact integer bounds"): same optimum,
    a much faster HiGHS root. ``false`` builds the plain model (for comparison)."""
    cuts: bool = False
    """Valid inequalities on the replica counts: the model's capacity-covering rows rounded
    by mixed-integer rounding (formulation/cuts.py, docs/formulation.md "Rounded covering
    rows"): same optimum, a higher LP bound. Off by default: they pay together with a MIP
    start's cutoff bounds, not by themselves (docs/performance.md, "Valid inequalities")."""
    host_cuts: bool = False
    """With ``cuts``: also the host covers, the covering rows carried over to the hosts that
    mount the GPUs and rounded the same way (formulation/host_cuts.py, docs/formulation.md
    "Host covers"): same optimum, a higher LP bound where a few GPU types serve most
    models (the paper scenario, whose block turns them on; none on the fleet-scale
    benchmark). Off by default: measured to pay on that one scenario only
    (docs/performance.md, "Host covers")."""
    prune: bool = True
    """Leave out the served rates of operating points (batch sizes) that a convex
    combination of other points of the same replica type and class beats in capacity,
    load power and latency alike (data/hull.py, docs/formulation.md "Exact pruning of
    operating points"), and the replica types (TP degree, precision) that one replica of
    another type of the same LLM and GPU on no more GPUs beats at every point ("Exact
    pruning of replica types"): same optimum for every objective and cap, fewer columns.
    ``false`` builds every point and replica type (for comparison)."""
    prune_latency: bool = False
    """With ``prune``, also leave out the online points that only their lower latency keeps
    (compared in capacity and power alone): exact for the carbon, energy, cost and GPU-hours
    objectives and their caps, and most online batch sizes go. A model built so refuses the
    performance objective and latency caps (build it with objective ``performance``, where
    this switch is ignored, or without it). Off by default."""
    mip_start: Literal["heuristic", "none"] = "none"
    """Starting solution handed to HiGHS on a fresh model: ``heuristic`` builds one in
    seconds (LP relaxation, round-up dive on the replica counts, restricted MIP for the
    hosts; ecoserve_opt/heuristics.py) and falls back to none if it fails; ``none`` leaves
    HiGHS to find its own first incumbent. Re-solves (sweeps) warm-start from the previous
    solution either way."""
    cutoff_bounds: bool = True
    """With a heuristic start: bound the integer variables by what a solution no worse than
    the start can take (reduced costs and row duals of the LP relaxation, then bound
    propagation; ecoserve_opt/solve_bounds.py), for that solve only. Exact: the optimum
    meets every such bound. ``false`` solves without them (for comparison)."""

    @field_validator("time_limit", mode="before")
    @classmethod
    def _seconds(cls, v: object) -> object:
        from ecoserve_opt.schema.units import to_canonical

        if v is None:
            return v
        if isinstance(v, int | float) and not isinstance(v, bool):
            return float(v) / 3600.0
        return to_canonical(v, "latency") / 3600.0 if isinstance(v, str) else v

    @property
    def time_limit_s(self) -> float | None:
        """Time limit in seconds."""
        return None if self.time_limit is None else self.time_limit * 3600.0


Objective = Literal["carbon", "energy", "cost", "performance"]


class Scenario(_Strict):
    """A complete planning scenario."""

    name: str = "scenario"
    description: str = ""
    catalog: str = "default"
    """Catalog folder (relative to the scenario file) or ``default`` (the bundled one)."""
    embodied_source: Literal["act", "greensku", "boavizta"] = "act"
    """Which embodied-carbon data set to use (they disagree by 2x or more)."""
    host_embodied_method: Literal["source", "fab_only", "whole_part"] = "source"
    """Embodied carbon of DRAM, SSDs and host bases (chassis, mainboard, PSUs, NIC), where
    the sources disagree most: ``source`` takes them from ``embodied_source``; ``fab_only``
    from ACT (chip fabrication only); ``whole_part`` from whole-part LCAs (vendor product
    carbon footprints, LCA syntheses, BoaviztAPI), the catalog's ``lca`` rows. GPUs and CPUs
    always follow ``embodied_source``."""
    horizon: Duration = Field(default=8760.0)
    """Planning horizon, whole years (e.g. "3 years")."""
    start_year: Year = 2025
    """Calendar year of the first planning year (for hardware availability)."""
    time_slots: int = 24
    """Slots per representative day (a divisor of 24): hours are aggregated into them."""
    grid: Grid
    llms: dict[str, LLM] = Field(min_length=1)
    hardware: Hardware
    inventory: Inventory = Inventory()
    pillars: Pillars = Pillars()
    host_needs: HostNeeds = HostNeeds()
    recycle: Recycle = Recycle()
    prices: Prices = Prices()
    profiles: Profiles = Profiles()
    share_online_offline: bool = True
    """Online and offline classes may share replicas (off: separate pools)."""
    demand_growth_per_year: float = Field(default=0.0, ge=-0.5, le=2.0)
    """Relative demand growth per planning year."""
    objective: Objective = "carbon"
    latency_tolerance: float = Field(default=0.10, ge=0, le=10)
    """``performance`` objective: the design of lowest cost among those whose mean online
    per-token latency is within this fraction of the minimum (0.10: at most 10% above the
    lowest achievable). 0 is the strict lexicographic optimum, which buys every online
    token a batch-1 replica at the largest tensor-parallel degree (docs/formulation.md)."""
    solver: Solver = Solver()

    @field_validator("horizon")
    @classmethod
    def _whole_years(cls, v: float) -> float:
        years = v / 8760.0
        if years < 1 - 1e-9 or abs(years - round(years)) > 1e-6 or years > 20:
            raise ValueError("horizon must be a whole number of years between 1 and 20")
        return v

    @field_validator("time_slots")
    @classmethod
    def _slots(cls, v: int) -> int:
        if v <= 0 or 24 % v:
            raise ValueError("time_slots must divide 24 (1, 2, 3, 4, 6, 8, 12 or 24)")
        return v

    @property
    def years(self) -> int:
        """Number of planning years."""
        return round(self.horizon / 8760.0)
