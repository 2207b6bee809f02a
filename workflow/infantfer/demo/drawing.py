"""Drawing primitives of the demo's faces: anti-aliased, sub-pixel OpenCV shapes, alpha blending
and colour helpers."""

from __future__ import annotations

import cv2
import numpy as np

# Supersampling factor: draw at SS * size, downsample with INTER_AREA (cheap anti-aliasing).
_SS = 4
# cv2 fixed-point sub-pixel drawing: coordinates are multiplied by 2**_SHIFT.
_SHIFT = 4
_FP = 1 << _SHIFT


def _p(x: float, y: float) -> tuple[int, int]:
    """A point in cv2 fixed-point (sub-pixel) coordinates."""
    return (int(round(x * _FP)), int(round(y * _FP)))


def _pts(xy: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(xy, dtype=np.float64) * _FP).astype(np.int32).reshape(-1, 1, 2)


def _ellipse(img, c, axes, angle, color, thickness=-1, start=0, end=360):
    ax = (max(1, int(round(axes[0] * _FP))), max(1, int(round(axes[1] * _FP))))
    cv2.ellipse(img, _p(*c), ax, angle, start, end, color, thickness, cv2.LINE_AA, _SHIFT)


def _poly(img, xy, color, thickness=-1, closed=False):
    pts = _pts(xy)
    if thickness < 0:
        cv2.fillPoly(img, [pts], color, cv2.LINE_AA, _SHIFT)
    else:
        cv2.polylines(img, [pts], closed, color, max(1, int(round(thickness))), cv2.LINE_AA, _SHIFT)


def _blend(img: np.ndarray, mask: np.ndarray, color, alpha: float, blur: float = 0.0) -> None:
    """Alpha-blend a flat colour into img (uint8 RGB) where mask (uint8) is set; in place.

    Works on the mask's bounding box only (speed); blur > 0 softens the mask edge first.
    """
    x, y, w, h = cv2.boundingRect(mask)
    if w == 0 or h == 0 or alpha <= 0:
        return
    pad = int(np.ceil(3 * blur))
    H, W = mask.shape
    x0, y0, x1, y1 = max(0, x - pad), max(0, y - pad), min(W, x + w + pad), min(H, y + h + pad)
    m = mask[y0:y1, x0:x1]
    if blur > 0:
        m = cv2.GaussianBlur(m, (0, 0), blur)
    a = (m.astype(np.float32) * (alpha / 255.0))[..., None]
    roi = img[y0:y1, x0:x1].astype(np.float32)
    img[y0:y1, x0:x1] = np.clip(roi + (np.asarray(color, np.float32) - roi) * a + 0.5, 0, 255).astype(np.uint8)


def _shade(color, f: float) -> tuple[int, int, int]:
    """Darken (f < 1) or lighten (f > 1) an RGB colour."""
    return tuple(int(np.clip(c * f, 0, 255)) for c in color)


def _mix(a, b, t: float) -> tuple[int, int, int]:
    return tuple(int(round((1 - t) * x + t * y)) for x, y in zip(a, b))


def _curve(x0, x1, y_of_u, n=24) -> np.ndarray:
    """Points (x, y) along x0..x1 with y given as a function of u in [-1, 1]."""
    u = np.linspace(-1.0, 1.0, n)
    return np.stack([x0 + (u + 1) / 2 * (x1 - x0), y_of_u(u)], axis=1)
