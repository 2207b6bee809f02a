"""Crop geometry: a square around a face (levelled on the eyes), or the whole image, resized and
greyscale."""

from __future__ import annotations

import math

import cv2
import numpy as np

from ..schema import defaults

from .detection import Detection

_FACES = defaults("faces")  # the keyword defaults: the schema's faces section


def eye_angle(keypoints: np.ndarray) -> float:
    """Angle (degrees, image coordinates) of the line from the subject's right
    eye (keypoint 0, image left) to the left eye (keypoint 1)."""
    (rx, ry), (lx, ly) = keypoints[0], keypoints[1]
    return math.degrees(math.atan2(ly - ry, lx - rx))


def crop_face(rgb_or_grey: np.ndarray, det: Detection, *, size: int = _FACES["size"], margin: float = _FACES["margin"],
              align: bool = _FACES["align"], equalize: bool = _FACES["equalize"]) -> np.ndarray:
    """Square crop around ``det`` (``margin`` of the box size added on each
    side), levelled on the eyes if ``align`` and keypoints exist, resized to
    ``size`` x ``size`` with INTER_AREA, greyscale uint8.  Parts of the square
    outside the image are filled by replicating the edge."""
    grey = _to_grey(rgb_or_grey)
    cx, cy = det.center
    side = max(det.width, det.height) * (1.0 + 2.0 * margin)
    angle = eye_angle(det.keypoints) if (align and det.keypoints is not None) else 0.0
    return _square_crop(grey, cx, cy, side, angle, size, equalize)


def whole_image(rgb_or_grey: np.ndarray, *, size: int = _FACES["size"], equalize: bool = _FACES["equalize"]) -> np.ndarray:
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

