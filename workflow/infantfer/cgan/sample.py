"""Checkpoints read back, and images drawn from them: :func:`generate`, sample grids, PNG files.

Images come from the checkpoint's EMA generator (see :mod:`infantfer.cgan.train`). The noise is
drawn on the CPU from a ``torch.Generator`` seeded with ``seed``, in one go, so the same
checkpoint, labels and seed give the same images whatever the batch size or the device's random
generator. Checkpoints load with ``weights_only=True``; one that cannot be read is named with its
fix (:class:`DamagedCheckpoint`; :class:`UnsafeCheckpoint` for one carrying Python objects).
:mod:`infantfer.cgan.train` uses the grid and the PNG writer at each checkpoint, and the listing
and loading to resume.
"""

from __future__ import annotations

import pickle
import re
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..io.atomic import atomic_path  # standard library only: the GAN stays torch + numpy
from ..io.npz import DamagedFile
from ..parts import checkpoints_in
from .config import NORM, CGANConfig, _log, resolve_device, with_absent_keys
from .networks import Generator


def list_checkpoints(checkpoint_dir: str | Path) -> list[Path]:
    """``step_*.pt`` files of a directory, sorted by step ([] if the directory does not exist)."""
    return [p for _, p in checkpoints_in(checkpoint_dir)]


def _run_listing(path: Path) -> str:
    """The checkpoints.tsv of the GAN run a checkpoint belongs to (results/<dataset>/cgan_checkpoints/
    <part>_<base>-<key>/step_N.pt -> results/<dataset>/cgan/<part>_<base>/checkpoints.tsv)."""
    folder = Path(path).parent
    if folder.parent.name == "cgan_checkpoints" and "-" in folder.name:
        return str(folder.parent.parent / "cgan" / folder.name.rpartition("-")[0] / "checkpoints.tsv")
    return "results/<dataset>/cgan/<part>_<base>/checkpoints.tsv"


class DamagedCheckpoint(DamagedFile):
    """A checkpoint that cannot be read back: cut short (a full disk, a copy) or changed after it
    was written. Training moves it aside and re-creates it (:mod:`infantfer.cgan.train`)."""

    def __init__(self, path: Path, cause: str):
        self.path, self.cause = Path(path), cause
        super().__init__(
            f"{path} cannot be read ({cause}): it was cut short or changed after it was written.\n  Fix: train "
            f"that GAN again: delete its run's {_run_listing(path)} and run snakemake again; rule cgan_train moves "
            f"{Path(path).name} aside (to {Path(path).name}.damaged, never deleted) and re-creates it from the last "
            "good checkpoint, bit for bit.")


class UnsafeCheckpoint(ValueError):
    """A file named like a checkpoint that holds Python objects (a pickle payload): loading it
    with ``weights_only=False`` would run them. Training moves it aside (``.unsafe``, never run)."""

    def __init__(self, path: Path, cause: str):
        self.path, self.cause = Path(path), cause
        super().__init__(
            f"{path} is not a checkpoint this workflow wrote: it holds code ({cause}), which was never run: it "
            "was refused unread. Do not load it with weights_only=False.\n  Fix: delete it (keep a copy elsewhere "
            f"if you want to find out where it came from) and its run's {_run_listing(path)}, then run snakemake "
            "again: rule cgan_train retrains the GAN from its last good checkpoint, or from the start.")


# what a checkpoint's pickle may name: the tensors and containers torch.save writes
_TORCH_GLOBALS = ("torch.", "collections.OrderedDict", "builtins.set", "builtins.tuple", "builtins.list",
                  "builtins.dict", "_codecs.encode", "numpy.")


def _pickled_code(path: Path) -> str | None:
    """What the pickle inside a torch zip file asks to run beyond tensors ("posix.system"), "a
    pickle instruction torch refuses" where its names cannot be read, or None when it names
    nothing else."""
    import pickletools

    try:
        with zipfile.ZipFile(path) as archive:
            name = next(n for n in archive.namelist() if n.endswith("/data.pkl") or n == "data.pkl")
            payload = archive.read(name)
        strings, named = [], []
        for op, arg, _ in pickletools.genops(payload):
            if op.name in ("GLOBAL", "INST"):
                named.append(str(arg).replace(" ", "."))
            elif op.name == "STACK_GLOBAL" and len(strings) >= 2:
                named.append(f"{strings[-2]}.{strings[-1]}")
            elif isinstance(arg, str):
                strings.append(arg)
    except (zipfile.BadZipFile, StopIteration, ValueError, OSError, EOFError):
        return None
    foreign = [n for n in named if not n.startswith(_TORCH_GLOBALS)]
    return ", ".join(dict.fromkeys(foreign)) if foreign else None


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu") -> dict:
    """A checkpoint as a dict, loaded with ``weights_only=True``. A damaged file raises
    :class:`DamagedCheckpoint`, one carrying a pickle payload :class:`UnsafeCheckpoint`: each
    names the file and the fix (torch's own message would advise ``weights_only=False``)."""
    path = Path(path)
    try:
        return torch.load(path, map_location=device, weights_only=True)
    except FileNotFoundError:
        raise
    except pickle.UnpicklingError as err:
        code = _pickled_code(path)
        found = re.search(r"(?:Unsupported global: GLOBAL|unsupported GLOBAL) (\S+)", str(err))
        if code or found:
            raise UnsafeCheckpoint(path, f"it asks for {code or found.group(1)}") from None
        raise DamagedCheckpoint(path, "not a checkpoint file: its bytes are no zip archive of tensors") from None
    except (RuntimeError, EOFError, OSError, ValueError, KeyError, zipfile.BadZipFile) as err:
        cause = str(err).split(". ")[0] or "the file is empty or ends early"
        raise DamagedCheckpoint(path, f"{type(err).__name__}: {cause}") from None


def _resize(x: torch.Tensor, size: int) -> tuple[torch.Tensor, str]:
    """(N, 1, S, S) float -> side ``size``: area when shrinking, bilinear when enlarging."""
    s = x.shape[-1]
    if s == size:
        return x, "none"
    if size < s:
        return F.interpolate(x, size=(size, size), mode="area"), "area"
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False), "bilinear"


def _generator_from_checkpoint(ck: dict, device: torch.device) -> Generator:
    cfg = CGANConfig.from_dict(with_absent_keys(ck["config"]))
    g = Generator(ck["n_classes"], cfg.size, cfg.z_dim, cfg.g_width, cfg.embed_dim, cfg.upsample, cfg.class_norm)
    g.load_state_dict(ck["G_ema"])
    return g.to(device).eval().requires_grad_(False)


@torch.no_grad()
def _sample(g: Generator, labels: np.ndarray, seed: int, device: torch.device, batch_size: int) -> torch.Tensor:
    """Float (N, 1, S, S) in model units, on the CPU. The noise is drawn on the CPU in one go, so
    the result does not depend on batch_size or the device's random generator."""
    labels = torch.as_tensor(np.asarray(labels), dtype=torch.long)
    z = torch.randn(len(labels), g.z_dim, generator=torch.Generator().manual_seed(int(seed)))
    out = [g(z[i:i + batch_size].to(device), labels[i:i + batch_size].to(device)).float().cpu()
           for i in range(0, len(labels), batch_size)]
    return torch.cat(out) if out else torch.zeros(0, 1, g.size, g.size)


def _to_uint8(x: torch.Tensor, norm: dict) -> np.ndarray:
    pixels = (x - norm["offset"]) * norm["scale"]
    return pixels.round().clamp(0, 255).to(torch.uint8)[:, 0].numpy()


def generate(checkpoint: str | Path, labels: np.ndarray, seed: int = 0, device: str = "auto",
             batch_size: int = 256, size: int | None = None) -> np.ndarray:
    """uint8 (len(labels), S, S) images of the given classes from the checkpoint's EMA generator.

    Same checkpoint, labels and seed: same images. ``size`` resizes (area down, bilinear up)
    from the model's side to another one, e.g. the faces' side."""
    dev = resolve_device(device)
    ck = load_checkpoint(checkpoint)
    labels = np.asarray(labels).reshape(-1)
    if labels.size and (not np.issubdtype(labels.dtype, np.integer)
                        or labels.min() < 0 or labels.max() >= ck["n_classes"]):
        raise ValueError(f"labels must be integers in [0, {ck['n_classes']})")
    missing = sorted(set(labels.tolist()) - set(ck.get("classes_present", range(ck["n_classes"]))))
    if missing:
        _log.warning("cgan: generating class(es) %s the generator never saw in training", missing)
    g = _generator_from_checkpoint(ck, dev)
    x = _sample(g, labels, seed, dev, max(1, int(batch_size)))
    if size is not None:
        if int(size) < 1:
            raise ValueError(f"size must be >= 1, got {size}")
        x, _ = _resize(x, int(size))
    return _to_uint8(x, ck.get("norm", NORM))


def _sample_grid(g: Generator, n_classes: int, z_dim: int, n_per_class: int, seed: int,
                 device: torch.device, norm: dict, pad: int = 2) -> np.ndarray:
    labels = np.repeat(np.arange(n_classes), n_per_class)
    imgs = _to_uint8(_sample(g, labels, seed, device, 256), norm)
    s = imgs.shape[-1]
    grid = np.zeros((pad + n_classes * (s + pad), pad + n_per_class * (s + pad)), dtype=np.uint8)
    for i, img in enumerate(imgs):
        r, c = divmod(i, n_per_class)
        grid[pad + r * (s + pad): pad + r * (s + pad) + s, pad + c * (s + pad): pad + c * (s + pad) + s] = img
    return grid


def save_sample_grid(checkpoint: str | Path, path: str | Path, n_per_class: int = 8, seed: int = 0) -> None:
    """A PNG with one row per class, ``n_per_class`` images each, from the EMA generator."""
    ck = load_checkpoint(checkpoint)
    g = _generator_from_checkpoint(ck, torch.device("cpu"))
    write_png(path, _sample_grid(g, ck["n_classes"], g.z_dim, n_per_class, seed, torch.device("cpu"),
                                 ck.get("norm", NORM)))


def write_png(path: str | Path, image: np.ndarray) -> None:
    """Write a 2-D uint8 array as an 8-bit greyscale PNG (stdlib only), atomically."""
    img = np.ascontiguousarray(image, dtype=np.uint8)
    if img.ndim != 2:
        raise ValueError(f"write_png needs a 2-D array, got shape {img.shape}")
    h, w = img.shape
    raw = np.hstack([np.zeros((h, 1), np.uint8), img]).tobytes()  # filter byte 0 per row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    with atomic_path(path) as tmp:
        tmp.write_bytes(png)
