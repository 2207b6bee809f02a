"""One demo image: the face drawn, pose-jittered, downsampled, composited on a background, lit,
blurred and noised."""

from __future__ import annotations

import cv2
import numpy as np

from .drawing import _SS
from .face import _draw_face

# Difficulty knobs (calibrated so the grouped AdaBoost macro F1 is ~0.65-0.85; see tests).
# The class knobs are in babies.py.
_ROT_SD_DEG = 5.0  # in-plane head rotation (degrees, sd)
_SHIFT_SD = 0.025  # face-centre jitter (fraction of the image side, sd)
_NOISE_SD = (2.0, 10.0)  # sensor noise sd range (grey levels)


def _grid(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates in [-0.5, 0.5] (y, x) for gradients."""
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32) / (n - 1) - 0.5
    return yy, xx


def _background(b: dict, n: int) -> np.ndarray:
    """A two-colour linear gradient (cot sheet / wall / blanket stand-in), float32 (n, n, 3)."""
    yy, xx = _grid(n)
    t = np.clip(0.5 + xx * np.cos(b["bg_angle"]) + yy * np.sin(b["bg_angle"]), 0, 1)[..., None]
    return np.asarray(b["bg1"], np.float32) * (1 - t) + np.asarray(b["bg2"], np.float32) * t


def _render(b: dict, ex: dict, size: int, rng: np.random.Generator) -> np.ndarray:
    """One image: draw, pose-jitter, downsample, composite, light, blur, add noise -> uint8 RGB."""
    H = size * _SS
    layer, alpha = _draw_face(b, ex, H, rng)
    # pose jitter: in-plane rotation, translation, small scale change (at high resolution)
    ang = float(np.clip(rng.normal(0, _ROT_SD_DEG), -2.5 * _ROT_SD_DEG, 2.5 * _ROT_SD_DEG))
    sc = rng.uniform(0.93, 1.06)
    M = cv2.getRotationMatrix2D((H / 2, H / 2), ang, sc)
    M[:, 2] += rng.normal(0, _SHIFT_SD * H, 2)
    layer = cv2.warpAffine(layer, M, (H, H), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
    alpha = cv2.warpAffine(alpha, M, (H, H), flags=cv2.INTER_LINEAR, borderValue=0)
    # the layer is black outside the face, i.e. premultiplied by alpha, so it can be
    # area-downsampled before compositing; the rest of the pipeline runs at output size
    layer = cv2.resize(layer.astype(np.float32), (size, size), interpolation=cv2.INTER_AREA)
    a = cv2.resize(alpha.astype(np.float32) / 255.0, (size, size), interpolation=cv2.INTER_AREA)[..., None]
    img = _background(b, size) * (1 - a) + layer
    # lighting: a linear gradient of random direction and strength, plus overall exposure
    th = rng.uniform(0, 2 * np.pi)
    yy, xx = _grid(size)
    light = rng.uniform(0.85, 1.1) * (1 + rng.uniform(0.0, 0.5) * (xx * np.cos(th) + yy * np.sin(th)))
    img = img * light[..., None]
    img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.35, 0.9))
    img = img + rng.normal(0, rng.uniform(*_NOISE_SD), img.shape).astype(np.float32)
    return np.clip(img + 0.5, 0, 255).astype(np.uint8)
