"""What defines a training run (:class:`CGANConfig`) and what every part of the GAN shares: the
image side's layout, the device, the seeds derived from ``config.seed``, the image normalisation
and the checkpoint format.

A resumed run may change only :data:`RESUME_FREE_KEYS` (they do not change the training
trajectory); any other key must equal the checkpoint's (see :mod:`infantfer.cgan.train`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import platform
import re
from dataclasses import asdict, dataclass, fields

import torch

from ..schema import schema_field, section
from .diffaugment import parse_policy

# the package's one logger, named as when the GAN was one module (the SLURM test greps its name)
_log = logging.getLogger("infantfer.cgan")
FORMAT_VERSION = "infantfer.cgan/1"
# config keys that do not change the training trajectory: a resumed run may change them
# (precision: a resumed run keeps the precision its checkpoint records, whatever auto would say here)
RESUME_FREE_KEYS = frozenset({"steps", "checkpoint_every", "log_every", "device", "precision"})
PRECISIONS = ("fp32", "bf16")
NORM = {"scale": 127.5, "offset": -1.0}  # x_model = x_uint8 / scale + offset, in [-1, 1]


@dataclass
class CGANConfig:
    """Everything that defines a training run. ``size=0`` means the training images' side.

    The keys the workflow's ``cgan`` section sets take their defaults from the schema (read with
    PyYAML when a config is made without them); the others are the network's own."""

    size: int = schema_field("cgan", "size")
    z_dim: int = schema_field("cgan", "z_dim")
    g_width: int = schema_field("cgan", "g_width")
    d_width: int = schema_field("cgan", "d_width")
    embed_dim: int = 32
    upsample: str = "convT"            # "convT" (4x4 stride-2 transposed conv) or "nearest" (+ 3x3 conv)
    class_norm: bool = schema_field("cgan", "class_norm")  # class-conditional BatchNorm in G
    batch_size: int = schema_field("cgan", "batch_size")
    steps: int = schema_field("cgan", "steps")
    lr_g: float = schema_field("cgan", "lr_g")
    lr_d: float = schema_field("cgan", "lr_d")
    betas: tuple[float, float] = (0.0, 0.99)
    d_steps: int = 1
    ema_decay: float = schema_field("cgan", "ema_decay")
    r1_gamma: float = schema_field("cgan", "r1_gamma")  # R1 penalty on D's gradient at real images; 0: off
    # "color" hides greyscale faces' main variation: see .diffaugment
    diffaugment: str = schema_field("cgan", "diffaugment")
    balanced_sampling: bool = True
    checkpoint_every: int = schema_field("cgan", "checkpoint_every")
    log_every: int = 25
    deterministic: bool = True
    device: str = schema_field("cgan", "device")
    precision: str = schema_field("cgan", "precision")
    seed: int = schema_field("cgan", "seed")

    def __post_init__(self):
        self.betas = tuple(float(b) for b in self.betas)
        if len(self.betas) != 2 or not all(0.0 <= b < 1.0 for b in self.betas):
            raise ValueError(f"betas must be two numbers in [0, 1), got {self.betas}")
        if self.size != 0:
            layout(self.size)
        for name in ("z_dim", "g_width", "d_width", "embed_dim", "batch_size", "steps", "d_steps"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.batch_size < 2:
            raise ValueError(f"batch_size must be >= 2, got {self.batch_size}")
        if self.checkpoint_every < 0 or self.log_every < 0:
            raise ValueError("checkpoint_every and log_every must be >= 0 (0: only at the end)")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1), got {self.ema_decay}")
        if self.upsample not in ("nearest", "convT"):
            raise ValueError(f"upsample must be 'nearest' or 'convT', got {self.upsample!r}")
        if not (self.device in ("auto", "cpu", "cuda") or re.fullmatch(r"cuda:\d+", self.device)):
            raise ValueError(f"device must be auto, cpu, cuda or cuda:N, got {self.device!r}")
        if self.precision not in ("auto", *PRECISIONS):
            raise ValueError(f"precision must be auto, fp32 or bf16, got {self.precision!r}")
        if self.lr_g <= 0 or self.lr_d <= 0:
            raise ValueError("learning rates must be > 0")
        parse_policy(self.diffaugment)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["betas"] = list(self.betas)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> CGANConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown CGANConfig key(s) {unknown}; known: {sorted(known)}")
        return cls(**d)


def layout(size: int) -> tuple[int, int]:
    """(number of x2 upsamplings n, start side) for an image side: the largest n with
    ``size / 2**n`` a whole number >= 4."""
    size = int(size)
    if size < 16 or size % 8:
        raise ValueError(f"size must be a multiple of 8 and >= 16, got {size}")
    n = 0
    while size % (2 ** (n + 1)) == 0 and size // 2 ** (n + 1) >= 4:
        n += 1
    return n, size // 2 ** n


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if os.environ.get("CUDA_VISIBLE_DEVICES", "") not in ("", "-1"):
            # a GPU was granted (SLURM's --gpus sets this) but this torch cannot use it: a CPU
            # build of torch, or a driver it does not match, or SLURM's fake GPU of the tests
            _log.warning(
                "device auto: CUDA_VISIBLE_DEVICES=%s but torch %s finds no CUDA device; training on "
                "CPU (install a CUDA build of torch on GPU nodes: see docs/slurm.md)",
                os.environ["CUDA_VISIBLE_DEVICES"], torch.__version__)
        return torch.device("cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(
            f"device {device!r} was asked for but CUDA is not available to this torch "
            f"({torch.__version__}); use device 'auto' or 'cpu'")
    return torch.device(device)


# oneDNN's CPU ISA levels, lowest first (ONEDNN_MAX_CPU_ISA's values and their aliases); native
# bf16 from AVX512_CORE_BF16 up
_ONEDNN_ISAS = ("SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE", "AVX512_CORE_VNNI",
                "AVX512_CORE_BF16", "AVX512_CORE_FP16", "AVX10_1_512", "AVX512_CORE_AMX", "AVX10_1_512_AMX",
                "AVX512_CORE_AMX_FP16", "AVX10_1_512_AMX_FP16", "AVX10_2", "AVX10_2_512", "AVX10_2_AMX_2",
                "AVX10_2_512_AMX_2")
_BF16_ISA = "AVX512_CORE_BF16"
_BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")
_X86 = ("x86_64", "amd64", "i386", "i686")


def cpu_flags_of(cpuinfo: str) -> set[str]:
    """The x86 feature flags of /proc/cpuinfo's text (its ``flags`` line; not ``vmx flags``)."""
    for line in cpuinfo.splitlines():
        if line.startswith("flags") and ":" in line:
            return set(line.split(":", 1)[1].split())
    return set()


def cpu_flags() -> set[str]:
    """This x86 CPU's feature flags (Linux); empty where /proc/cpuinfo cannot be read."""
    try:
        with open("/proc/cpuinfo") as fh:
            return cpu_flags_of(fh.read())
    except OSError:
        return set()


def _onednn_bf16() -> bool:
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def cpu_bf16_native(environ=None, flags: set[str] | None = None, machine: str | None = None) -> bool:
    """Whether this CPU computes bf16 natively and oneDNN may use it.

    On x86, ``torch.ops.mkldnn._is_mkldnn_bf16_supported()`` alone is not enough: it is true on any
    AVX-512 CPU, where oneDNN emulates bf16 (as on a Skylake or Cascade Lake Xeon; emulated here
    with ``ONEDNN_MAX_CPU_ISA=AVX512_CORE``, its GAN steps took 1.4-6.5 times fp32's:
    benchmarks/README.md). So the CPU's flags must name bf16 too (``avx512_bf16`` or
    ``amx_bf16``), and a ``ONEDNN_MAX_CPU_ISA`` (else ``DNNL_MAX_CPU_ISA``) cap, which the flags
    do not see, must allow it; a value oneDNN does not know caps nothing, as in oneDNN. Where the
    flags cannot be read (no /proc/cpuinfo: Windows, macOS) the answer is no, so fp32, never the
    emulated kind. Elsewhere (ARM) torch's check decides, as it did before."""
    environ = os.environ if environ is None else environ
    if not _onednn_bf16():
        return False
    if (machine if machine is not None else platform.machine()).lower() not in _X86:
        return True
    if not set(_BF16_CPU_FLAGS) & (cpu_flags() if flags is None else flags):
        return False
    cap = (environ.get("ONEDNN_MAX_CPU_ISA") or environ.get("DNNL_MAX_CPU_ISA") or "ALL").strip().upper()
    if cap not in _ONEDNN_ISAS:  # ALL, or a value oneDNN ignores
        return True
    return _ONEDNN_ISAS.index(cap) >= _ONEDNN_ISAS.index(_BF16_ISA)


def resolve_precision(precision: str, device: torch.device) -> str:
    """fp32 or bf16: ``auto`` is bf16 on CUDA and on a CPU with native bf16, else fp32."""
    if precision != "auto":
        return precision
    if device.type == "cuda" or cpu_bf16_native():
        return "bf16"
    return "fp32"


def absent_keys() -> dict:
    """The keys added after checkpoints had been written, each with the value that does what those
    runs did (the schema's ``x-absent-means``). infantfer.gan_run reads the same values for run keys;
    schema.py itself stays as it was, since every job imports it and a change there reruns them all."""
    return {k: v["x-absent-means"] for k, v in section("cgan")["properties"].items() if "x-absent-means" in v}


def with_absent_keys(config: dict) -> dict:
    """A checkpoint's config with the keys it predates set to what it did: it resumes and draws as
    it was trained."""
    return {**absent_keys(), **config}


def without_absent_keys(config: dict) -> dict:
    """A config as a checkpoint records it: the keys at their absent values left out, so that a run
    that uses none of the later settings writes what it wrote before them, and older code still
    reads (and resumes) it."""
    absent = absent_keys()
    return {k: v for k, v in config.items() if not (k in absent and v == absent[k])}


def legacy_precision(device_type: str) -> str:
    """The precision of a checkpoint written before the key existed: bf16 on CUDA, fp32 on CPU."""
    return "bf16" if device_type == "cuda" else "fp32"


def _sub_seed(seed: int, name: str) -> int:
    """A seed of its own for each use of ``config.seed`` (weight init, data, noise, augmentation)."""
    return int.from_bytes(hashlib.sha256(f"{int(seed)}:{name}".encode()).digest()[:8], "little") >> 1
