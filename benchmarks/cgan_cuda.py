"""The real-run CGAN on a GPU through the public ``train_cgan``: time, determinism, resume, concurrency.

Trains the real-run GAN (``CGANConfig()`` defaults, size 48, 2000 steps, a checkpoint every 250)
on ~400 seeded, structured uint8 images of 4 classes (face-like ellipses whose eyes and mouth
depend on the class, jittered and noisy; made with numpy) and measures:

    a. one full training: wall time, setup (call -> first step), the first logged steps, the
       steady rate and img/s, the cost of a checkpoint (from ``train_cgan``'s own log records);
    b. determinism: a second identical run into a fresh directory; are the final checkpoint's G,
       G_ema and D tensors ``torch.equal`` to the first run's (max abs diff if not)?
    c. resume: ``steps / 2`` into directory A, then ``steps`` on A (resumes from its last
       checkpoint); final weights compared with the uninterrupted run of a;
    d. concurrency: K = 1, 2, 4, 8 processes at once, each training its own GAN (``--k-steps``,
       500 by default); each process starts (imports, CUDA init, data) and waits at a barrier, then
       all train together: wall time of the training, aggregate GAN-steps/s and img/s, and the
       start-up cost.

Prints a time-stamped line per phase and a summary table at the end; ``--json`` writes every number
(rewritten after each phase, so a run cut short keeps what it measured). Imports only torch, numpy
and the standard library (and ``infantfer.cgan``, found through ``workflow/`` when the package is
not installed), so it runs on a bare GPU machine:

    python benchmarks/cgan_cuda.py --json cgan_cuda.json                  # CUDA, the real run
    python benchmarks/cgan_cuda.py --device cpu --steps 20 --size 16 --ks 1,2 --k-steps 10 \\
        --checkpoint-every 5                                               # a CPU smoke test

``--deadline S`` skips what would start after S seconds (and a K whose estimated time would end
past it), so the summary still prints inside an outer ``timeout``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch

try:
    from infantfer import cgan
except ImportError:  # a bare checkout on a GPU machine
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))
    from infantfer import cgan

N_CLASSES = 4
T0 = time.perf_counter()


def say(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} +{time.perf_counter() - T0:7.1f}s] {msg}", flush=True)


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------

def make_images(n: int, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """uint8 (n, size, size) face-like images of 4 classes (45/25/18/12 %), and their labels.

    A bright ellipse on a darker background, two eyes and a mouth; the class sets the mouth's
    curvature and opening and the eyes' size. Each image is shifted, scaled, lit and noised."""
    rng = np.random.default_rng(seed)
    shares = np.array([0.45, 0.25, 0.18, 0.12])
    counts = np.floor(shares * n).astype(int)
    counts[0] += n - counts.sum()
    labels = np.repeat(np.arange(N_CLASSES), counts)
    rng.shuffle(labels)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size - 0.5  # [-0.5, 0.5)
    curv = np.array([0.0, 0.6, -0.5, 0.2])      # neutral, smile, frown, open
    mouth_h = np.array([0.015, 0.02, 0.02, 0.06])
    eye_r = np.array([0.05, 0.04, 0.045, 0.065])
    out = np.empty((n, size, size), np.uint8)
    for i, c in enumerate(labels):
        dx, dy = rng.uniform(-0.06, 0.06, 2)
        s = rng.uniform(0.85, 1.15)
        x, y = (xx - dx) / s, (yy - dy) / s
        bg = rng.uniform(30, 90)
        face = rng.uniform(130, 200)
        img = np.full((size, size), bg, np.float32)
        img[(x / 0.32) ** 2 + (y / 0.4) ** 2 <= 1] = face
        for ex in (-0.12, 0.12):
            img[(x - ex) ** 2 + (y + 0.1) ** 2 <= eye_r[c] ** 2] = face * 0.3
        mouth_y = 0.17 + curv[c] * (x ** 2) * -1.5
        in_mouth = (np.abs(x) <= 0.14) & (np.abs(y - mouth_y) <= mouth_h[c] + 0.01)
        img[in_mouth] = face * 0.35
        img = (img - img.mean()) * rng.uniform(0.8, 1.2) + img.mean()
        img += rng.normal(0, 8, img.shape)
        out[i] = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    return out, labels


# --------------------------------------------------------------------------------------------
# one training through train_cgan, timed from its log records
# --------------------------------------------------------------------------------------------

class _Recorder(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.records: list[tuple[float, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((time.perf_counter(), record.getMessage()))


STEP_RE = re.compile(r"^cgan step (\d+)/(\d+)")
CKPT_RE = re.compile(r"^cgan: checkpoint .*step_(\d+)\.pt")


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def train_timed(images, labels, cfg: cgan.CGANConfig, ckdir: Path, device: torch.device) -> dict:
    """train_cgan once; wall time and the times read from its log records."""
    rec = _Recorder()
    log = logging.getLogger(f"cgan_cuda.train.{time.perf_counter_ns()}")
    log.setLevel(logging.INFO)
    log.propagate = False
    log.addHandler(rec)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sync(device)
        t_call = time.perf_counter()
        checkpoints = cgan.train_cgan(images, labels, N_CLASSES, cfg, ckdir, logger=log)
        sync(device)
        t_end = time.perf_counter()
    warn_msgs = sorted({str(w.message).splitlines()[0][:300] for w in caught})
    res: dict = {"wall_s": t_end - t_call, "steps_config": cfg.steps, "batch": cfg.batch_size,
                 "final_checkpoint": str(checkpoints[-1]) if checkpoints else None,
                 "warnings": warn_msgs}
    setup = [t for t, m in rec.records if m.startswith("cgan: ") and ("images," in m or "resuming" in m)]
    steps = [(t, int(m_.group(1))) for t, m in rec.records if (m_ := STEP_RE.match(m))]
    ckpts = {int(m_.group(1)): t for t, m in rec.records if (m_ := CKPT_RE.match(m))}
    resumed = [m for _, m in rec.records if "resuming" in m]
    start_step = 0
    if resumed:
        mm = re.search(r"step (\d+)/", resumed[0])
        start_step = int(mm.group(1)) if mm else 0
    res["start_step"] = start_step
    n_trained = cfg.steps - start_step
    res["steps_trained"] = n_trained
    res["img_per_s_overall"] = n_trained * cfg.batch_size / res["wall_s"] if n_trained > 0 else None
    res["gan_steps_per_s_overall"] = n_trained / res["wall_s"] if n_trained > 0 else None
    if setup:
        res["setup_s"] = setup[0] - t_call
        if steps:
            t1, s1 = steps[0]
            res["first_log_step"] = s1
            res["first_log_s"] = t1 - setup[0]  # setup end -> first logged step (incl. first-call costs)
            if len(steps) >= 2:
                tl, sl = steps[-1]
                # steady: from the first logged step to the last, checkpoints included
                res["steady_ms_per_step"] = 1000 * (tl - t1) / (sl - s1)
                res["steady_img_per_s"] = (sl - s1) * cfg.batch_size / (tl - t1)
                # the same without the checkpoints' cost (save + sample grid)
                step_t = {s: t for t, s in steps}
                ck_cost = {s: ckpts[s] - step_t[s] for s in ckpts if s in step_t}
                if ck_cost:
                    res["checkpoint_s_mean"] = float(np.mean(list(ck_cost.values())))
                    res["checkpoints"] = len(ck_cost)
                    inside = sum(c for s, c in ck_cost.items() if s1 <= s < sl)
                    res["steady_ms_per_step_no_ckpt"] = 1000 * (tl - t1 - inside) / (sl - s1)
    return res


def compare_final(path_a: str, path_b: str) -> dict:
    a, b = cgan.load_checkpoint(path_a), cgan.load_checkpoint(path_b)
    out = {"step_a": int(a["step"]), "step_b": int(b["step"])}
    all_equal = True
    for key in ("G", "G_ema", "D"):
        n_diff, max_diff = 0, 0.0
        for name, ta in a[key].items():
            tb = b[key][name]
            if not torch.equal(ta, tb):
                n_diff += 1
                if ta.is_floating_point():
                    max_diff = max(max_diff, (ta.double() - tb.double()).abs().max().item())
                else:
                    max_diff = max(max_diff, float((ta.long() - tb.long()).abs().max().item()))
        out[key] = {"equal": n_diff == 0, "tensors": len(a[key]), "tensors_differing": n_diff,
                    "max_abs_diff": max_diff}
        all_equal &= n_diff == 0
    out["equal"] = all_equal
    return out


def fmt_cmp(c: dict) -> str:
    if c["equal"]:
        return f"byte-identical (G, G_ema, D; step {c['step_a']})"
    return "DIFFERENT: " + ", ".join(
        f"{k} {c[k]['tensors_differing']}/{c[k]['tensors']} tensors, max |diff| {c[k]['max_abs_diff']:.3g}"
        for k in ("G", "G_ema", "D"))


# --------------------------------------------------------------------------------------------
# concurrency: child processes
# --------------------------------------------------------------------------------------------

def child_main(args) -> None:
    """Start, signal READY, wait for 'go' on stdin, train, print one JSON line."""
    device = cgan.resolve_device(args.device)
    t_start = time.time()
    images, labels = make_images(args.n_images, args.size, args.data_seed)
    if device.type == "cuda":
        torch.zeros(1, device=device)
        torch.cuda.synchronize(device)
    cfg = cgan.CGANConfig(size=args.size, steps=args.k_steps, checkpoint_every=args.checkpoint_every,
                          device=args.device, seed=args.child_seed)
    print("READY", flush=True)
    sys.stdin.readline()
    t0 = time.time()
    cgan.train_cgan(images, labels, N_CLASSES, cfg, args.child_dir)
    sync(device)
    t1 = time.time()
    peak = torch.cuda.max_memory_allocated(device) if device.type == "cuda" else 0
    print(json.dumps({"t_start": t_start, "t0": t0, "t1": t1, "train_s": t1 - t0, "steps": cfg.steps,
                      "peak_mem_mb": peak / 2 ** 20}), flush=True)


def run_concurrent(k: int, args, workdir: Path, limit_s: float | None = None) -> dict:
    procs = []
    t_launch = time.time()
    for i in range(k):
        d = workdir / f"k{k}_{i}"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--child-dir", str(d),
               "--child-seed", str(i), "--device", args.device, "--size", str(args.size),
               "--k-steps", str(args.k_steps), "--checkpoint-every", str(args.checkpoint_every),
               "--n-images", str(args.n_images), "--data-seed", str(args.data_seed)]
        err = open(workdir / f"k{k}_{i}.stderr", "w")
        procs.append((subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                       text=True), err))
    ok = True
    for p, _ in procs:
        line = p.stdout.readline()
        if line.strip() != "READY":
            ok = False
    t_ready = time.time()
    for p, _ in procs:
        try:
            p.stdin.write("go\n")
            p.stdin.flush()
        except (BrokenPipeError, OSError):
            ok = False
    results = []
    for i, (p, err) in enumerate(procs):
        try:
            out, _ = p.communicate(timeout=None if limit_s is None else max(30.0, limit_s - (time.time() - t_ready)))
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
        err.close()
        lines = [ln for ln in out.splitlines() if ln.startswith("{")]
        if p.returncode != 0 or not lines:
            ok = False
            tail = (workdir / f"k{k}_{i}.stderr").read_text()[-1500:]
            say(f"  K={k} child {i} failed (rc {p.returncode}):\n{tail}")
            continue
        results.append(json.loads(lines[-1]))
    t_end = time.time()
    res = {"k": k, "ok": ok and len(results) == k, "steps_each": args.k_steps,
           "startup_s": t_ready - t_launch, "wall_with_startup_s": t_end - t_launch}
    if results:
        train_wall = max(r["t1"] for r in results) - min(r["t0"] for r in results)
        res.update({
            "train_wall_s": train_wall,
            "train_s_each_mean": float(np.mean([r["train_s"] for r in results])),
            "agg_gan_steps_per_s": len(results) * args.k_steps / train_wall,
            "agg_img_per_s": len(results) * args.k_steps * args.batch / train_wall,
            "peak_mem_mb_each": max(r["peak_mem_mb"] for r in results),
        })
    return res


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------

def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cuda", help="cuda (default), cuda:N or cpu")
    ap.add_argument("--size", type=int, default=48, help="GAN and image side (default 48)")
    ap.add_argument("--steps", type=int, default=2000, help="steps of the full run (default 2000)")
    ap.add_argument("--checkpoint-every", type=int, default=250)
    ap.add_argument("--n-images", type=int, default=400)
    ap.add_argument("--data-seed", type=int, default=0)
    ap.add_argument("--ks", default="1,2,4,8", help="concurrent processes to try ('' to skip)")
    ap.add_argument("--k-steps", type=int, default=500, help="steps of each concurrent GAN")
    ap.add_argument("--phases", default="a,b,c,d", help="which of a,b,c,d to run (b and c need a)")
    ap.add_argument("--deadline", type=float, default=None, help="seconds: start nothing after this")
    ap.add_argument("--json", default=None, help="write all numbers here")
    ap.add_argument("--workdir", default=None, help="checkpoints here (default: a temporary directory)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--child-dir", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--child-seed", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child_main(args)
        return

    device = cgan.resolve_device(args.device)
    base = cgan.CGANConfig(size=args.size, steps=args.steps, checkpoint_every=args.checkpoint_every,
                           device=args.device)
    args.batch = base.batch_size
    phases = {p.strip() for p in args.phases.split(",") if p.strip()}
    ks = [int(k) for k in args.ks.split(",") if k.strip()] if "d" in phases else []
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="cgan_cuda-"))
    workdir.mkdir(parents=True, exist_ok=True)

    report: dict = {"torch": torch.__version__, "python": platform.python_version(), "device": str(device),
                    "config": base.to_dict(), "n_images": args.n_images, "phases": {}}

    def dump() -> None:
        if args.json:
            Path(args.json).write_text(json.dumps(report, indent=2, default=str))

    def time_left() -> float:
        return float("inf") if args.deadline is None else args.deadline - (time.perf_counter() - T0)

    say(f"torch {torch.__version__}, python {platform.python_version()}, workdir {workdir}")
    if device.type == "cuda":
        t = time.perf_counter()
        torch.zeros(1, device=device)
        torch.cuda.synchronize(device)
        report["cuda_init_s"] = time.perf_counter() - t
        report["device_name"] = torch.cuda.get_device_name(device)
        say(f"device {report['device_name']}, CUDA context in {report['cuda_init_s']:.2f} s; "
            f"CUBLAS_WORKSPACE_CONFIG={os.environ.get('CUBLAS_WORKSPACE_CONFIG')!r}")
    else:
        report["device_name"] = f"cpu, {torch.get_num_threads()} torch threads"
    images, labels = make_images(args.n_images, args.size, args.data_seed)
    report["class_counts"] = np.bincount(labels, minlength=N_CLASSES).tolist()
    say(f"data: {len(images)} images {args.size}x{args.size}, classes {report['class_counts']}; "
        f"GAN: size {base.size}, batch {base.batch_size}, {base.steps} steps, checkpoint every "
        f"{base.checkpoint_every}, deterministic {base.deterministic}")
    dump()

    P = report["phases"]
    try:
        full = None
        if "a" in phases and time_left() > 0:
            say(f"a: full training, {args.steps} steps")
            r = train_timed(images, labels, base, workdir / "run1", device)
            if device.type == "cuda":
                r["peak_mem_mb"] = torch.cuda.max_memory_allocated(device) / 2 ** 20
            P["a_full"] = r
            full = r["final_checkpoint"]
            say(f"a: {r['wall_s']:.1f} s for {args.steps} steps, {r['img_per_s_overall']:.0f} img/s overall; "
                f"setup {r.get('setup_s', float('nan')):.2f} s, first {r.get('first_log_step')} steps "
                f"{r.get('first_log_s', float('nan')):.2f} s, steady {r.get('steady_ms_per_step', float('nan')):.2f} "
                f"ms/step ({r.get('steady_ms_per_step_no_ckpt', float('nan')):.2f} without checkpoints), "
                f"{r.get('steady_img_per_s', float('nan')):.0f} img/s; checkpoint {r.get('checkpoint_s_mean', float('nan')):.3f} s")
            for w in r["warnings"]:
                say(f"a: warning: {w}")
            dump()
        if "b" in phases and full and time_left() > 0:
            say("b: determinism, the same run into a fresh directory")
            r = train_timed(images, labels, base, workdir / "run2", device)
            r["compare"] = compare_final(full, r["final_checkpoint"])
            P["b_determinism"] = r
            say(f"b: {r['wall_s']:.1f} s; final weights vs a: {fmt_cmp(r['compare'])}")
            dump()
        if "c" in phases and full and time_left() > 0:
            half = args.steps // 2
            say(f"c: resume, {half} steps into A, then {args.steps} on A")
            cfg_half = cgan.CGANConfig.from_dict({**base.to_dict(), "steps": half})
            r1 = train_timed(images, labels, cfg_half, workdir / "resumeA", device)
            r2 = train_timed(images, labels, base, workdir / "resumeA", device)
            cmp_ = compare_final(full, r2["final_checkpoint"])
            P["c_resume"] = {"first": r1, "second": r2, "resumed_from_step": r2["start_step"], "compare": cmp_}
            say(f"c: {r1['wall_s']:.1f} s + {r2['wall_s']:.1f} s (resumed from step {r2['start_step']}); "
                f"final weights vs a: {fmt_cmp(cmp_)}")
            dump()
        if ks:
            if device.type == "cuda":
                torch.cuda.empty_cache()
            P["d_concurrency"] = []
            prev = None
            for k in ks:
                est = None if prev is None else prev["wall_with_startup_s"] * max(1.0, k / prev["k"])
                if time_left() <= 0 or (est is not None and est > time_left()):
                    say(f"d: K={k} skipped (estimated {est if est is None else round(est)} s, "
                        f"{time_left():.0f} s left before the deadline)")
                    P["d_concurrency"].append({"k": k, "skipped": True, "estimated_s": est})
                    continue
                say(f"d: K={k} concurrent processes, {args.k_steps} steps each")
                r = run_concurrent(k, args, workdir, None if args.deadline is None else time_left() + 30)
                P["d_concurrency"].append(r)
                prev = r
                if "train_wall_s" in r:
                    say(f"d: K={k}: start-up {r['startup_s']:.1f} s, training {r['train_wall_s']:.1f} s "
                        f"(each {r['train_s_each_mean']:.1f} s), {r['agg_gan_steps_per_s']:.1f} GAN-steps/s, "
                        f"{r['agg_img_per_s']:.0f} img/s aggregate, {r['peak_mem_mb_each']:.0f} MB peak each"
                        + ("" if r["ok"] else "  (SOME CHILDREN FAILED)"))
                dump()
    finally:
        dump()
        if not args.keep and not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)

    # summary
    print("\nsummary", flush=True)
    print(f"  device {report['device_name']}, torch {report['torch']}; GAN {args.size}px batch {args.batch}")
    a = P.get("a_full")
    if a:
        print(f"  a full run   {a['steps_config']} steps  {a['wall_s']:8.1f} s  {a['img_per_s_overall']:8.0f} img/s"
              f"  setup {a.get('setup_s', float('nan')):.2f} s  steady {a.get('steady_ms_per_step', float('nan')):.2f} ms/step"
              f"  ckpt {a.get('checkpoint_s_mean', float('nan')):.3f} s")
    if "b_determinism" in P:
        print(f"  b rerun      {fmt_cmp(P['b_determinism']['compare'])}")
    if "c_resume" in P:
        c = P["c_resume"]
        print(f"  c resume     from step {c['resumed_from_step']}: {fmt_cmp(c['compare'])}")
    if P.get("d_concurrency"):
        print(f"  d   K  start-up s  train wall s  GAN-steps/s      img/s  vs K=1")
        one = next((r for r in P["d_concurrency"] if r.get("k") == 1 and "agg_gan_steps_per_s" in r), None)
        for r in P["d_concurrency"]:
            if "agg_gan_steps_per_s" not in r:
                print(f"    {r['k']:3d}  skipped or failed")
                continue
            rel = r["agg_gan_steps_per_s"] / one["agg_gan_steps_per_s"] if one else float("nan")
            print(f"    {r['k']:3d}  {r['startup_s']:10.1f}  {r['train_wall_s']:12.1f}  {r['agg_gan_steps_per_s']:11.1f}"
                  f"  {r['agg_img_per_s']:9.0f}  {rel:5.2f}x")
    say("done" + (f"; JSON {args.json}" if args.json else ""))


if __name__ == "__main__":
    main()
