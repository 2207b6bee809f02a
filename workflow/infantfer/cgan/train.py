"""Training: the trainer's step, checkpoints and resuming (:func:`train_cgan`).

Hinge loss, an EMA generator, class-balanced sampling of the real images, a budget in generator
steps, bf16 on CUDA; the networks are in :mod:`infantfer.cgan.networks`, DiffAugment in
:mod:`infantfer.cgan.diffaugment`. The design of each piece, and where it comes from:
``docs/design/cgan.md``.

Reproducibility and resuming
    Weights are initialised under a forked, seeded global RNG (identical on CPU and CUDA);
    minibatches, noise and augmentations come from three ``torch.Generator`` objects on the
    training device, seeded from ``config.seed``. A checkpoint (``step_{step:06d}.pt``, written
    atomically) holds G, D and EMA weights, both Adam states, all RNG states, the step, the
    config, ``n_classes``, the image normalisation and a hash of the training data, so a killed
    run resumed from its last checkpoint ends with bit-for-bit the same weights as an
    uninterrupted one on CPU (same thread count). Checkpoints load with ``weights_only=True``. A
    checkpoint that cannot be read (cut short) is moved aside to ``step_{step:06d}.pt.damaged``,
    never deleted, and the run resumes from the one before it and re-creates the rest.
    Training runs with ``torch.use_deterministic_algorithms(True)`` (``deterministic``; on CUDA in
    warn-only mode) and restores the previous setting, thread count and global RNG afterwards.
"""

from __future__ import annotations

import copy
import hashlib
import io
import logging
import math
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from ..io.atomic import atomic_path  # standard library only: the GAN stays torch + numpy
from ..parts import checkpoint_name, checkpoints_in
from .diffaugment import diff_augment, parse_policy
from .config import (FORMAT_VERSION, NORM, RESUME_FREE_KEYS, CGANConfig, _log, _sub_seed, legacy_precision,
                     resolve_device, resolve_precision, with_absent_keys, without_absent_keys)
from .networks import build_models, count_parameters
from .sample import DamagedCheckpoint, UnsafeCheckpoint, _resize, _sample_grid, load_checkpoint, write_png


class _Trainer:
    """Models, optimisers, generators and one training step; used by train_cgan and the benchmark.

    x: float (N, 1, S, S) in [-1, 1] on ``device``; y: long (N,) on ``device``.
    """

    RNG_NAMES = ("data", "noise", "aug")

    def __init__(self, x: torch.Tensor, y: torch.Tensor, n_classes: int, cfg: CGANConfig,
                 device: torch.device, amp_dtype: torch.dtype | None = None, channels_last: bool = False):
        self.cfg, self.device, self.n_classes = cfg, device, n_classes
        self.amp_dtype = amp_dtype
        order = torch.argsort(y, stable=True)
        self.x, self.y = x[order], y[order]
        if channels_last:
            self.x = self.x.contiguous(memory_format=torch.channels_last)
        counts = torch.bincount(self.y, minlength=n_classes)
        offsets = torch.cumsum(counts, 0) - counts
        self.present = torch.nonzero(counts).flatten()
        self.class_counts, self.class_offsets = counts[self.present], offsets[self.present]
        g, d = build_models(cfg, n_classes)
        mf = torch.channels_last if channels_last else torch.contiguous_format
        self.G = g.to(device=device, memory_format=mf)
        self.D = d.to(device=device, memory_format=mf)
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=cfg.lr_g, betas=cfg.betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=cfg.lr_d, betas=cfg.betas)
        self.gens = {name: torch.Generator(device=device) for name in self.RNG_NAMES}
        for name, gen in self.gens.items():
            gen.manual_seed(_sub_seed(cfg.seed, name))
        self.policy = parse_policy(cfg.diffaugment)
        self.step = 0
        self.g_call: Callable = self.G   # the benchmark may swap in compiled versions
        self.d_call: Callable = self.D

    def _autocast(self):
        return torch.autocast(self.device.type, dtype=self.amp_dtype or torch.float32,
                              enabled=self.amp_dtype is not None)

    def _indices(self, b: int) -> torch.Tensor:
        gen = self.gens["data"]
        if not self.cfg.balanced_sampling:
            return torch.randint(0, len(self.y), (b,), generator=gen, device=self.device)
        k = torch.randint(0, len(self.present), (b,), generator=gen, device=self.device)
        u = torch.rand(b, generator=gen, device=self.device, dtype=torch.float64)
        count = self.class_counts[k]
        within = torch.minimum((u * count).long(), count - 1)
        return self.class_offsets[k] + within

    def _noise(self, b: int) -> torch.Tensor:
        return torch.randn(b, self.cfg.z_dim, generator=self.gens["noise"], device=self.device)

    def train_step(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``d_steps`` D steps and one G step (+ EMA). Returns the last (D loss, G loss), detached."""
        b = self.cfg.batch_size
        self.D.requires_grad_(True)
        for _ in range(self.cfg.d_steps):
            idx = self._indices(b)
            x_real, y_real = self.x[idx], self.y[idx]
            with torch.no_grad(), self._autocast():
                x_fake = self.g_call(self._noise(b), y_real)
            x = diff_augment(torch.cat([x_real, x_fake.to(x_real.dtype)]), self.policy, self.gens["aug"])
            with self._autocast():
                out = self.d_call(x, torch.cat([y_real, y_real])).float()
            loss_d = F.relu(1.0 - out[:b]).mean() + F.relu(1.0 + out[b:]).mean()
            if self.cfg.r1_gamma > 0:
                loss_d = loss_d + self.cfg.r1_gamma / 2 * self._r1(x[:b], y_real)
            self.opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            self.opt_d.step()
        self.D.requires_grad_(False)
        y_fake = self.y[self._indices(b)]
        with self._autocast():
            x_fake = self.g_call(self._noise(b), y_fake)
        x_fake = diff_augment(x_fake.float(), self.policy, self.gens["aug"])
        with self._autocast():
            loss_g = -self.d_call(x_fake, y_fake).float().mean()
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        self._update_ema()
        self.step += 1
        return loss_d.detach(), loss_g.detach()

    def _r1(self, x_real: torch.Tensor, y_real: torch.Tensor) -> torch.Tensor:
        """Mean squared norm of D's gradient at the (augmented) real images: a D that stays flat
        around the real data cannot push G towards high-frequency artefacts it alone can see."""
        x_real = x_real.detach().requires_grad_(True)
        with self._autocast():
            out = self.d_call(x_real, y_real).float()
        (grad,) = torch.autograd.grad(out.sum(), x_real, create_graph=True)
        return grad.float().pow(2).flatten(1).sum(1).mean()

    @torch.no_grad()
    def _update_ema(self) -> None:
        t = self.step
        decay = min(self.cfg.ema_decay, (1.0 + t) / (10.0 + t))
        for pe, p in zip(self.G_ema.parameters(), self.G.parameters()):
            pe.lerp_(p, 1.0 - decay)
        for be, bb in zip(self.G_ema.buffers(), self.G.buffers()):
            be.copy_(bb)

    def state(self) -> dict:
        rng = {name: gen.get_state() for name, gen in self.gens.items()}
        rng["torch_cpu"] = torch.get_rng_state()
        rng["torch_cuda"] = torch.cuda.get_rng_state_all() if self.device.type == "cuda" else []
        return {
            "step": self.step,
            "G": self.G.state_dict(), "D": self.D.state_dict(), "G_ema": self.G_ema.state_dict(),
            "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(), "rng": rng,
        }

    def load(self, ck: dict) -> None:
        self.G.load_state_dict(ck["G"])
        self.D.load_state_dict(ck["D"])
        self.G_ema.load_state_dict(ck["G_ema"])
        self.opt_g.load_state_dict(ck["opt_g"])
        self.opt_d.load_state_dict(ck["opt_d"])
        for name, gen in self.gens.items():
            gen.set_state(ck["rng"][name].cpu())
        torch.set_rng_state(ck["rng"]["torch_cpu"].cpu())
        if self.device.type == "cuda" and ck["rng"]["torch_cuda"]:
            torch.cuda.set_rng_state_all([s.cpu() for s in ck["rng"]["torch_cuda"]])
        self.step = int(ck["step"])


class TrainingStopped(RuntimeError):
    """Training stopped before ``config.steps`` because ``stop`` asked (see :func:`train_cgan`); the
    checkpoints written so far are intact and a rerun resumes from the last one."""

    def __init__(self, reason: str, step: int, steps: int, last_checkpoint: Path | None):
        self.reason, self.step, self.steps, self.last_checkpoint = reason, step, steps, last_checkpoint
        resumes = (f"a rerun resumes from {last_checkpoint}" if last_checkpoint
                   else "no checkpoint yet: a rerun starts afresh")
        super().__init__(f"training stopped at step {step}/{steps}: {reason}; {resumes}")


class CheckpointMismatchError(ValueError):
    """The checkpoint directory holds a run made with other settings or other data."""


def _prepare_images(images: np.ndarray, size: int) -> tuple[torch.Tensor, dict]:
    arr = np.asarray(images)
    if arr.ndim != 3 or arr.shape[1] != arr.shape[2]:
        raise ValueError(f"images must be (N, S, S) greyscale, got shape {arr.shape}")
    if arr.dtype != np.uint8:
        if arr.size and (np.nanmin(arr) < 0 or np.nanmax(arr) > 255):
            raise ValueError("images must be uint8 or numbers in [0, 255]")
    x = torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32)).unsqueeze(1)
    source = arr.shape[1]
    x, how = _resize(x, size)
    x = x / NORM["scale"] + NORM["offset"]
    return x, {**NORM, "size": size, "source_size": int(source), "resize": how}


def _data_hash(images: np.ndarray, labels: np.ndarray, n_classes: int) -> str:
    h = hashlib.sha256()
    arr = np.ascontiguousarray(images)
    h.update(f"{arr.dtype.str}{arr.shape}{n_classes}".encode())
    h.update(arr.tobytes())
    h.update(np.ascontiguousarray(labels, dtype=np.int64).tobytes())
    return h.hexdigest()


def _check_resume(ck: dict, path: Path, cfg: CGANConfig, n_classes: int, data_hash: str,
                  device: torch.device) -> None:
    problems = []
    if ck.get("format") != FORMAT_VERSION:
        problems.append(f"format {ck.get('format')!r}, expected {FORMAT_VERSION!r}")
    old, new = with_absent_keys(ck.get("config", {})), cfg.to_dict()
    for key in sorted((set(old) | set(new)) - RESUME_FREE_KEYS):
        if old.get(key, "<absent>") != new.get(key, "<absent>"):
            problems.append(f"{key}: {old.get(key, '<absent>')!r} in the checkpoint, {new.get(key, '<absent>')!r} now")
    if ck.get("n_classes") != n_classes:
        problems.append(f"n_classes: {ck.get('n_classes')} in the checkpoint, {n_classes} now")
    if ck.get("data_sha256") != data_hash:
        problems.append("the training images or labels differ from those the checkpoint was trained on")
    if ck.get("device_type") != device.type:
        problems.append(f"device: trained on {ck.get('device_type')}, now {device.type} "
                        "(random generator states cannot move between device types)")
    if problems:
        raise CheckpointMismatchError(
            f"checkpoint directory {path.parent} holds a CGAN run (latest {path.name}) made with "
            "other settings:\n  " + "\n  ".join(problems)
            + "\nFix: use another checkpoint_dir, delete this one to start afresh, or restore the settings.")


def _last_good_checkpoint(ckdir: Path, log: logging.Logger) -> tuple[dict, Path] | None:
    """(checkpoint, path) to resume from: the last one before the first that cannot be read, which
    is moved aside (renamed ``.damaged``, never deleted) so that training re-creates it and those
    after it. None: start afresh."""
    good = None
    for _, path in checkpoints_in(ckdir):
        try:
            ck = load_checkpoint(path)
        except (DamagedCheckpoint, UnsafeCheckpoint) as err:
            unsafe = isinstance(err, UnsafeCheckpoint)
            suffix = ".unsafe" if unsafe else ".damaged"
            aside = path.with_name(path.name + suffix)
            n = 0
            while aside.exists():
                n += 1
                aside = path.with_name(f"{path.name}{suffix}-{n}")
            path.rename(aside)
            what = (f"holds code ({err.cause}), which was never run" if unsafe
                    else f"cannot be read ({err.cause})")
            log.warning("cgan: checkpoint %s %s: moved aside to %s (kept, never deleted); training resumes from %s "
                        "and re-creates it", path, what, aside.name, good[1].name if good else "the start")
            return good
        good = (ck, path)
    return good


def _save_atomic(obj, path: Path) -> None:
    """A checkpoint serialised in memory first, then written whole: a full disk raises an OSError
    naming the file (not torch's zip writer's "unexpected pos"), and the bytes do not depend on the
    temporary file's name (torch names the archive's folder after the file)."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getbuffer())


def _fmt_eta(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    seconds = int(round(seconds))
    return f"{seconds // 3600:d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def train_cgan(images: np.ndarray, labels: np.ndarray, n_classes: int, config: CGANConfig,
               checkpoint_dir: str | Path, logger: logging.Logger | None = None,
               threads: int | None = None, stop: Callable[[], str | None] | None = None) -> list[Path]:
    """Train (or resume) a class-conditional GAN; return the directory's checkpoints up to
    ``config.steps``, by step (the last one is the final state).

    images: uint8 (N, S, S), resized to ``config.size`` (area down, bilinear up) when S differs;
    ``config.size == 0`` means S. labels: ints in [0, n_classes). Classes without images are
    never drawn (warning). Checkpoints ``step_{step:06d}.pt`` (+ a sample grid ``.png``) every
    ``checkpoint_every`` steps and at ``config.steps``; an existing run in ``checkpoint_dir``
    continues from its latest checkpoint (CheckpointMismatchError if made with other settings).
    stop: called after every step; a reason (a string) ends training there with
    :class:`TrainingStopped`, keeping the checkpoints (a job passes ``interrupts.JobWatch``).
    """
    log = logger or _log
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.ndim != 3:
        raise ValueError(f"images must be (N, S, S), got shape {images.shape}")
    if labels.shape != (len(images),):
        raise ValueError(f"labels must be ({len(images)},), got shape {labels.shape}")
    if len(images) == 0:
        raise ValueError("no training images")
    if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(f"labels must be integers in [0, {n_classes})")
    cfg = config
    if cfg.size == 0:
        cfg = CGANConfig.from_dict({**cfg.to_dict(), "size": int(images.shape[1])})
    device = resolve_device(cfg.device)
    ckdir = Path(checkpoint_dir)
    ckdir.mkdir(parents=True, exist_ok=True)
    for stale in [*ckdir.glob(".step_*.pt.tmp-*"), *ckdir.glob(".step_*.tmp")]:  # a kill mid-write leaves them
        stale.unlink(missing_ok=True)
    absent = sorted(set(range(n_classes)) - set(np.unique(labels).tolist()))
    if absent:
        log.warning("cgan: class(es) %s have no training images: the generator never learns them", absent)
    data_hash = _data_hash(images, labels, n_classes)

    old_threads = torch.get_num_threads()
    old_det = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled())
    old_bench = torch.backends.cudnn.benchmark
    cuda_devices = [device.index if device.index is not None else torch.cuda.current_device()] \
        if device.type == "cuda" else []
    try:
        if threads:
            torch.set_num_threads(int(threads))
        if cfg.deterministic:
            torch.use_deterministic_algorithms(True, warn_only=device.type != "cpu")
            torch.backends.cudnn.benchmark = False
        with torch.random.fork_rng(devices=cuda_devices):
            _train(images, labels, n_classes, cfg, device, ckdir, data_hash, log, stop)
    finally:
        torch.set_num_threads(old_threads)
        torch.use_deterministic_algorithms(old_det[0], warn_only=old_det[1])
        torch.backends.cudnn.benchmark = old_bench
    kept = [(step, p) for step, p in checkpoints_in(ckdir) if step <= cfg.steps]
    if not kept or kept[-1][0] != cfg.steps:
        log.warning("cgan: %s went past step %d without a checkpoint there; returning the earlier ones",
                    ckdir, cfg.steps)
    return [p for _, p in kept]


def _train(images, labels, n_classes, cfg, device, ckdir, data_hash, log, stop=None) -> None:
    x, norm = _prepare_images(images, cfg.size)
    cuda = device.type == "cuda"
    # training draws nothing from the global RNG (forked by the caller); seed it anyway, so the
    # state a checkpoint stores is a function of the config (and a resume restores it)
    torch.default_generator.manual_seed(_sub_seed(cfg.seed, "torch"))
    if cuda:
        torch.cuda.manual_seed(_sub_seed(cfg.seed, "torch"))
    resume = _last_good_checkpoint(ckdir, log)
    if resume:  # it keeps the precision it began with, wherever it resumes
        _check_resume(resume[0], resume[1], cfg, n_classes, data_hash, device)
    precision = resume[0].get("precision", legacy_precision(device.type)) if resume else \
        resolve_precision(cfg.precision, device)
    trainer = _Trainer(x.to(device), torch.as_tensor(labels, dtype=torch.long, device=device), n_classes,
                       cfg, device, amp_dtype=torch.bfloat16 if precision == "bf16" else None, channels_last=True)
    if resume:
        ck, path = resume
        trainer.load(ck)
        log.info("cgan: resuming from %s (step %d/%d, %s)", path, trainer.step, cfg.steps, precision)
    else:
        log.info("cgan: %d images, %d classes, %dx%d, G %d / D %d parameters, %d steps at batch %d on %s, %s",
                 len(images), n_classes, cfg.size, cfg.size, count_parameters(trainer.G),
                 count_parameters(trainer.D), cfg.steps, cfg.batch_size, _device_name(device), precision)
    if trainer.step >= cfg.steps:
        log.info("cgan: %s is already at step %d >= %d: nothing to train", ckdir, trainer.step, cfg.steps)
        return
    meta = {"format": FORMAT_VERSION, "config": without_absent_keys(cfg.to_dict()), "n_classes": int(n_classes),
            "classes_present": sorted(set(labels.tolist())), "norm": norm, "data_sha256": data_hash,
            "device_type": device.type, "precision": precision, "torch_version": str(torch.__version__)}
    start_step, t0 = trainer.step, time.perf_counter()
    sum_d = sum_g = None
    n_avg = 0
    while trainer.step < cfg.steps:
        loss_d, loss_g = trainer.train_step()
        sum_d = loss_d if sum_d is None else sum_d + loss_d
        sum_g = loss_g if sum_g is None else sum_g + loss_g
        n_avg += 1
        step = trainer.step
        at_checkpoint = step == cfg.steps or (cfg.checkpoint_every and step % cfg.checkpoint_every == 0)
        if at_checkpoint or (cfg.log_every and step % cfg.log_every == 0):
            elapsed = time.perf_counter() - t0
            rate = (step - start_step) / elapsed if elapsed > 0 else float("nan")
            log.info("cgan step %d/%d  D loss %.4f  G loss %.4f  %.1f img/s  ETA %s",
                     step, cfg.steps, sum_d.item() / n_avg, sum_g.item() / n_avg,
                     rate * cfg.batch_size, _fmt_eta((cfg.steps - step) / rate if rate > 0 else float("nan")))
            sum_d = sum_g = None
            n_avg = 0
        if at_checkpoint:
            path = ckdir / checkpoint_name(step)
            _save_atomic({**meta, **trainer.state(), "losses": {"d": float(loss_d), "g": float(loss_g)}}, path)
            grid = _sample_grid(trainer.G_ema, n_classes, cfg.z_dim, 8, cfg.seed, device, norm)
            write_png(path.with_suffix(".png"), grid)
            log.info("cgan: checkpoint %s", path)
        reason = stop() if stop is not None else None
        if reason:
            kept = checkpoints_in(ckdir)
            raise TrainingStopped(reason, step, cfg.steps, kept[-1][1] if kept else None)


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return f"cpu ({torch.get_num_threads()} threads)"
