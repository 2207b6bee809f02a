"""Throughput of ingest + faces on ONE core, on the shared adult sample.

Times, per image, what the faces stage does: read (``load_rgb``, EXIF
orientation included), detect, crop/align/resize/greyscale, and the report
row, by running ``extract_faces`` over all images; best of 3 runs, for
BlazeFace and Haar.  Also prints where the time goes (read / detect / crop).

    .venv/bin/python benchmarks/faces_throughput.py [--runs 3]

Target: >= 100 img/s for BlazeFace on one core.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import time
from pathlib import Path

# One core: set before OpenCV/numpy spin up their pools.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import cv2  # noqa: E402
import pandas as pd  # noqa: E402

from infantfer import faces  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "faces_adult_sample"
TARGET = 100.0


def _manifest() -> pd.DataFrame:
    labels = pd.read_csv(SAMPLE / "labels.csv")
    return pd.DataFrame({
        "id": labels["file"].astype(str),
        "path": [str(SAMPLE / f) for f in labels["file"]],
        "label": labels["label"].astype(str),
        "group": labels["subject"].astype(str),
    })


def _breakdown(man: pd.DataFrame, name: str) -> str:
    det = faces.make_detector(name)
    t_read = t_det = t_crop = 0.0
    for p in man["path"]:
        t0 = time.perf_counter()
        rgb = faces.load_rgb(p)
        t1 = time.perf_counter()
        dets = det.detect(rgb)
        t2 = time.perf_counter()
        if dets:
            faces.crop_face(rgb, max(dets, key=lambda d: d.area), align=(name == "blazeface"))
        t3 = time.perf_counter()
        t_read += t1 - t0
        t_det += t2 - t1
        t_crop += t3 - t2
    n = len(man)
    return (f"read {1e3 * t_read / n:.2f} ms, detect {1e3 * t_det / n:.2f} ms, "
            f"crop {1e3 * t_crop / n:.2f} ms per image")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    if not (SAMPLE / "labels.csv").is_file():
        print(f"faces_throughput: shared adult sample not found at {SAMPLE}; nothing to measure.")
        return 0

    cv2.setNumThreads(1)
    man = _manifest()
    n = len(man)
    print(f"machine: {platform.processor() or platform.machine()} | {os.cpu_count()} CPUs | "
          f"{platform.platform()} | python {platform.python_version()} | opencv {cv2.__version__} | "
          f"cv2 threads {cv2.getNumThreads()}")
    print(f"sample: {n} images from {SAMPLE}")
    quiet = logging.getLogger("infantfer.faces.benchmark")
    quiet.setLevel(logging.ERROR)  # the bias warnings are printed once below
    rates = {}
    for name in ("blazeface", "haar"):
        faces.make_detector(name)  # load the model outside the timing
        best = float("inf")
        for _ in range(args.runs):
            t0 = time.perf_counter()
            _, report = faces.extract_faces(man, detector=name, progress_every=0, logger=quiet)
            best = min(best, time.perf_counter() - t0)
        found = int(report["status"].eq("ok").sum())
        rates[name] = n / best
        print(f"{name:9s}: {n / best:7.1f} img/s (best of {args.runs}: {best:.3f} s for {n} images), "
              f"faces found {found}/{n} ({found / n:.1%}) | {_breakdown(man, name)}")
        for w in faces.detector_bias(report):
            print(f"           bias warning: {w}")
    verdict = "meets" if rates["blazeface"] >= TARGET else "BELOW"
    print(f"blazeface {verdict} the target of {TARGET:.0f} img/s on one core")
    return 0


if __name__ == "__main__":
    sys.exit(main())
