r"""Calibrated roofline estimator for LLM serving on GPUs and on host CPUs (pure numpy/pandas).

Notation: per LLM, :math:`P` all parameters, :math:`A` active parameters per token (= P for a
dense model), :math:`L` layers, :math:`d` model width, :math:`W` weight bytes
(``weights_gb``), :math:`k` KV-cache bytes per token
(:math:`2 L\,n_{kv}\,d_{head}\,\text{bytes}`). Per GPU: peak dense FP16 tensor FLOP/s
:math:`F`, memory bandwidth :math:`B`, memory :math:`M`, interconnect bandwidth :math:`N`
(datasheet NVLink / PCIe figure, :data:`INTERCONNECT_GBS`), TDP and idle power. A replica
is ``tp`` GPUs in tensor parallelism serving ``batch`` = b requests of ``prompt`` = s tokens
that each generate ``output`` = o tokens (o = :data:`PROFILE_OUTPUT_TOKENS` = 128 in the
catalog, the output length of the Splitwise measurements).

GPU prefill (time to first token of the whole batch, compute-bound)::

    FLOPs_p  = 2 A s b + 2 L s^2 d b                     (weights + causal attention)
    core_p   = max(FLOPs_p / (tp F mfu_prefill), W_touched(s b) / (tp B mbu_decode))
    comm_p   = comm_slowdown * AR(s b)                    (tp > 1)
    ttft     = core_p + comm_p + L * prefill_layer_overhead_ms

GPU decode (one step of the batch, memory-bandwidth-bound), at the mean decode context
c = s + o/2::

    bytes_d  = W_touched(b) + b c k                        (weights + KV cache read)
    FLOPs_d  = 2 A b + 4 L c d b
    tpot     = bytes_d / (tp B mbu_decode) + FLOPs_d / (tp F mfu_decode)
               + comm_slowdown * AR(b) + L * log2(tp) * decode_tp_layer_ms
               + L * decode_layer_overhead_ms

``AR(t) = 2 L * t d * 2 bytes * 2 (tp-1)/tp / N`` is the ring all-reduce time of the two
activation all-reduces per layer (Megatron-style tensor parallelism); ``decode_tp_layer_ms``
is the per-layer latency of the small decode all-reduces, growing with log2(tp) (tree/ring
steps). The decode FLOP term is the part of the small-batch GEMMs that does not overlap with
the weight stream (fitted). For a mixture of experts with E experts and top-K routing,
``W_touched(t) = W_shared + W_experts * (1 - (1 - K/E)^t)`` (expected share of experts that
t tokens touch); for a dense model ``W_touched = W``.

Memory (per GPU; the same rule as :mod:`ecoserve_opt.data`)::

    W / tp + b (s + o) k / tp  <=  KV_MEMORY_FRACTION (0.9) * M

Power per GPU, averaged over the request (prefill then o decode steps), interpolated between
idle and TDP by the estimated utilisation::

    u_p = min(1, power_prefill * core_p / ttft),   u_d = min(1, power_decode * busy_d / tpot)
    u   = (ttft u_p + o tpot u_d) / (ttft + o tpot)
    P   = idle_w + (tdp_w - idle_w) u

with ``busy_d`` the bandwidth + FLOP terms of the decode step (the rest is overhead /
communication time, when the GPU is mostly waiting).

Calibration. The nine efficiency constants (:class:`Calibration`) are fitted offline by
``catalog_build.fit_roofline.fit_calibration`` (the catalog build tool at the repository
root, not part of this package) against the measured Splitwise table (splitwise-sim
``data/perf_model.csv``, MIT: llama2-70b TP 2/4/8 and bloom-176b TP 8 on A100-80GB and
H100-80GB, repeats averaged per key, ``load_splitwise``). The fit minimises the sum of
squared *relative* errors and is deterministic: decode and prefill are linear least squares
with non-negative coefficients (exact NNLS by enumerating column subsets), ``mfu_prefill`` is
found on a fixed grid (0.2..1.0, step 0.0025) because of the ``max``, the two alternate until
they agree, and the two power fractions are a final NNLS on the rows whose power was
recorded. Results are rounded to 4 significant digits and kept below as named constants;
a test re-runs the fit and checks it reproduces them. ``calibration_report`` gives the
per-row error table (``docs/profiles.md`` shows it). Measured power is A100-only (every
H100 reading is 0, i.e. not recorded), so H100 power is the model's extrapolation.

CPU roofline (one socket; EcoServe's Reuse pillar runs offline inference on idle host CPUs).
Peak FLOP/s = cores x GHz x FLOPs/cycle/core from :data:`CPU_ARCH` (FP32 FMA rate, doubled
where the core has AVX512_BF16, AMX rate where it has AMX; sources in the table); the
achieved share depends on the ISA class (``amx``, ``avx512_bf16``, ``fp32_simd``)::

    ttft = max(FLOPs_p / (peak CPU_MFU[class]), W_touched(s b) / (B_socket CPU_MBU))
    tpot = max(bytes_d / (B_socket CPU_MBU), FLOPs_d / (peak CPU_MFU[class]))
           + L CPU_DECODE_LAYER_MS
    W + b (s + o) k <= dram_budget_gb    (CPU_DRAM_FRACTION of the socket's DRAM)
    P_socket = CPU_LOAD_POWER_FRACTION * cpu_tdp_w   (all cores serving; marginal = P - idle)

The CPU constants are fitted by ``catalog_build/fit_cpu.py`` on the calibration
rows of ``models/profile_measurements/cpu.csv`` (published llama.cpp / llamafile /
ik_llama.cpp / xFasterTransformer figures, each with engine, precision, batch and lengths)
and checked on its validation rows; a test re-runs the fit. The decode layer term is the
fixed per-layer cost of a decode step (thread synchronisation across many cores), which
dominates for small models. Power: a socket serving at full load draws the top point of
GreenSKU's SPECpower-style load-power curve (``embodied/greensku/CPU.yaml``
``spec_derates``: 0.20 x TDP at 10 % load, 0.95 x TDP at 100 %); the host counts the 10 %
point as the socket's idle power, and the formulation charges the difference in proportion
to the CPU work, i.e. the marginal power at any utilisation is the chord of the curve, which
is linear to within 0.1 x TDP per 10 % step (slopes 0.7-0.9 x TDP per unit load). See
``docs/profiles.md``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pandas as pd

from ecoserve_opt.perf.power import gpu_power_w
from ecoserve_opt.perf.power_cap import POWER_CAPS
from ecoserve_opt.perf.tp_comm import INTERCONNECT_BY_FORM as INTERCONNECT_BY_FORM
from ecoserve_opt.perf.tp_comm import INTERCONNECT_GBS as INTERCONNECT_GBS
from ecoserve_opt.perf.tp_comm import allreduce_bandwidth_ms, read_spec
from ecoserve_opt.perf.tp_comm import allreduce_latency_ms as allreduce_latency_ms

GB = 1e9
#: Share of GPU memory usable for weights + KV cache (same rule as ecoserve_opt.data).
KV_MEMORY_FRACTION = 0.9
#: Output tokens per request assumed for catalog rows (Splitwise's default token_size).
PROFILE_OUTPUT_TOKENS = 128


# --- GPU interconnect (datasheet figures, bidirectional): ecoserve_opt.perf.tp_comm ---------
_read_spec = read_spec


# --- calibration -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Calibration:
    """Efficiency constants of the GPU roofline (see the module docstring)."""

    mfu_prefill: float  # achieved / peak FLOP/s in prefill
    mbu_decode: float  # achieved / peak memory bandwidth in decode (and prefill weight reads)
    mfu_decode: float  # FLOP efficiency of the non-overlapped decode GEMM term
    prefill_layer_overhead_ms: float  # fixed prefill overhead per layer
    decode_layer_overhead_ms: float  # fixed decode overhead per layer and step
    decode_tp_layer_ms: float  # decode all-reduce latency per layer per log2(tp)
    comm_slowdown: float  # all-reduce time / (volume / datasheet interconnect bandwidth)
    power_prefill: float  # utilisation per unit busy share, prefill
    power_decode: float  # utilisation per unit busy share, decode
    # latency of one ring all-reduce step (ms): 2 all-reduces per layer of 2 (tp - 1) steps
    # each, in prefill and decode (0 in the Splitwise fit, which uses decode_tp_layer_ms)
    allreduce_step_ms: float = 0.0
    # latency of one all-reduce independent of tp (ms), 2 per layer (ecoserve_opt.perf.tp_comm)
    allreduce_fixed_ms: float = 0.0


# Fit result of catalog_build.fit_roofline.fit_calibration() on the Splitwise table
# (A100-80GB + H100-80GB: 100 keys that fit memory for latency, 41 keys with recorded power);
# see docs/profiles.md.
MFU_PREFILL = 0.66
MBU_DECODE = 0.8441
MFU_DECODE = 0.2444
PREFILL_LAYER_OVERHEAD_MS = 0.2862
DECODE_LAYER_OVERHEAD_MS = 0.07558
DECODE_TP_LAYER_MS = 0.08401
COMM_SLOWDOWN = 8.903
POWER_PREFILL = 0.4282
POWER_DECODE = 1.029

CALIBRATION = Calibration(
    mfu_prefill=MFU_PREFILL,
    mbu_decode=MBU_DECODE,
    mfu_decode=MFU_DECODE,
    prefill_layer_overhead_ms=PREFILL_LAYER_OVERHEAD_MS,
    decode_layer_overhead_ms=DECODE_LAYER_OVERHEAD_MS,
    decode_tp_layer_ms=DECODE_TP_LAYER_MS,
    comm_slowdown=COMM_SLOWDOWN,
    power_prefill=POWER_PREFILL,
    power_decode=POWER_DECODE,
)

# --- CPU constants ---------------------------------------------------------------------------
# Fitted by catalog_build.fit_cpu.fit() on models/profile_measurements/cpu.csv
# (set == calibration); a test re-runs the fit and checks these values.
#: Achieved / peak FLOP/s of CPU GEMMs per ISA class (geometric mean of the calibration points).
CPU_MFU: dict[str, float] = {"amx": 0.2066, "avx512_bf16": 0.5108, "fp32_simd": 0.6712}
#: Achieved / peak DRAM bandwidth of CPU decode.
CPU_MBU = 0.9137
#: Fixed time per layer and decode step on a CPU socket (ms).
CPU_DECODE_LAYER_MS = 0.5433
#: Share of a socket's DRAM available to the LLM (weights + KV); the rest stays with the host.
CPU_DRAM_FRACTION = 0.5
#: GreenSKU CPU.yaml spec_derates: socket power / TDP at a load (%) (SPECpower-style curve).
CPU_LOAD_POWER_CURVE: dict[int, float] = {
    10: 0.2,
    20: 0.28,
    30: 0.36,
    40: 0.44,
    50: 0.53,
    60: 0.62,
    70: 0.7,
    80: 0.79,
    90: 0.88,
    100: 0.95,
}
#: Socket power at 100 % load / TDP (the curve's top point).
CPU_LOAD_POWER_FRACTION = CPU_LOAD_POWER_CURVE[100]
#: Load (%) of the curve point taken as the socket's idle power (``cpu_idle_w`` in hosts.csv).
CPU_IDLE_LOAD_PCT = 10


def cpu_load_power_fraction(load: float) -> float:
    """Socket power / TDP at ``load`` in [0.1, 1] (linear interpolation of the curve)."""
    xs = sorted(CPU_LOAD_POWER_CURVE)
    pct = min(max(100.0 * load, xs[0]), xs[-1])
    for a, b in zip(xs, xs[1:], strict=False):
        if pct <= b:
            fa, fb = CPU_LOAD_POWER_CURVE[a], CPU_LOAD_POWER_CURVE[b]
            return fa + (fb - fa) * (pct - a) / (b - a)
    return CPU_LOAD_POWER_CURVE[xs[-1]]


@dataclass(frozen=True)
class CpuArch:
    """Microarchitecture facts of a host CPU (per core)."""

    sku: str
    ghz: float  # base clock (sustained all-core under vector load is at least this on EPYC)
    flops_per_cycle: float  # peak 16-bit (or FP32 where no BF16 path) FLOPs/cycle/core
    isa: str
    source: str
    isa_class: str = "fp32_simd"  # key of CPU_MFU: amx | avx512_bf16 | fp32_simd


#: cpu -> microarchitecture facts, from ``cpu_arch.csv`` (sources per row).
CPU_ARCH: dict[str, CpuArch] = {
    r["cpu"]: CpuArch(
        r["sku"],
        float(r["ghz"]),
        float(r["flops_per_cycle"]),
        r["isa"],
        r["source"],
        r.get("isa_class") or "fp32_simd",
    )
    for r in _read_spec("cpu_arch.csv")
}


# --- specs -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class LLMSpec:
    """Architecture numbers of one LLM (a row of ``llms.csv``)."""

    llm: str
    params_b: float
    active_params_b: float
    n_layers: int
    d_model: int
    weights_gb: float
    kv_bytes_per_token: float
    n_experts: int = 1
    experts_per_token: int = 1

    @property
    def active_params(self) -> float:
        """Active parameters per token."""
        return self.active_params_b * 1e9

    @property
    def weights_bytes(self) -> float:
        """Bytes of all weights."""
        return self.weights_gb * GB

    def weight_bytes_touched(self, tokens: float) -> float:
        """Expected weight bytes read for ``tokens`` tokens in one forward pass (MoE-aware)."""
        if self.n_experts <= 1 or self.active_params_b >= self.params_b:
            return self.weights_bytes
        e, k = self.n_experts, self.experts_per_token
        bpp = self.weights_bytes / (self.params_b * 1e9)
        experts = (self.params_b - self.active_params_b) * e / (e - k) * 1e9
        shared = self.params_b * 1e9 - experts
        hit = 1.0 - (1.0 - k / e) ** max(tokens, 0.0)
        return bpp * (shared + experts * hit)

    @classmethod
    def from_row(cls, llm: str, row: pd.Series) -> LLMSpec:
        """Spec from a ``llms.csv`` row."""
        return cls(
            llm=llm,
            params_b=float(row["params_b"]),
            active_params_b=float(row["active_params_b"]),
            n_layers=int(row["n_layers"]),
            d_model=int(row["d_model"]),
            weights_gb=float(row["weights_gb"]),
            kv_bytes_per_token=float(row["kv_bytes_per_token"]),
            n_experts=int(row.get("n_experts", 1)),
            experts_per_token=int(row.get("experts_per_token", 1)),
        )


@dataclass(frozen=True)
class GPUSpec:
    """Numbers of one GPU (a row of ``gpus.csv``) plus its interconnect."""

    gpu: str
    memory_gb: float
    mem_bw_gbs: float
    fp16_tflops: float
    tdp_w: float
    idle_w: float
    link_gbs: float

    @classmethod
    def from_row(cls, gpu: str, row: pd.Series) -> GPUSpec:
        """Spec from a ``gpus.csv`` row (interconnect from :data:`INTERCONNECT_GBS`)."""
        if gpu in INTERCONNECT_GBS:
            link = INTERCONNECT_GBS[gpu][0]
        else:
            link = INTERCONNECT_BY_FORM.get(str(row.get("form_factor", "pcie")), 64.0)
        return cls(
            gpu=gpu,
            memory_gb=float(row["memory_gb"]),
            mem_bw_gbs=float(row["mem_bw_gbs"]),
            fp16_tflops=float(row["fp16_tflops"]),
            tdp_w=float(row["tdp_w"]),
            idle_w=float(row["idle_w"]),
            link_gbs=link,
        )


@dataclass(frozen=True)
class CPUSpec:
    """One host-CPU socket: ``hosts.csv`` numbers + :data:`CPU_ARCH` + DRAM budget."""

    cpu: str
    cores: int
    ghz: float
    flops_per_cycle: float
    mem_bw_gbs: float
    tdp_w: float
    idle_w: float
    dram_budget_gb: float
    isa_class: str = "fp32_simd"

    @property
    def peak_flops(self) -> float:
        """Peak FLOP/s of the socket."""
        return self.cores * self.ghz * 1e9 * self.flops_per_cycle


def rows_of(df: pd.DataFrame) -> Iterator[Any]:
    """Rows of ``df`` as attribute namespaces of native Python values."""
    for rec in df.to_dict("records"):
        yield SimpleNamespace(**{str(k): v for k, v in rec.items()})


def _indexed(df: pd.DataFrame, key: str) -> pd.DataFrame:
    return df.set_index(key) if key in df.columns else df


def llm_specs(llms: pd.DataFrame) -> dict[str, LLMSpec]:
    """``llms.csv`` (plain or indexed by ``llm``) -> specs."""
    df = _indexed(llms, "llm")
    return {str(k): LLMSpec.from_row(str(k), r) for k, r in df.iterrows()}


def gpu_specs(gpus: pd.DataFrame) -> dict[str, GPUSpec]:
    """``gpus.csv`` (plain or indexed by ``gpu``) -> specs."""
    df = _indexed(gpus, "gpu")
    return {str(k): GPUSpec.from_row(str(k), r) for k, r in df.iterrows()}


def cpu_specs(hosts: pd.DataFrame) -> dict[str, CPUSpec]:
    """``hosts.csv`` -> one spec per ``cpu`` with a :data:`CPU_ARCH` entry.

    The DRAM budget per socket is ``CPU_DRAM_FRACTION x dimm_gb x max_dimms / max_sockets``,
    the smallest over the hosts that use the CPU (the catalog rows assume the host's full
    DIMM complement; a host reduced by the Reduce pillar may hold less).
    """
    df = hosts.reset_index() if "host" not in hosts.columns else hosts
    out: dict[str, CPUSpec] = {}
    for cpu, grp in df.groupby("cpu", sort=True):
        arch = CPU_ARCH.get(str(cpu))
        if arch is None:
            continue
        r = grp.iloc[0]
        per_socket = grp["dimm_gb"] * grp["max_dimms"] / grp["max_sockets"]
        out[str(cpu)] = CPUSpec(
            cpu=str(cpu),
            cores=int(r["cores_per_socket"]),
            ghz=arch.ghz,
            flops_per_cycle=arch.flops_per_cycle,
            mem_bw_gbs=float(grp["mem_bw_gbs_per_socket"].min()),
            tdp_w=float(r["cpu_tdp_w"]),
            idle_w=float(r["cpu_idle_w"]),
            dram_budget_gb=float(CPU_DRAM_FRACTION * per_socket.min()),
            isa_class=arch.isa_class,
        )
    return out


# --- estimator -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Estimate:
    """Latency and power of one operating point."""

    ttft_ms: float  # prefill of the whole batch
    tpot_ms: float  # one decode step of the batch
    power_w: float  # per GPU (GPU estimate) or per socket (CPU estimate), request average
    mem_gb: float  # per GPU / per socket: weights + KV cache of the batch
    fits: bool
    batch: int
    output_tokens: float

    @property
    def tokens_per_s(self) -> float:
        """Output tokens/s of the replica (prefill + decode of the batch, back to back)."""
        t_s = (self.ttft_ms + self.output_tokens * self.tpot_ms) / 1e3
        return self.batch * self.output_tokens / t_s


def gpu_mem_gb(llm: LLMSpec, tp: int, batch: int, context_tokens: float) -> float:
    """Per-GPU memory of weights + KV cache for ``batch`` sequences of ``context_tokens``."""
    return (llm.weights_bytes + batch * context_tokens * llm.kv_bytes_per_token) / tp / GB


def _allreduce_ms(llm: LLMSpec, gpu: GPUSpec, tp: int, tokens: float) -> float:
    """Ring all-reduce time of 2 activation all-reduces per layer at datasheet bandwidth."""
    return allreduce_bandwidth_ms(llm.n_layers, llm.d_model, tp, tokens, gpu.link_gbs)


def _div(x: float, eff: float) -> float:
    return 0.0 if math.isinf(eff) else x / eff


def _prefill_units(
    llm: LLMSpec, gpu: GPUSpec, tp: int, batch: int, prompt: int
) -> tuple[float, float, float]:
    """(FLOP time at peak, weight-read time at peak bandwidth, all-reduce time) in ms."""
    tokens = batch * prompt
    flops = 2.0 * llm.active_params * tokens + 2.0 * llm.n_layers * prompt**2 * llm.d_model * batch
    t_flop = flops / (tp * gpu.fp16_tflops * 1e12) * 1e3
    t_read = llm.weight_bytes_touched(tokens) / (tp * gpu.mem_bw_gbs * GB) * 1e3
    return t_flop, t_read, _allreduce_ms(llm, gpu, tp, tokens)


def _decode_units(
    llm: LLMSpec, gpu: GPUSpec, tp: int, batch: int, context: float
) -> tuple[float, float, float]:
    """(byte time at peak bandwidth, FLOP time at peak, all-reduce time) in ms."""
    nbytes = llm.weight_bytes_touched(batch) + batch * context * llm.kv_bytes_per_token
    flops = 2.0 * llm.active_params * batch + 4.0 * llm.n_layers * context * llm.d_model * batch
    t_mem = nbytes / (tp * gpu.mem_bw_gbs * GB) * 1e3
    t_flop = flops / (tp * gpu.fp16_tflops * 1e12) * 1e3
    return t_mem, t_flop, _allreduce_ms(llm, gpu, tp, batch)


def gpu_prefill_ms(
    llm: LLMSpec,
    gpu: GPUSpec,
    tp: int,
    batch: int,
    prompt: int,
    cal: Calibration = CALIBRATION,
) -> tuple[float, float]:
    """(ttft, busy part of it) in ms for a batch of ``batch`` prompts of ``prompt`` tokens."""
    t_flop, t_read, t_ar = _prefill_units(llm, gpu, tp, batch, prompt)
    core = max(_div(t_flop, cal.mfu_prefill), _div(t_read, cal.mbu_decode))
    total = core + cal.comm_slowdown * t_ar + llm.n_layers * cal.prefill_layer_overhead_ms
    return total + allreduce_latency_ms(llm.n_layers, tp, cal), core


def gpu_decode_ms(
    llm: LLMSpec,
    gpu: GPUSpec,
    tp: int,
    batch: int,
    context: float,
    cal: Calibration = CALIBRATION,
) -> tuple[float, float]:
    """(tpot, busy part of it) in ms for one decode step at mean context ``context``."""
    t_mem, t_flop, t_ar = _decode_units(llm, gpu, tp, batch, context)
    busy = _div(t_mem, cal.mbu_decode) + _div(t_flop, cal.mfu_decode)
    total = (
        busy
        + cal.comm_slowdown * t_ar
        + llm.n_layers * math.log2(tp) * cal.decode_tp_layer_ms
        + llm.n_layers * cal.decode_layer_overhead_ms
        + allreduce_latency_ms(llm.n_layers, tp, cal)
    )
    return total, busy


def estimate_gpu(
    llm: LLMSpec,
    gpu: GPUSpec,
    tp: int,
    batch: int,
    prompt: int,
    output_tokens: float = PROFILE_OUTPUT_TOKENS,
    cal: Calibration = CALIBRATION,
) -> Estimate:
    """Roofline estimate of one (llm, gpu, tp, batch, prompt) operating point."""
    pre = gpu_prefill_ms(llm, gpu, tp, batch, prompt, cal)
    dec = gpu_decode_ms(llm, gpu, tp, batch, prompt + output_tokens / 2.0, cal)
    mem = gpu_mem_gb(llm, tp, batch, prompt + output_tokens)
    cap = POWER_CAPS.get(gpu.gpu)  # a power-capped variant (perf/power_cap.py)
    if cap is None:
        ttft, tpot = pre[0], dec[0]
        power = gpu_power_w(gpu.idle_w, gpu.tdp_w, pre, dec, output_tokens, cal)
    else:
        ttft, tpot, power = cap.apply(gpu.idle_w, pre, dec, output_tokens, cal)
    return Estimate(
        ttft_ms=ttft,
        tpot_ms=tpot,
        power_w=power,
        mem_gb=mem,
        fits=mem <= KV_MEMORY_FRACTION * gpu.memory_gb,
        batch=batch,
        output_tokens=output_tokens,
    )


def cpu_mem_gb(llm: LLMSpec, batch: int, context_tokens: float) -> float:
    """Socket memory of weights + KV cache."""
    return (llm.weights_bytes + batch * context_tokens * llm.kv_bytes_per_token) / GB


def cpu_decode_bound_tokens_per_s(
    llm: LLMSpec, cpu: CPUSpec, batch: int, context: float, efficiency: float = 1.0
) -> float:
    """Bandwidth bound on decode tokens/s per socket: batch x B x eff / bytes per step."""
    nbytes = llm.weight_bytes_touched(batch) + batch * context * llm.kv_bytes_per_token
    return batch * cpu.mem_bw_gbs * GB * efficiency / nbytes


def cpu_prefill_ms(llm: LLMSpec, cpu: CPUSpec, batch: int, prompt: int) -> float:
    """Prefill time (ms) of ``batch`` prompts of ``prompt`` tokens on one socket."""
    tokens = batch * prompt
    bw = cpu.mem_bw_gbs * GB * CPU_MBU
    peak = cpu.peak_flops * CPU_MFU[cpu.isa_class]
    f_p = 2.0 * llm.active_params * tokens + 2.0 * llm.n_layers * prompt**2 * llm.d_model * batch
    return max(f_p / peak, llm.weight_bytes_touched(tokens) / bw) * 1e3


def cpu_decode_ms(llm: LLMSpec, cpu: CPUSpec, batch: int, context: float) -> float:
    """One decode step (ms) of ``batch`` sequences at mean context ``context`` on one socket."""
    bw = cpu.mem_bw_gbs * GB * CPU_MBU
    peak = cpu.peak_flops * CPU_MFU[cpu.isa_class]
    nbytes = llm.weight_bytes_touched(batch) + batch * context * llm.kv_bytes_per_token
    f_d = 2.0 * llm.active_params * batch + 4.0 * llm.n_layers * context * llm.d_model * batch
    return max(nbytes / bw, f_d / peak) * 1e3 + llm.n_layers * CPU_DECODE_LAYER_MS


def cpu_serving_power_w(cpu: CPUSpec) -> float:
    """Socket power with every core serving: the load-power curve's 100 % point.

    The formulation charges ``power_w - cpu_idle_w`` per socket-equivalent of busy cores,
    in proportion to the CPU work (the idle power is counted with the host), i.e. the
    curve's chord from its 10 % point (``cpu_idle_w`` = 0.20 x TDP) to 100 %.
    """
    return max(cpu.idle_w, CPU_LOAD_POWER_FRACTION * cpu.tdp_w)


def estimate_cpu(
    llm: LLMSpec,
    cpu: CPUSpec,
    batch: int,
    prompt: int,
    output_tokens: int = PROFILE_OUTPUT_TOKENS,
) -> Estimate:
    """CPU-socket roofline estimate (see the module docstring)."""
    ttft = cpu_prefill_ms(llm, cpu, batch, prompt)
    tpot = cpu_decode_ms(llm, cpu, batch, prompt + output_tokens / 2.0)
    mem = cpu_mem_gb(llm, batch, prompt + output_tokens)
    return Estimate(
        ttft_ms=ttft,
        tpot_ms=tpot,
        power_w=cpu_serving_power_w(cpu),
        mem_gb=mem,
        fits=mem <= cpu.dram_budget_gb,
        batch=batch,
        output_tokens=output_tokens,
    )
