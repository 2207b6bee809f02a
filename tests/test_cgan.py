"""The class-conditional GAN: models, DiffAugment, checkpoints, bit-exact resume, generation, sampler."""
from __future__ import annotations

import ast
import inspect
import json
import logging
import re
import struct
import os
import subprocess
import sys
import textwrap
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch

from infantfer import cgan
from infantfer.cgan import CGANConfig

REPO = Path(__file__).resolve().parents[1]
TINY = dict(size=16, z_dim=16, g_width=16, d_width=8, embed_dim=8, batch_size=16, checkpoint_every=10,
            log_every=5, precision="fp32")


def tiny_config(**kw) -> CGANConfig:
    return CGANConfig(**{**TINY, **kw})


def toy_set(n=(24, 12, 6), side=20, seed=0):
    """Three classes of greyscale images, imbalanced, distinguishable by brightness."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for c, k in enumerate(n):
        base = 40 + 80 * c
        xs.append(np.clip(rng.normal(base, 20, (k, side, side)), 0, 255).astype(np.uint8))
        ys.append(np.full(k, c))
    return np.concatenate(xs), np.concatenate(ys)


def states_equal(a: dict, b: dict) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(states_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(states_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    return a == b


def assert_same_run(a: Path, b: Path):
    ca, cb = cgan.load_checkpoint(a), cgan.load_checkpoint(b)
    assert ca["step"] == cb["step"]
    for key in ("G", "D", "G_ema", "opt_g", "opt_d", "rng"):
        assert states_equal(ca[key], cb[key]), f"{key} differs between {a} and {b}"


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    w, h, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (depth, colour) == (8, 0)
    assert struct.unpack(">I", data[29:33])[0] == zlib.crc32(data[12:29])
    assert data[-12:] == b"\x00\x00\x00\x00IEND\xaeB`\x82"
    return w, h


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """20 uninterrupted steps of a tiny GAN (checkpoints at 10 and 20), with its log lines."""
    x, y = toy_set()
    directory = tmp_path_factory.mktemp("cgan") / "uninterrupted"
    records = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())
    logger = logging.getLogger("infantfer.cgan.test")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        checkpoints = cgan.train_cgan(x, y, 3, tiny_config(steps=20), directory, logger=logger, threads=1)
    finally:
        logger.removeHandler(handler)
    return {"x": x, "y": y, "dir": directory, "checkpoints": checkpoints, "log": records}


# ------------------------------------------------------------------------------------- models

@pytest.mark.parametrize("size,start", [(16, 4), (32, 4), (48, 6), (64, 4), (24, 6), (40, 5)])
def test_shapes_and_dtypes(size, start):
    g, d = cgan.build_models(CGANConfig(size=size, g_width=16, d_width=8), n_classes=3)
    assert g.start == start
    z, y = torch.randn(5, g.z_dim), torch.tensor([0, 1, 2, 1, 0])
    with torch.no_grad():
        img = g(z, y)
        out = d(img, y)
    assert img.shape == (5, 1, size, size) and img.dtype == torch.float32
    assert img.abs().max() <= 1.0
    assert out.shape == (5,) and out.dtype == torch.float32


def test_default_shapes_and_parameter_counts():
    counts = {}
    for size in (32, 48, 64):
        g, d = cgan.build_models(CGANConfig(size=size), n_classes=3)
        with torch.no_grad():
            img = g(torch.randn(2, 64), torch.tensor([0, 2]))
            assert img.shape == (2, 1, size, size)
            assert d(img, torch.tensor([0, 2])).shape == (2,)
        counts[size] = (cgan.count_parameters(g), cgan.count_parameters(d))
    print("parameters (G, D) by size:", counts)
    g32, d32 = counts[32]
    assert 400_000 <= g32 <= 500_000
    assert 600_000 <= d32 <= 700_000  # d_width 64: four times the parameters of 32
    assert 600_000 <= counts[48][0] <= 750_000 and counts[48][1] == d32
    g, _ = cgan.build_models(CGANConfig(size=32, upsample="nearest"), n_classes=3)
    assert 300_000 <= cgan.count_parameters(g) <= 350_000


def test_bad_sizes_and_config_roundtrip():
    for size in (8, 20, 33):
        with pytest.raises(ValueError, match="multiple of 8"):
            CGANConfig(size=size)
    cfg = CGANConfig(size=48, betas=[0.5, 0.9], diffaugment="translation")
    assert CGANConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    with pytest.raises(ValueError, match="unknown CGANConfig key"):
        CGANConfig.from_dict({"size": 32, "bogus": 1})
    with pytest.raises(ValueError, match="DiffAugment"):
        CGANConfig(diffaugment="color,zoom")


def test_cuda_requested_without_cuda():
    if torch.cuda.is_available():
        pytest.skip("CUDA present")
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        cgan.resolve_device("cuda")
    assert cgan.resolve_device("auto").type == "cpu"


# ------------------------------------------------------------------------------ DiffAugment

@pytest.mark.parametrize("fn", [cgan.rand_brightness, cgan.rand_contrast, cgan.rand_translation,
                                cgan.rand_cutout])
def test_diffaugment_functions(fn):
    x = torch.rand(6, 1, 32, 32) * 2 - 1
    a = fn(x, torch.Generator().manual_seed(3))
    b = fn(x, torch.Generator().manual_seed(3))
    assert a.shape == x.shape and a.device == x.device and a.dtype == x.dtype
    assert torch.equal(a, b)
    assert not torch.equal(a, x)
    assert not torch.equal(a, fn(x, torch.Generator().manual_seed(4)))


def test_diffaugment_translation_and_cutout_change_batches():
    x = torch.rand(64, 1, 16, 16) + 1.0      # no zeros anywhere
    gen = torch.Generator().manual_seed(0)
    moved = cgan.rand_translation(x, gen)
    assert (moved == 0).any(dim=(1, 2, 3)).float().mean() > 0.5  # most images shifted: zero border
    cut = cgan.rand_cutout(x, gen)
    zeros = (cut == 0).sum(dim=(1, 2, 3))
    assert (zeros > 0).all() and (zeros <= 64).all()           # a square of at most 8x8 per image
    both = cgan.diff_augment(x, "color,translation,cutout", torch.Generator().manual_seed(1))
    assert both.shape == x.shape
    assert torch.equal(cgan.diff_augment(x, "", gen), x)
    # gradients flow through every policy (D's loss must reach G)
    xg = x.clone().requires_grad_(True)
    cgan.diff_augment(xg, "color,translation,cutout", torch.Generator().manual_seed(1)).sum().backward()
    assert xg.grad is not None and xg.grad.abs().sum() > 0


# ------------------------------------------------------------------------- train, checkpoints

def test_checkpoints_grids_and_log(tiny_run):
    d = tiny_run["dir"]
    assert [p.name for p in tiny_run["checkpoints"]] == ["step_000010.pt", "step_000020.pt"]
    assert cgan.list_checkpoints(d) == tiny_run["checkpoints"]
    for ck in tiny_run["checkpoints"]:
        png = ck.with_suffix(".png")
        # one row per class (3), 8 per row, 16 px images with a 2 px gutter
        assert png_size(png) == (2 + 8 * 18, 2 + 3 * 18)
    assert not list(d.glob(".*tmp*"))
    steps = [line for line in tiny_run["log"] if line.startswith("cgan step")]
    assert [re.search(r"step (\d+)/20", s).group(1) for s in steps] == ["5", "10", "15", "20"]
    pattern = re.compile(r"cgan step \d+/20  D loss -?\d+\.\d+  G loss -?\d+\.\d+  \d+\.\d img/s  ETA \d+:\d\d:\d\d")
    assert all(pattern.fullmatch(s) for s in steps), steps
    assert any("checkpoint" in line and "step_000020.pt" in line for line in tiny_run["log"])


def test_checkpoint_contents_load_weights_only(tiny_run):
    path = tiny_run["checkpoints"][-1]
    ck = torch.load(path, map_location="cpu", weights_only=True)
    assert ck["step"] == 20 and ck["n_classes"] == 3
    assert CGANConfig.from_dict(ck["config"]) == tiny_config(steps=20)
    assert ck["norm"] == {"scale": 127.5, "offset": -1.0, "size": 16, "source_size": 20, "resize": "area"}
    assert set(ck["rng"]) == {"data", "noise", "aug", "torch_cpu", "torch_cuda"}
    assert all(isinstance(ck["rng"][k], torch.Tensor) for k in ("data", "noise", "aug", "torch_cpu"))
    assert {"G", "D", "G_ema", "opt_g", "opt_d"} <= set(ck)
    assert any("_u" in k for k in ck["D"])     # spectral norm's power-iteration vectors are kept


def test_training_restores_global_state(tiny_run):
    threads = torch.get_num_threads()
    det = torch.are_deterministic_algorithms_enabled()
    rng = torch.get_rng_state()
    x, y = toy_set(n=(4, 4, 4))
    cgan.train_cgan(x, y, 3, tiny_config(steps=2, log_every=0), tiny_run["dir"].parent / "state", threads=1)
    assert torch.get_num_threads() == threads
    assert torch.are_deterministic_algorithms_enabled() == det
    assert torch.equal(torch.get_rng_state(), rng)


def test_resume_split_call_is_bit_exact(tiny_run, tmp_path):
    x, y = tiny_run["x"], tiny_run["y"]
    first = cgan.train_cgan(x, y, 3, tiny_config(steps=10), tmp_path, threads=1)
    assert [p.name for p in first] == ["step_000010.pt"]
    second = cgan.train_cgan(x, y, 3, tiny_config(steps=20), tmp_path, threads=1)
    assert [p.name for p in second] == ["step_000010.pt", "step_000020.pt"]
    assert_same_run(tiny_run["checkpoints"][-1], second[-1])
    # already done: nothing is trained, nothing changes
    before = second[-1].stat().st_mtime_ns
    assert cgan.train_cgan(x, y, 3, tiny_config(steps=20), tmp_path, threads=1) == second
    assert second[-1].stat().st_mtime_ns == before
    # a run that went past the asked steps: only checkpoints up to them come back
    assert [p.name for p in cgan.train_cgan(x, y, 3, tiny_config(steps=15), tmp_path, threads=1)] == [
        "step_000010.pt"]
    assert second[-1].stat().st_mtime_ns == before


CHILD = textwrap.dedent("""
    import json, logging, sys, time
    import numpy as np
    from infantfer import cgan

    class Slow(logging.Handler):
        # after the first checkpoint, every log line takes a while: the parent kills us mid-run
        slow = False
        def emit(self, record):
            if "checkpoint" in record.getMessage():
                Slow.slow = True
            if Slow.slow:
                time.sleep(0.15)

    log = logging.getLogger("infantfer.cgan")
    log.setLevel(logging.INFO)
    log.addHandler(Slow())
    data = np.load(sys.argv[1])
    cfg = cgan.CGANConfig.from_dict(json.loads(sys.argv[2]))
    cgan.train_cgan(data["x"], data["y"], 3, cfg, sys.argv[3], threads=1)
""")


def test_resume_after_kill_is_bit_exact(tiny_run, tmp_path):
    """A process killed (SIGKILL) after its first checkpoint, resumed, ends as an uninterrupted run."""
    np.savez(tmp_path / "data.npz", x=tiny_run["x"], y=tiny_run["y"])
    (tmp_path / "child.py").write_text(CHILD)
    cfg = tiny_config(steps=20, log_every=1)
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, str(tmp_path / "child.py"), str(tmp_path / "data.npz"),
                             json.dumps(cfg.to_dict()), str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not (out / "step_000010.pt").exists():
            assert proc.poll() is None, proc.stdout.read().decode()
            assert time.monotonic() < deadline, "no first checkpoint within 60 s"
            time.sleep(0.01)
        time.sleep(0.6)             # a few more steps, unsaved
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode < 0, "the child finished before it was killed"
    assert [p.name for p in cgan.list_checkpoints(out)] == ["step_000010.pt"]
    (out / ".step_000020.pt.tmp-99999").write_bytes(b"half a checkpoint")    # as a kill mid-save leaves
    resumed = cgan.train_cgan(tiny_run["x"], tiny_run["y"], 3, cfg, out, threads=1)
    assert [p.name for p in resumed] == ["step_000010.pt", "step_000020.pt"]
    assert not (out / ".step_000020.pt.tmp-99999").exists()
    assert_same_run(tiny_run["checkpoints"][-1], resumed[-1])


def test_a_stop_request_ends_training_keeping_the_checkpoints_and_the_resume_is_bit_exact(tiny_run, tmp_path):
    """stop= (what a job's JobWatch is) returning a reason ends training at that step with
    TrainingStopped naming the checkpoint a rerun resumes from; resuming ends as an uninterrupted run."""
    calls = []

    def stop_at_step_13():
        calls.append(1)
        return "asked to stop" if len(calls) == 13 else None

    out = tmp_path / "stopped"
    with pytest.raises(cgan.TrainingStopped) as stopped:
        cgan.train_cgan(tiny_run["x"], tiny_run["y"], 3, tiny_config(steps=20), out, threads=1, stop=stop_at_step_13)
    assert (stopped.value.step, stopped.value.last_checkpoint) == (13, out / "step_000010.pt")
    assert str(stopped.value) == f"training stopped at step 13/20: asked to stop; a rerun resumes from {out / 'step_000010.pt'}"
    assert [p.name for p in cgan.list_checkpoints(out)] == ["step_000010.pt"]
    resumed = cgan.train_cgan(tiny_run["x"], tiny_run["y"], 3, tiny_config(steps=20), out, threads=1)
    assert_same_run(tiny_run["checkpoints"][-1], resumed[-1])


def test_a_job_watch_says_why_to_stop(tmp_path, monkeypatch):
    import socket

    from infantfer.interrupts import RUN_HOST, RUN_PID, JobWatch, stop_file

    monkeypatch.chdir(tmp_path)
    host = socket.gethostname()
    alive = JobWatch(every_s=0, environ={RUN_PID: str(os.getpid()), RUN_HOST: host})
    assert alive() is None
    stop_file(host, os.getpid()).parent.mkdir(parents=True)
    stop_file(host, os.getpid()).touch()
    assert alive() == f"the Snakemake that started it (pid {os.getpid()}) was sent SIGTERM"
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert JobWatch(every_s=0, environ={RUN_PID: str(gone.pid), RUN_HOST: host})() == \
        f"the Snakemake that started it (pid {gone.pid}) is gone"
    # another host's Snakemake (a SLURM job's environment) is not looked for here; no run at all: parent only
    assert JobWatch(every_s=0, environ={RUN_PID: str(gone.pid), RUN_HOST: host + "-elsewhere"})() is None
    assert JobWatch(every_s=0, environ={})() is None


def test_precision_auto_follows_cpu_bf16_native_and_an_avx2_cap():
    from infantfer.cgan.config import cpu_bf16_native, resolve_precision

    cpu = torch.device("cpu")
    assert resolve_precision("fp32", cpu) == "fp32" and resolve_precision("bf16", cpu) == "bf16"
    assert resolve_precision("auto", cpu) == ("bf16" if cpu_bf16_native() else "fp32")
    assert resolve_precision("auto", torch.device("cuda")) == "bf16"
    limited = subprocess.run([sys.executable, "-c", "import torch; from infantfer.cgan.config import resolve_precision;"
                              "print(resolve_precision('auto', torch.device('cpu')))"],
                             env={**os.environ, "ONEDNN_MAX_CPU_ISA": "AVX2"}, capture_output=True, text=True)
    assert limited.stdout.strip() == "fp32", limited.stderr  # an AVX2 machine's answer


def test_bf16_is_native_only_where_the_cpu_has_it_and_the_onednn_cap_allows_it(monkeypatch):
    """oneDNN says bf16 works on any AVX-512 CPU, emulated and slower than fp32 there: auto must not
    pick it on a Skylake-class CPU (no avx512_bf16 / amx_bf16 flag) or under a cap below AVX512_CORE_BF16."""
    from infantfer.cgan import config as cgan_config
    from infantfer.cgan.config import cpu_bf16_native

    native = {"avx512f", "avx512_bf16"}
    monkeypatch.setattr(cgan_config, "_onednn_bf16", lambda: True)  # the logic runs on any test machine
    x86 = {"machine": "x86_64"}
    assert cpu_bf16_native({}, native, **x86)
    assert cpu_bf16_native({}, {"amx_bf16"}, **x86)
    assert not cpu_bf16_native({}, {"avx512f", "avx512bw", "avx512_vnni"}, **x86)  # Cascade Lake: emulated
    assert not cpu_bf16_native({}, set(), **x86)  # flags unknown: fp32, never emulated bf16
    for cap in ("AVX512_CORE", "AVX512_CORE_VNNI", "avx2", "SSE41"):  # below bf16: one step below included
        assert not cpu_bf16_native({"ONEDNN_MAX_CPU_ISA": cap}, native, **x86), cap
    for cap in ("AVX512_CORE_BF16", "avx512_core_amx", "AVX10_1_512", "AVX10_2_512_AMX_2", "ALL", "NOT_AN_ISA"):
        assert cpu_bf16_native({"ONEDNN_MAX_CPU_ISA": cap}, native, **x86), cap  # oneDNN ignores unknown values
    assert not cpu_bf16_native({"DNNL_MAX_CPU_ISA": "AVX512_CORE"}, native, **x86)  # the older name
    assert cpu_bf16_native({"ONEDNN_MAX_CPU_ISA": "ALL", "DNNL_MAX_CPU_ISA": "AVX2"}, native, **x86)  # ONEDNN_ wins
    assert cpu_bf16_native({}, set(), machine="aarch64")  # off x86 torch's own check decides
    monkeypatch.setattr(cgan_config, "_onednn_bf16", lambda: False)
    assert not cpu_bf16_native({}, native, **x86)  # no bf16 in oneDNN at all


def test_cpu_flags_are_read_from_the_flags_line_of_cpuinfo():
    from infantfer.cgan.config import cpu_flags_of

    cpuinfo = ("processor\t: 0\nmodel name\t: Intel(R) Xeon(R)\n"
               "flags\t\t: fpu sse avx2 avx512f avx512_bf16 amx_bf16\n"
               "vmx flags\t: vnmi preemption_timer\nbugs\t\t: spectre_v1\n")
    assert cpu_flags_of(cpuinfo) == {"fpu", "sse", "avx2", "avx512f", "avx512_bf16", "amx_bf16"}
    assert cpu_flags_of("processor\t: 0\nFeatures\t: fp asimd bf16\n") == set()  # ARM: no x86 flags line


def test_precision_auto_is_fp32_under_an_avx512_core_cap():
    """The bug this guards: an AVX512_CORE cap (a Skylake-class oneDNN) left auto at emulated bf16."""
    capped = subprocess.run([sys.executable, "-c", "import torch; from infantfer.cgan.config import resolve_precision;"
                             "print(resolve_precision('auto', torch.device('cpu')))"],
                            env={**os.environ, "ONEDNN_MAX_CPU_ISA": "AVX512_CORE"}, capture_output=True, text=True)
    assert capped.stdout.strip() == "fp32", capped.stderr


def test_bf16_training_resumes_bit_exact(tmp_path):
    x, y = toy_set()
    whole = cgan.train_cgan(x, y, 3, tiny_config(steps=20, precision="bf16"), tmp_path / "whole", threads=1)
    cgan.train_cgan(x, y, 3, tiny_config(steps=10, precision="bf16"), tmp_path / "split", threads=1)
    split = cgan.train_cgan(x, y, 3, tiny_config(steps=20, precision="bf16"), tmp_path / "split", threads=1)
    assert_same_run(whole[-1], split[-1])
    assert cgan.load_checkpoint(whole[-1])["precision"] == "bf16"
    fp32 = cgan.train_cgan(x, y, 3, tiny_config(steps=20, precision="fp32"), tmp_path / "fp32", threads=1)
    assert not states_equal(cgan.load_checkpoint(fp32[-1])["G"], cgan.load_checkpoint(whole[-1])["G"])


def test_a_resumed_run_keeps_its_checkpoint_s_precision(tiny_run, tmp_path, caplog):
    """A run begun in fp32 (or before the key existed) and resumed where auto means bf16 goes on in
    fp32, and ends as the uninterrupted fp32 run: moving machines changes nothing."""
    import shutil

    out = tmp_path / "moved"
    out.mkdir()
    shutil.copy(tiny_run["dir"] / "step_000010.pt", out / "step_000010.pt")
    assert cgan.load_checkpoint(out / "step_000010.pt")["precision"] == "fp32"
    with caplog.at_level(logging.INFO, logger="infantfer.cgan"):
        resumed = cgan.train_cgan(tiny_run["x"], tiny_run["y"], 3, tiny_config(steps=20, precision="bf16"), out,
                                  threads=1)
    assert "(step 10/20, fp32)" in caplog.text
    assert_same_run(tiny_run["checkpoints"][-1], resumed[-1])


def test_other_config_or_data_in_directory_is_an_error(tiny_run, tmp_path):
    x, y = toy_set(n=(4, 4, 4))
    cgan.train_cgan(x, y, 3, tiny_config(steps=2, log_every=0), tmp_path, threads=1)
    with pytest.raises(cgan.CheckpointMismatchError, match=re.escape(str(tmp_path))) as err:
        cgan.train_cgan(x, y, 3, tiny_config(steps=4, lr_g=1e-3), tmp_path, threads=1)
    assert "lr_g" in str(err.value)
    with pytest.raises(cgan.CheckpointMismatchError, match="images or labels differ"):
        cgan.train_cgan(255 - x, y, 3, tiny_config(steps=4), tmp_path, threads=1)
    with pytest.raises(cgan.CheckpointMismatchError, match="n_classes"):
        cgan.train_cgan(x, y, 4, tiny_config(steps=4), tmp_path, threads=1)
    # settings that do not change the trajectory may change
    cgan.train_cgan(x, y, 3, tiny_config(steps=4, checkpoint_every=3, log_every=1), tmp_path, threads=1)
    assert [p.name for p in cgan.list_checkpoints(tmp_path)][-1] == "step_000004.pt"


@pytest.mark.parametrize("cut", ["step_000020.pt", "step_000010.pt"])
def test_a_truncated_checkpoint_is_named_moved_aside_and_re_created_bit_exact(tiny_run, tmp_path, caplog, cut):
    """Cut short (a full disk, a copy): reading it names the file and the fix; training moves it aside
    (never deletes it), resumes from the last good checkpoint before it and ends as an uninterrupted run."""
    import shutil

    out = tmp_path / "run"
    shutil.copytree(tiny_run["dir"], out)
    data = (out / cut).read_bytes()
    (out / cut).write_bytes(data[: len(data) // 3])
    with pytest.raises(cgan.DamagedCheckpoint) as err:
        cgan.generate(out / cut, np.array([0, 1]))
    message = str(err.value)
    assert str(out / cut) in message and "cut short" in message and "checkpoints.tsv" in message
    assert f"{cut}.damaged" in message and "weights_only" not in message
    caplog.set_level(logging.WARNING, logger="infantfer.cgan")
    resumed = cgan.train_cgan(tiny_run["x"], tiny_run["y"], 3, tiny_config(steps=20), out, threads=1)
    assert [p.name for p in resumed] == ["step_000010.pt", "step_000020.pt"]
    assert (out / f"{cut}.damaged").read_bytes() == data[: len(data) // 3]  # kept, never deleted
    assert f"{cut} cannot be read" in caplog.text and "moved aside" in caplog.text
    assert_same_run(tiny_run["checkpoints"][-1], resumed[-1])
    assert_same_run(tiny_run["checkpoints"][0], resumed[0])


class _Payload:
    """What a hostile file carries: loading it with weights_only=False would create ``marker``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def _with_payload(checkpoint: Path, payload: bytes, out: Path) -> None:
    """A copy of a real checkpoint whose data.pkl is ``payload``: a zip torch opens, code inside."""
    import zipfile

    with zipfile.ZipFile(checkpoint) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, payload if item.filename.endswith("data.pkl") else src.read(item.filename))


@pytest.mark.parametrize("kind", ["object in a dict (GLOBAL)", "os.system call (protocol 4: STACK_GLOBAL)"])
def test_a_checkpoint_carrying_a_pickle_payload_is_refused_as_code_never_run(tiny_run, tmp_path, caplog, kind):
    """A file named like a checkpoint whose pickle names code: every reader refuses it unread, saying
    it holds code and naming the one fix (it and its run's checkpoints.tsv); training moves it aside
    (``.unsafe``, kept) and re-creates the checkpoint from the last good one."""
    import pickle
    import shutil

    out = tmp_path / "results" / "d" / "cgan_checkpoints" / "r0_f1_original-0123456789ab"
    shutil.copytree(tiny_run["dir"], out)
    marker = tmp_path / "payload-ran"
    hostile = out / "step_000020.pt"
    if kind.startswith("object"):
        torch.save({"step": 20, "G_ema": _Payload(marker)}, hostile)
    else:
        class System:
            def __reduce__(self):
                import os

                return (os.system, (f"touch {marker}",))

        _with_payload(tiny_run["checkpoints"][-1], pickle.dumps(System(), protocol=4), hostile)
    for attempt in (lambda: cgan.load_checkpoint(hostile), lambda: cgan.generate(hostile, np.array([0]))):
        with pytest.raises(cgan.UnsafeCheckpoint) as err:
            attempt()
        message = str(err.value)
        assert str(hostile) in message and "holds code" in message and "never run" in message
        assert "Do not load it with weights_only=False" in message and "will likely succeed" not in message
        # one round: the checkpoint and its run's listing, named, so the gate's next read finds a retrained run
        assert f"Fix: delete it" in message and str(tmp_path / "results" / "d" / "cgan" / "r0_f1_original" /
                                                    "checkpoints.tsv") in message
    assert ("posix.system" if "system" in kind else "io.open") in message
    caplog.set_level(logging.WARNING, logger="infantfer.cgan")
    resumed = cgan.train_cgan(tiny_run["x"], tiny_run["y"], 3, tiny_config(steps=20), out, threads=1)
    assert [p.name for p in resumed] == ["step_000010.pt", "step_000020.pt"]
    assert (out / "step_000020.pt.unsafe").exists() and "holds code" in caplog.text and "never run" in caplog.text
    assert not marker.exists()
    assert_same_run(tiny_run["checkpoints"][-1], resumed[-1])


def test_a_checkpoint_s_bytes_do_not_depend_on_its_temporary_name(tiny_run, tmp_path):
    """Serialised in memory, then written: two runs give the same bytes (torch names the zip's
    folder after the file it writes to, and the temporary names differ)."""
    again = cgan.train_cgan(tiny_run["x"], tiny_run["y"], 3, tiny_config(steps=20), tmp_path / "again", threads=1)
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in tiny_run["checkpoints"][:2]]


# ------------------------------------------------------------------------------- generation

def test_generate(tiny_run, tmp_path):
    ck = tiny_run["checkpoints"][-1]
    labels = np.array([0, 0, 1, 2, 2, 2, 1])
    a = cgan.generate(ck, labels, seed=5, device="cpu")
    assert a.shape == (7, 16, 16) and a.dtype == np.uint8
    assert np.array_equal(a, cgan.generate(ck, labels, seed=5, batch_size=3))
    assert not np.array_equal(a, cgan.generate(ck, labels, seed=6))
    assert a.min() >= 0 and a.max() <= 255 and a.std() > 0
    big = cgan.generate(ck, labels, seed=5, size=20)
    small = cgan.generate(ck, labels, seed=5, size=8)
    assert big.shape == (7, 20, 20) and small.shape == (7, 8, 8) and big.dtype == small.dtype == np.uint8
    assert abs(float(small.mean()) - float(a.mean())) < 2.0    # area resize keeps the mean
    assert cgan.generate(ck, np.array([], dtype=int)).shape == (0, 16, 16)
    with pytest.raises(ValueError, match="labels"):
        cgan.generate(ck, np.array([3]))
    cgan.save_sample_grid(ck, tmp_path / "grid.png", n_per_class=4, seed=1)
    assert png_size(tmp_path / "grid.png") == (2 + 4 * 18, 2 + 3 * 18)


def test_write_png_roundtrip(tmp_path):
    img = (np.arange(35 * 17) % 256).astype(np.uint8).reshape(17, 35)
    cgan.write_png(tmp_path / "a.png", img)
    assert png_size(tmp_path / "a.png") == (35, 17)
    data = (tmp_path / "a.png").read_bytes()
    idat_len = struct.unpack(">I", data[33:37])[0]
    raw = zlib.decompress(data[41:41 + idat_len])
    assert np.array_equal(np.frombuffer(raw, np.uint8).reshape(17, 36)[:, 1:], img)


def test_training_moves_class_brightness(tmp_path):
    """Dark squares vs bright squares: the EMA generator's class means move towards the data's."""
    rng = np.random.default_rng(1)
    dark = np.clip(rng.normal(45, 12, (40, 16, 16)), 0, 255).astype(np.uint8)
    bright = np.clip(rng.normal(210, 12, (40, 16, 16)), 0, 255).astype(np.uint8)
    x, y = np.concatenate([dark, bright]), np.repeat([0, 1], 40)
    cfg = CGANConfig(size=16, z_dim=16, g_width=16, d_width=16, embed_dim=8, batch_size=32, steps=150,
                     checkpoint_every=150, log_every=0, lr_g=1e-3, lr_d=1e-3)
    ck = cgan.train_cgan(x, y, 2, cfg, tmp_path, threads=1)[-1]
    labels = np.repeat([0, 1], 64)
    before = cgan.build_models(cfg, 2)[0].eval()
    with torch.no_grad():
        m0 = ((before(torch.randn(128, 16), torch.as_tensor(labels)) + 1) * 127.5).view(2, -1).mean(1)
    gen = cgan.generate(ck, labels, seed=0).reshape(2, -1).mean(1)
    print("class means before", m0.tolist(), "after", gen.tolist(), "data", dark.mean(), bright.mean())
    assert gen[0] < 100 < 160 < gen[1]
    assert abs(gen[0] - dark.mean()) < abs(float(m0[0]) - dark.mean())
    assert abs(gen[1] - bright.mean()) < abs(float(m0[1]) - bright.mean())


def test_class_norm_gives_each_class_its_own_batchnorm_and_resumes_and_draws(tmp_path):
    """cgan.class_norm: every BatchNorm of G takes a gain and a bias per class; training moves
    them apart, a checkpoint records the key, draws with them, and resumes bit for bit."""
    from infantfer.cgan.networks import ClassBatchNorm2d

    x, y = toy_set()
    cfg = tiny_config(steps=20, class_norm=True)
    g, _ = cgan.build_models(cfg, 3)
    assert sum(isinstance(m, ClassBatchNorm2d) for m in g.modules()) == 3  # 16 px: the start and 2 upsamplings
    assert not any(isinstance(m, torch.nn.BatchNorm2d) and m.affine for m in g.modules())
    whole = cgan.train_cgan(x, y, 3, cfg, tmp_path / "whole", threads=1)
    ck = cgan.load_checkpoint(whole[-1])
    assert ck["config"]["class_norm"] is True
    gains = ck["G_ema"]["bn0.gain.weight"]
    assert gains.shape[0] == 3 and not torch.equal(gains[0], gains[2])
    drawn = cgan.generate(whole[-1], np.array([0, 1, 2, 2]), seed=0)
    assert drawn.shape == (4, 16, 16) and drawn.std() > 0
    cgan.train_cgan(x, y, 3, tiny_config(steps=10, class_norm=True), tmp_path / "split", threads=1)
    assert_same_run(whole[-1], cgan.train_cgan(x, y, 3, cfg, tmp_path / "split", threads=1)[-1])
    plain = cgan.train_cgan(x, y, 3, tiny_config(steps=10), tmp_path / "plain", threads=1)
    assert "class_norm" not in cgan.load_checkpoint(plain[-1])["config"]  # written as before the key


def test_a_checkpoint_without_class_norm_draws_and_resumes_as_it_was_trained(tiny_run, tmp_path):
    """A run with class_norm off writes its checkpoints as runs before the key did (without it), so
    older code reads them too; they read as class_norm false (the schema's x-absent-means), draw,
    resume bit for bit, and asking them for class_norm is a mismatch that names the key."""
    import shutil

    assert "class_norm" not in cgan.load_checkpoint(tiny_run["dir"] / "step_000010.pt")["config"]
    old = tmp_path / "old"
    old.mkdir()
    shutil.copy(tiny_run["dir"] / "step_000010.pt", old / "step_000010.pt")
    drawn = cgan.generate(old / "step_000010.pt", np.array([0, 1, 2, 1]), seed=3)
    assert drawn.shape == (4, 16, 16) and drawn.std() > 0
    resumed = cgan.train_cgan(tiny_run["x"], tiny_run["y"], 3, tiny_config(steps=20), old, threads=1)
    assert_same_run(tiny_run["checkpoints"][-1], resumed[-1])
    (old / "step_000020.pt").unlink()
    with pytest.raises(cgan.CheckpointMismatchError, match="class_norm: False in the checkpoint, True now"):
        cgan.train_cgan(tiny_run["x"], tiny_run["y"], 3, tiny_config(steps=20, class_norm=True), old, threads=1)


def test_keys_added_later_are_filled_in_and_left_out_at_their_absent_values(monkeypatch):
    """with_absent_keys fills what a checkpoint predates from the schema's x-absent-means (not from
    the key's default, which may change), without_absent_keys leaves those values out of what a
    checkpoint records."""
    from infantfer.cgan import config as cgan_config

    fake = {"properties": {"later": {"default": True, "x-absent-means": False}, "z_dim": {"default": 64}}}
    monkeypatch.setattr(cgan_config, "section", lambda path: fake)
    assert cgan_config.with_absent_keys({"z_dim": 8}) == {"later": False, "z_dim": 8}
    assert cgan_config.with_absent_keys({"later": True}) == {"later": True}
    assert cgan_config.without_absent_keys({"later": False, "z_dim": 8}) == {"z_dim": 8}
    assert cgan_config.without_absent_keys({"later": True, "z_dim": 8}) == {"later": True, "z_dim": 8}


# ---------------------------------------------------------------------------------- imports
# The GAN runs on a bare GPU machine: every module of infantfer/cgan/ imports only torch, numpy, the
# standard library, its own package, infantfer.io's atomic and npz modules, infantfer.parts (whose module
# levels are standard library only) and infantfer.schema, which reads the schema's defaults with PyYAML
# (on the GPU machines' image) when a CGANConfig is made without them.

CGAN_DIR = REPO / "workflow" / "infantfer" / "cgan"
GAN_FILES = sorted(p.relative_to(REPO).as_posix() for p in CGAN_DIR.glob("*.py"))


def gan_may_import(module: str) -> bool:
    top = module.split(".")[0]
    if top == "infantfer":
        return module in ("infantfer", "infantfer.io", "infantfer.io.atomic", "infantfer.io.npz", "infantfer.parts",
                          "infantfer.schema", "infantfer.cgan") or module.startswith("infantfer.cgan.")
    return top in sys.stdlib_module_names or top in ("torch", "numpy", "yaml")


def imported_modules(path: Path, package: str | None) -> set[str]:
    """Every module an import statement anywhere in the file (function bodies too) names, made
    absolute; ``from infantfer import x`` names infantfer.x."""
    import importlib.util

    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                module = importlib.util.resolve_name("." * node.level + module, package)
            names.add(module)
            if module == "infantfer":
                names |= {f"infantfer.{a.name}" for a in node.names}
    return names


def test_the_gan_package_is_every_file_checked():
    assert {"workflow/infantfer/cgan/__init__.py", "workflow/infantfer/cgan/train.py"} <= set(GAN_FILES)
    assert not (REPO / "workflow/infantfer/cgan.py").exists()


@pytest.mark.parametrize("path", [*GAN_FILES, "benchmarks/cgan_throughput.py", "benchmarks/cgan_cuda.py"])
def test_imports_only_torch_numpy_stdlib(path):
    names = imported_modules(REPO / path, "infantfer.cgan" if path.startswith("workflow/") else None)
    bad = sorted(n for n in names if not gan_may_import(n))
    assert not bad, f"{path} imports {bad}"


def test_what_the_gan_loads_of_the_rest_of_infantfer_is_standard_library():
    init = ast.parse((REPO / "workflow/infantfer/__init__.py").read_text())
    assert not any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(init))
    loaded = set()
    # what importing them runs (numpy and PyYAML are imported inside functions)
    for module in ("io/__init__", "io/atomic", "io/npz", "parts", "schema"):
        for node in ast.parse((REPO / f"workflow/infantfer/{module}.py").read_text()).body:
            if isinstance(node, ast.Import):
                loaded |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level:
                loaded.add(node.module.split(".")[0])
    assert loaded <= set(sys.stdlib_module_names) | {"__future__"}, loaded


GUARDED = textwrap.dedent('''
    import builtins, importlib, importlib.util, pkgutil, sys, tempfile
    import numpy as np

    refused = []
    {gan_may_import}
    real_import = builtins.__import__

    def guarded(name, globals=None, locals=None, fromlist=(), level=0):
        # every import statement of an infantfer module passes here, whether or not the module
        # it names is loaded already
        importer = (globals or {}).get("__name__") or ""
        if importer.split(".")[0] == "infantfer":
            module = importlib.util.resolve_name("." * level + name, globals["__package__"]) if level else name
            for wanted in [module] + [f"infantfer.{f}" for f in (fromlist or ()) if module == "infantfer"]:
                if not gan_may_import(wanted):
                    refused.append(f"{importer} imports {wanted}")
                    raise ImportError(f"the GAN may import only torch, numpy and the standard library: {refused[-1]}")
        return real_import(name, globals, locals, fromlist, level)

    builtins.__import__ = guarded
    import infantfer.cgan as cgan
    for info in pkgutil.iter_modules(cgan.__path__):
        importlib.import_module(f"infantfer.cgan.{info.name}")
    # the imports inside functions too: train, resume, generate, a grid
    x = np.random.default_rng(0).integers(0, 256, (12, 16, 16), dtype=np.uint8)
    y = np.arange(12) % 3
    cfg = dict(size=16, z_dim=8, g_width=8, d_width=8, embed_dim=4, batch_size=4, checkpoint_every=1, log_every=1)
    with tempfile.TemporaryDirectory() as d:
        cgan.train_cgan(x, y, 3, cgan.CGANConfig(steps=1, **cfg), d, threads=1)
        last = cgan.train_cgan(x, y, 3, cgan.CGANConfig(steps=2, **cfg), d, threads=1)[-1]
        cgan.generate(last, y, device="cpu", size=20)
        cgan.save_sample_grid(last, f"{d}/grid.png", n_per_class=2)
    assert not refused, refused
    loaded = sorted(n for n in sys.modules if n.split(".")[0] == "infantfer")
    assert all(gan_may_import(n) for n in loaded), loaded
    print("loaded:", " ".join(loaded))
''')


def test_the_gan_runs_importing_only_torch_numpy_stdlib(tmp_path):
    """Every module of the package loaded, and a tiny run trained, resumed and sampled, in a process
    where an import of anything else by infantfer's code fails (and is recorded, in case a
    ``try``/``except ImportError`` hides it)."""
    (tmp_path / "guarded.py").write_text(GUARDED.replace("{gan_may_import}", inspect.getsource(gan_may_import)))
    done = subprocess.run([sys.executable, str(tmp_path / "guarded.py")], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    loaded = done.stdout.split("loaded:", 1)[1].split()
    modules = {f"infantfer.cgan.{p.stem}" for p in CGAN_DIR.glob("*.py") if p.stem != "__init__"}
    assert modules | {"infantfer", "infantfer.cgan", "infantfer.io", "infantfer.io.atomic", "infantfer.io.npz",
                      "infantfer.parts", "infantfer.schema"} == set(loaded)


def test_the_gan_s_defaults_are_the_schema_s():
    """The schema is the one home of every default: a CGANConfig made without a key of the
    workflow's cgan section gets the schema's value, size 0 (the training images' side) included,
    read from the schema rather than written twice."""
    import dataclasses

    from infantfer.config import load_schema

    schema = load_schema()["$defs"]["cgan"]["properties"]
    made = CGANConfig().to_dict()
    shared = sorted(set(made) & set(schema))
    assert len(shared) >= 13, shared
    assert {k: made[k] for k in shared} == {k: schema[k]["default"] for k in shared}
    written = {f.name for f in dataclasses.fields(CGANConfig) if f.default is not dataclasses.MISSING}
    assert not written & set(schema), written & set(schema)  # no schema key has a default of its own here
