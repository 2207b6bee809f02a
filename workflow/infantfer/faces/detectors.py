"""The other detectors (OpenCV's Haar cascade, ``none``) and :func:`make_detector`, which builds
one by its ``faces.detector`` name."""

from __future__ import annotations

import cv2
import numpy as np

from ..schema import defaults

from .blazeface import BlazeFaceDetector
from .detection import Detection, _as_rgb, _cached

_MIN_SCORE = defaults("faces")["min_score"]  # the schema's faces.min_score

DETECTORS = ("blazeface", "haar", "none")


class HaarDetector:
    """OpenCV's frontal-face Haar cascade (baseline; no keypoints, score 1.0)."""

    cascade_file = "haarcascade_frontalface_default.xml"
    # Faces smaller than the 24 px cascade window are invisible to it, so
    # small images are upscaled; very large ones are reduced to save time.
    min_long_side = 128
    max_long_side = 256
    # Faces under a tenth of the shorter side are not searched for: the
    # smallest scales cost most of the time (3x faster on the adult sample).
    min_face_frac = 0.1

    def __init__(self, min_score: float = _MIN_SCORE, scale_factor: float = 1.1, min_neighbors: int = 5):
        self.min_score = float(min_score)  # unused: the cascade gives no score
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        path = cv2.data.haarcascades + self.cascade_file

        def load():
            c = cv2.CascadeClassifier(path)
            if c.empty():
                raise FileNotFoundError(f"cannot load Haar cascade {path}")
            return c

        self.cascade = _cached("haar", load)

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        rgb = _as_rgb(rgb)
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        h, w = grey.shape
        long_side = max(h, w)
        s = 1.0
        if long_side < self.min_long_side:
            s = self.min_long_side / long_side
        elif long_side > self.max_long_side:
            s = self.max_long_side / long_side
        if s != 1.0:
            grey = cv2.resize(grey, (max(1, round(w * s)), max(1, round(h * s))),
                              interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
        grey = cv2.equalizeHist(grey)  # cascade is sensitive to exposure
        m = max(24, int(self.min_face_frac * min(grey.shape)))
        found = self.cascade.detectMultiScale(grey, scaleFactor=self.scale_factor,
                                              minNeighbors=self.min_neighbors, minSize=(m, m))
        sx, sy = w / grey.shape[1], h / grey.shape[0]
        return [Detection(box=(float(x * sx), float(y * sy), float((x + bw) * sx), float((y + bh) * sy)),
                          score=1.0, keypoints=None)
                for (x, y, bw, bh) in np.asarray(found).reshape(-1, 4)]


class NoneDetector:
    """No detection: the whole image is the face (pre-cropped data)."""

    def __init__(self, min_score: float = _MIN_SCORE):
        self.min_score = float(min_score)

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        h, w = rgb.shape[:2]
        return [Detection(box=(0.0, 0.0, float(w), float(h)), score=float("nan"), keypoints=None)]


def make_detector(name: str, min_score: float = _MIN_SCORE):
    """Build a detector: ``"blazeface"``, ``"haar"`` or ``"none"``."""
    key = str(name).lower()
    if key == "blazeface":
        return BlazeFaceDetector(min_score=min_score)
    if key == "haar":
        return HaarDetector(min_score=min_score)
    if key == "none":
        return NoneDetector(min_score=min_score)
    raise ValueError(f"unknown face detector {name!r}; choose one of {', '.join(DETECTORS)}")

