"""What every detector returns (:class:`Detection`), the input check they share, and the
per-process cache of loaded models."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np


@dataclass
class Detection:
    """One face: ``box`` = (x0, y0, x1, y1) in pixels of the input image,
    ``score`` in [0, 1] (NaN for detector ``none``), ``keypoints`` (6, 2) in
    pixels or None.  BlazeFace keypoint order, from the subject's side:
    right eye, left eye, nose tip, mouth, right ear, left ear."""

    box: tuple[float, float, float, float]
    score: float
    keypoints: np.ndarray | None = None

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    @property
    def area(self) -> float:
        return max(self.width, 0.0) * max(self.height, 0.0)

    @property
    def center(self) -> tuple[float, float]:
        return ((self.box[0] + self.box[2]) / 2, (self.box[1] + self.box[3]) / 2)


# Per process: a cv2.dnn.Net must not be shared across a fork.
_NET_CACHE: dict[tuple[int, str], object] = {}


def _cached(key: str, factory: Callable[[], object]) -> object:
    k = (os.getpid(), key)
    obj = _NET_CACHE.get(k)
    if obj is None:
        obj = _NET_CACHE[k] = factory()
    return obj


def _as_rgb(rgb: np.ndarray) -> np.ndarray:
    rgb = np.asarray(rgb)
    if rgb.dtype != np.uint8:
        raise TypeError(f"expected a uint8 image, got {rgb.dtype}")
    if rgb.ndim == 2:
        return cv2.cvtColor(rgb, cv2.COLOR_GRAY2RGB)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 RGB image, got shape {rgb.shape}")
    return rgb

