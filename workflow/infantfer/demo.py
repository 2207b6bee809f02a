"""Built-in demo dataset: procedurally drawn, cartoon-like infant faces (cry / laugh / neutral).

What it is for
    The workflow's default dataset. It needs no download and no licence, so every rule
    (loading, grouped splits, SMOTEENN, the CGAN, evaluation, reports) can be run and tested
    end to end on a laptop in seconds.

What it is not
    The images are SYNTHETIC cartoons drawn with OpenCV primitives. They are not photographs
    and resemble real infants only loosely. Use them to test mechanics, never to make claims
    about infants, about infant expressions, or about how well a method works on real data.

How it is built
    * Each synthetic *baby* has fixed identity parameters (skin tone from light to dark, face
      size and shape, eye spacing, feature positions, hair, background palette). Every image of
      that baby jitters pose, lighting, noise and expression intensity, so a split that ignores
      ``groups`` leaks identity - exactly what the grouped split must guard against.
    * Most images of a baby share one class; a few are of another class, as with real infants.
    * Expressions vary in intensity and overlap (a faint cry or a faint smile looks nearly
      neutral; crying babies sometimes keep their eyes open; laughing babies sometimes squint),
      so a pixel classifier lands in a realistic, non-trivial band: the grouped 3-fold AdaBoost
      check in ``tests/test_demo.py`` gives a macro F1 of about 0.79 for seed 0
      (0.64-0.79 over seeds 0..4).
    * Default counts are imbalanced like real infant sets: cry 150 / laugh 60 / neutral 20.
    * Deterministic: one ``np.random.default_rng(seed)`` drives everything; the same seed gives
      byte-identical images.
    * Faces are drawn at 4x the output size and downsampled (INTER_AREA), which anti-aliases
      every shape; then blur and sensor noise are added at the output size.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

__all__ = ["CLASSES", "DEFAULT_COUNTS", "DemoSet", "class_groups", "generate_demo", "write_demo", "save_sample_grid"]

CLASSES: tuple[str, ...] = ("cry", "laugh", "neutral")
DEFAULT_COUNTS: dict[str, int] = {"cry": 150, "laugh": 60, "neutral": 20}

# Supersampling factor: draw at SS * size, downsample with INTER_AREA (cheap anti-aliasing).
_SS = 4
# cv2 fixed-point sub-pixel drawing: coordinates are multiplied by 2**_SHIFT.
_SHIFT = 4
_FP = 1 << _SHIFT

# Difficulty knobs (calibrated so the grouped AdaBoost macro F1 is ~0.65-0.85; see tests).
_P_OTHER_CLASS = 0.2  # chance an image of a baby shows a class other than the baby's main one
_INTENSITY_MIN = 0.45  # expression intensity ~ U(_INTENSITY_MIN, 1) for cry/laugh; 0 = looks neutral
_ROT_SD_DEG = 5.0  # in-plane head rotation (degrees, sd)
_SHIFT_SD = 0.025  # face-centre jitter (fraction of the image side, sd)
_NOISE_SD = (2.0, 10.0)  # sensor noise sd range (grey levels)


@dataclass
class DemoSet:
    """A generated demo dataset (arrays in id order)."""

    images: np.ndarray  # uint8 (N, S, S, 3) RGB
    labels: np.ndarray  # str (N,)
    groups: np.ndarray  # str (N,) baby id, e.g. "baby017"
    ids: np.ndarray  # str (N,) e.g. "demo_0000"

    def __len__(self) -> int:
        return len(self.labels)


# --------------------------------------------------------------------------- drawing helpers
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


# --------------------------------------------------------------------------- identity & expression
_LIGHT_SKIN = (246, 214, 190)
_DARK_SKIN = (92, 58, 40)
_HAIR = [(40, 28, 20), (90, 60, 35), (170, 130, 80), (220, 190, 130), (20, 18, 18), (120, 70, 40)]
_IRIS = [(60, 40, 25), (35, 25, 20), (70, 100, 140), (90, 80, 50)]


def _sample_baby(rng: np.random.Generator, H: int) -> dict:
    """Fixed identity parameters of one synthetic baby (all lengths in high-res pixels)."""
    t = rng.uniform(0, 1)  # skin tone: 0 light .. 1 dark
    skin = _mix(_LIGHT_SKIN, _DARK_SKIN, t)
    skin = tuple(int(np.clip(c + d, 0, 255)) for c, d in zip(skin, rng.normal(0, 6, 3)))
    R = H * rng.uniform(0.36, 0.42)  # face half-width: the face fills most of the crop
    bg1 = tuple(int(v) for v in rng.integers(40, 240, 3))
    bg2 = _mix(bg1, tuple(int(v) for v in rng.integers(40, 240, 3)), rng.uniform(0.2, 0.8))
    return dict(
        tone=t,
        skin=skin,
        R=R,
        aspect=rng.uniform(1.0, 1.14),  # taller than wide, but only a little: round infant faces
        jowl=rng.uniform(0.48, 0.60),  # chubby lower cheeks
        eye_dx=rng.uniform(0.30, 0.40) * R,
        eye_y=rng.uniform(0.02, 0.16) * R,  # eyes low on the face: big forehead
        eye_r=rng.uniform(0.09, 0.125) * R,
        iris=_IRIS[rng.integers(len(_IRIS))],
        brow_dy=rng.uniform(0.22, 0.30) * R,
        brow_dark=rng.uniform(0.55, 0.8),
        nose_y=rng.uniform(0.28, 0.36) * R,
        mouth_y=rng.uniform(0.52, 0.62) * R,
        mouth_w=rng.uniform(0.22, 0.28) * R,
        hair=_HAIR[rng.integers(len(_HAIR))],
        tufts=int(rng.choice([0, 0, 1, 2, 3, 4])),
        hair_cap=rng.uniform(0.0, 0.6) if rng.uniform() < 0.5 else 0.0,
        bg1=bg1,
        bg2=bg2,
        bg_angle=rng.uniform(0, 2 * np.pi),
        cheek=_mix(skin, (235, 110, 120), rng.uniform(0.25, 0.45)),
    )


def _sample_expression(rng: np.random.Generator, label: str) -> dict:
    """Expression parameters; intensity e spreads each class from near-neutral to full-blown."""
    e = rng.uniform(_INTENSITY_MIN, 1.0)
    if label == "cry":
        closed = rng.uniform() < 0.35 + 0.5 * e  # crying eyes are often, not always, screwed shut
        return dict(
            open=float(np.clip(0.15 + 0.85 * e + rng.normal(0, 0.12), 0, 1)),
            curve=float(-(0.1 + 0.8 * e) + rng.normal(0, 0.15)),  # down-turned corners
            width=1.0 + 0.7 * e + rng.normal(0, 0.08),
            square=2.0 + 4.0 * e,  # higher -> boxier mouth
            eye_open=0.0 if closed else rng.uniform(0.35, 0.85),
            eye_closed_style="squeeze",
            brow_inner=float(0.2 + 0.8 * e + rng.normal(0, 0.15)),  # inner corners up/furrowed
            tears=rng.uniform() < 0.1 + 0.45 * e,
            flush=0.25 * e + rng.uniform(0, 0.1),  # crying faces redden
            cheek=0.3,
            pacifier=rng.uniform() < 0.02,
        )
    if label == "laugh":
        closed = rng.uniform() < 0.1 + 0.3 * e  # happy squint
        return dict(
            open=float(np.clip(0.15 + 0.85 * e * rng.uniform(0.6, 1.0) + rng.normal(0, 0.1), 0, 1)),
            curve=float(0.15 + 0.85 * e + rng.normal(0, 0.15)),  # up-turned corners
            width=1.0 + 1.0 * e + rng.normal(0, 0.08),
            square=2.0,
            eye_open=0.0 if closed else rng.uniform(0.45, 1.0) * (1 - 0.35 * e),
            eye_closed_style="happy",
            brow_inner=float(-0.1 * e + rng.normal(0, 0.12)),
            tears=False,
            flush=rng.uniform(0, 0.08),
            cheek=0.45 + 0.4 * e,
            pacifier=False,
        )
    # neutral: mostly a small closed mouth, sometimes slightly open / faintly curved, sometimes asleep
    closed = rng.uniform() < 0.12
    return dict(
        open=float(np.clip(rng.uniform(-0.2, 0.35), 0, 1)),
        curve=float(rng.normal(0, 0.22)),
        width=1.0 + rng.normal(0, 0.1),
        square=2.0,
        eye_open=0.0 if closed else rng.uniform(0.6, 1.0),
        eye_closed_style="sleep",
        brow_inner=float(rng.normal(0, 0.15)),
        tears=False,
        flush=rng.uniform(0, 0.08),
        cheek=0.3,
        pacifier=rng.uniform() < 0.12,
    )


# --------------------------------------------------------------------------- face parts
def _draw_face_shape(layer, alpha, b, cx, cy, ex):
    """Ears, round head with chubby jowls; alpha gets the silhouette."""
    R, ry = b["R"], b["R"] * b["aspect"]
    skin = _mix(b["skin"], (225, 70, 70), ex["flush"])  # crying faces redden
    ear = _shade(skin, 0.9)
    for s in (-1, 1):
        for img, col in ((layer, ear), (alpha, 255)):
            _ellipse(img, (cx + s * 0.97 * R, cy + 0.12 * R), (0.16 * R, 0.23 * R), 0, col)
    for img, col in ((layer, skin), (alpha, 255)):
        _ellipse(img, (cx, cy - 0.05 * R), (R, ry), 0, col)
        for s in (-1, 1):  # jowls widen the lower face; the chin stays small
            jr = b["jowl"] * R
            _ellipse(img, (cx + s * 0.42 * R, cy + 0.38 * R), (jr, jr * 0.9), 0, col)


def _draw_hair(layer, alpha, b, cx, cy, rng):
    R, ry = b["R"], b["R"] * b["aspect"]
    top = cy - 0.05 * R - ry
    if b["hair_cap"] > 0:  # thin fuzz on the crown
        m = np.zeros(alpha.shape, np.uint8)
        _ellipse(m, (cx, cy - 0.05 * R), (R * 0.98, ry * 0.98), 0, 255, -1, 200, 340)
        _ellipse(m, (cx, top + 0.5 * ry), (R * 0.95, ry * 0.5), 0, 255, -1, 180, 360)
        m = cv2.bitwise_and(m, alpha)
        _blend(layer, m, b["hair"], b["hair_cap"])
    th = max(2, int(round(0.035 * R)))
    for _ in range(b["tufts"]):  # curly tufts sticking up from the crown
        x0 = cx + rng.uniform(-0.35, 0.35) * R
        y0 = top + 0.08 * R
        s = rng.choice([-1, 1])
        h = rng.uniform(0.18, 0.32) * R
        u = np.linspace(0, 1, 12)
        xy = np.stack([x0 + s * h * 0.7 * np.sin(u * 2.6), y0 - h * u + 0.25 * h * u**2], axis=1)
        _poly(layer, xy, b["hair"], th)
        _poly(alpha, xy, 255, th)


def _draw_eye(layer, b, x, y, openness, style, R):
    r = b["eye_r"]
    dark = _shade(b["skin"], 0.35)
    th = max(2, int(round(0.045 * R)))
    if openness <= 0.05:
        if style == "squeeze":  # tightly shut: a flat crease with creases fanning out
            xy = _curve(x - 1.2 * r, x + 1.2 * r, lambda u: y + 0.25 * r * (u**2 - 0.5))
            _poly(layer, xy, dark, th + 1)
            for k in (-1, 1):
                _poly(layer, [(x + k * 1.25 * r, y), (x + k * 1.6 * r, y - 0.35 * r)], dark, th - 1)
                _poly(layer, [(x + k * 1.25 * r, y), (x + k * 1.6 * r, y + 0.3 * r)], dark, th - 1)
        elif style == "happy":  # ^ ^ arcs of a laughing squint
            xy = _curve(x - r, x + r, lambda u: y + 0.55 * r * (u**2 - 0.4))
            _poly(layer, xy, dark, th)
        else:  # sleeping: gentle downward arcs
            xy = _curve(x - r, x + r, lambda u: y - 0.45 * r * (u**2 - 0.6))
            _poly(layer, xy, dark, th)
        return
    ry = r * (0.25 + 0.75 * openness)
    _ellipse(layer, (x, y), (r * 1.05, ry * 1.02), 0, (245, 245, 240))  # sclera
    _ellipse(layer, (x, y), (r * 0.72, min(ry, r * 0.72)), 0, b["iris"])
    _ellipse(layer, (x, y), (r * 0.38, min(ry, r * 0.38) * 0.95), 0, (15, 12, 12))  # pupil
    _ellipse(layer, (x + 0.25 * r, y - 0.3 * min(ry, r)), (0.16 * r, 0.16 * r), 0, (255, 255, 255))
    _ellipse(layer, (x, y), (r * 1.05, ry * 1.02), 0, dark, max(1, th - 1))  # lid outline


def _draw_brows(layer, b, cx, ey, inner, R):
    """Faint infant brows; inner > 0 raises the inner ends (distress), < 0 lowers them."""
    col = _shade(b["skin"], b["brow_dark"])
    th = max(2, int(round(0.04 * R)))
    for s in (-1, 1):
        xi = cx + s * (b["eye_dx"] - 1.0 * b["eye_r"])
        xo = cx + s * (b["eye_dx"] + 1.3 * b["eye_r"])
        yb = ey - b["brow_dy"]
        yi = yb - inner * 0.14 * R
        yo = yb + max(inner, 0) * 0.04 * R
        mid = ((xi + xo) / 2, (yi + yo) / 2 - 0.04 * R)
        _poly(layer, [(xi, yi), mid, (xo, yo)], col, th)
    if inner > 0.5:  # furrow lines between raised inner brows
        for s in (-1, 1):
            x = cx + s * 0.06 * R
            _poly(layer, [(x, ey - b["brow_dy"] - 0.16 * R), (x - s * 0.02 * R, ey - b["brow_dy"] + 0.02 * R)],
                  col, max(1, th - 1))


def _mouth_outline(mx, my, ex, b) -> tuple[np.ndarray, np.ndarray, float]:
    """Upper and lower lip curves of the mouth opening (u in [-1, 1], corners at |u| = 1)."""
    w = b["mouth_w"] * max(0.6, ex["width"])
    R = b["R"]
    yc = my - ex["curve"] * 0.22 * R  # corners: up for smiles, down for cries
    q = ex["square"]
    f = lambda u: 1.0 - np.abs(u) ** q  # noqa: E731  # larger q -> flatter, boxier profile
    o = ex["open"]
    top_mid = my - o * 0.20 * R - max(-ex["curve"], 0) * 0.10 * R  # cries arch the upper lip
    bot_mid = my + o * 0.36 * R + max(ex["curve"], 0) * 0.06 * R  # smiles hang a D-shape
    upper = _curve(mx - w, mx + w, lambda u: yc + (top_mid - yc) * f(u))
    lower = _curve(mx - w, mx + w, lambda u: yc + (bot_mid - yc) * f(u))
    return upper, lower, w


def _draw_mouth(layer, b, cx, cy, ex, R):
    mx, my = cx, cy + b["mouth_y"]
    lip = _mix(b["skin"], (120, 35, 45), 0.55)
    dark = _shade(b["skin"], 0.35)
    th = max(2, int(round(0.04 * R)))
    upper, lower, w = _mouth_outline(mx, my, ex, b)
    if ex["open"] < 0.12:  # closed: one curved line, corners up or down
        yc = upper[0, 1]
        xy = _curve(mx - w * 0.85, mx + w * 0.85, lambda u: my + (yc - my) * u**2)
        _poly(layer, xy, lip, th + 1)
        _poly(layer, xy, _mix(lip, dark, 0.5), max(1, th - 1))
        return
    hole = np.concatenate([upper, lower[::-1]])
    _poly(layer, hole, lip, th + 2, closed=True)  # lips
    _poly(layer, hole, (45, 10, 20))  # dark mouth interior
    if ex["open"] > 0.35:  # tongue at the bottom of a wide-open mouth
        ty = lower[len(lower) // 2, 1]
        _ellipse(layer, (mx, ty - 0.06 * R), (w * 0.5, 0.07 * R), 0, (205, 95, 105), -1, 180, 360)


def _draw_tears(layer, b, cx, ey, R, rng):
    m = np.zeros(layer.shape[:2], np.uint8)
    for s in (-1, 1):
        if rng.uniform() < 0.8:
            x = cx + s * (b["eye_dx"] + rng.uniform(0.2, 0.9) * b["eye_r"])
            y0 = ey + 0.5 * b["eye_r"]
            L = rng.uniform(0.2, 0.45) * R
            xy = [(x, y0), (x + s * 0.03 * R, y0 + L * 0.5), (x + s * 0.02 * R, y0 + L)]
            _poly(m, xy, 255, max(2, int(round(0.05 * R))))
            _ellipse(m, (x + s * 0.02 * R, y0 + L), (0.045 * R, 0.06 * R), 0, 255)
    _blend(layer, m, (215, 235, 255), 0.75)


def _draw_pacifier(layer, b, cx, cy, R):
    mx, my = cx, cy + b["mouth_y"]
    _ellipse(layer, (mx, my), (0.34 * R, 0.17 * R), 0, (110, 170, 220))  # shield
    _ellipse(layer, (mx, my), (0.34 * R, 0.17 * R), 0, (70, 120, 170), max(1, int(0.03 * R)))
    _ellipse(layer, (mx, my), (0.1 * R, 0.1 * R), 0, (240, 240, 240), max(2, int(0.04 * R)))  # ring


def _draw_face(b: dict, ex: dict, H: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Face layer (uint8 RGB) and its alpha (uint8), upright and centred, at high resolution."""
    layer = np.zeros((H, H, 3), np.uint8)
    alpha = np.zeros((H, H), np.uint8)
    R = b["R"]
    cx, cy = H / 2, H / 2 + 0.02 * H
    _draw_face_shape(layer, alpha, b, cx, cy, ex)
    _draw_hair(layer, alpha, b, cx, cy, rng)

    # cheeks: soft blush, higher and stronger when laughing
    m = np.zeros((H, H), np.uint8)
    lift = 0.08 * R * (ex["cheek"] - 0.3)
    for s in (-1, 1):
        _ellipse(m, (cx + s * 0.52 * R, cy + 0.38 * R - lift), (0.2 * R, 0.14 * R), 0, 255)
    _blend(layer, m, b["cheek"], min(1.0, ex["cheek"]), blur=0.06 * R)

    ey = cy + b["eye_y"]
    for s in (-1, 1):
        _draw_eye(layer, b, cx + s * b["eye_dx"], ey, ex["eye_open"], ex["eye_closed_style"], R)
    _draw_brows(layer, b, cx, ey, ex["brow_inner"], R)
    # small button nose: a shaded blob and two nostril dots
    _ellipse(layer, (cx, cy + b["nose_y"]), (0.09 * R, 0.06 * R), 0, _shade(b["skin"], 0.88))
    for s in (-1, 1):
        _ellipse(layer, (cx + s * 0.04 * R, cy + b["nose_y"] + 0.02 * R), (0.015 * R, 0.012 * R), 0,
                 _shade(b["skin"], 0.55))
    if ex["pacifier"]:
        _draw_pacifier(layer, b, cx, cy, R)
    else:
        _draw_mouth(layer, b, cx, cy, ex, R)
    if ex["tears"]:
        _draw_tears(layer, b, cx, ey, R, rng)
    return layer, alpha


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


# --------------------------------------------------------------------------- public API
def _assign_babies(counts: dict[str, int], images_per_baby: tuple[int, int], rng) -> list[tuple[int, str]]:
    """(baby index, label) per image: babies get 3-8 images, mostly of one main class."""
    remaining = {c: int(n) for c, n in counts.items() if int(n) > 0}
    lo, hi = images_per_baby
    out: list[tuple[int, str]] = []
    baby = 0
    while sum(remaining.values()) > 0:
        classes = sorted(remaining)
        w = np.array([remaining[c] for c in classes], float)
        main = classes[rng.choice(len(classes), p=w / w.sum())]
        n = int(rng.integers(lo, hi + 1))
        for _ in range(n):
            avail = [c for c in sorted(remaining) if remaining[c] > 0]
            if not avail:
                break
            others = [c for c in avail if c != main]
            if main in avail and (not others or rng.uniform() >= _P_OTHER_CLASS):
                lab = main
            else:  # a baby may also appear with another expression
                lab = others[rng.integers(len(others))]
            remaining[lab] -= 1
            out.append((baby, lab))
        baby += 1
    return out


def class_groups(counts: dict[str, int] | None = None, seed: int = 0,
                 images_per_baby: tuple[int, int] = (3, 8)) -> dict[str, int]:
    """Babies (groups) per class of :func:`generate_demo` with the same arguments, without drawing an
    image: its first draws from the seed plan the babies. The check before any job counts these."""
    counts = dict(DEFAULT_COUNTS if counts is None else counts)
    babies: dict[str, set[int]] = {}
    for baby, label in _assign_babies(counts, images_per_baby, np.random.default_rng(seed)):
        babies.setdefault(label, set()).add(baby)
    return {label: len(babies[label]) for label in sorted(babies)}


def generate_demo(
    counts: dict[str, int] | None = None,
    size: int = 64,
    seed: int = 0,
    images_per_baby: tuple[int, int] = (3, 8),
) -> DemoSet:
    """Draw the synthetic demo set. Same arguments -> byte-identical output.

    counts: images per class (default cry 150 / laugh 60 / neutral 20); labels must be in CLASSES.
    size: side of the square RGB images. images_per_baby: inclusive range of images per baby.
    """
    counts = dict(DEFAULT_COUNTS if counts is None else counts)
    bad = set(counts) - set(CLASSES)
    if bad:
        raise ValueError(f"unknown demo classes {sorted(bad)}; expected a subset of {CLASSES}")
    if any(int(n) < 0 for n in counts.values()):
        raise ValueError("counts must be non-negative")
    lo, hi = images_per_baby
    if not (1 <= lo <= hi):
        raise ValueError("images_per_baby must be (lo, hi) with 1 <= lo <= hi")
    if size < 16:
        raise ValueError("size must be at least 16")
    rng = np.random.default_rng(seed)
    plan = _assign_babies(counts, (lo, hi), rng)  # the seed's first draws: class_groups replays them
    n_babies = plan[-1][0] + 1 if plan else 0
    babies = [_sample_baby(rng, size * _SS) for _ in range(n_babies)]
    images = np.zeros((len(plan), size, size, 3), np.uint8)
    for i, (bi, lab) in enumerate(plan):
        images[i] = _render(babies[bi], _sample_expression(rng, lab), size, rng)
    return DemoSet(
        images=images,
        labels=np.array([lab for _, lab in plan], dtype=str),
        groups=np.array([f"baby{bi:03d}" for bi, _ in plan], dtype=str),
        ids=np.array([f"demo_{i:04d}" for i in range(len(plan))], dtype=str),
    )


def write_demo(
    out_dir: str | Path, counts: dict[str, int] | None = None, size: int = 64, seed: int = 0
) -> pd.DataFrame:
    """Write the demo set as lossless PNGs ``out_dir/<label>/<id>.png``.

    Returns a DataFrame (columns file, label, group; in id order) with ``file`` relative to
    out_dir in posix form.
    """
    from PIL import Image

    out_dir = Path(out_dir)
    demo = generate_demo(counts=counts, size=size, seed=seed)
    rows = []
    for img, lab, grp, iid in zip(demo.images, demo.labels, demo.groups, demo.ids):
        rel = Path(str(lab)) / f"{iid}.png"
        (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.ascontiguousarray(img)).save(out_dir / rel, format="PNG")
        rows.append({"file": rel.as_posix(), "label": str(lab), "group": str(grp)})
    return pd.DataFrame(rows, columns=["file", "label", "group"])


def save_sample_grid(path: str | Path, demo: DemoSet | None = None, per_class: int = 8, seed: int = 0) -> None:
    """Save a PNG grid: one row per class (name at the left), ``per_class`` random images each."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if demo is None:
        demo = generate_demo(seed=seed)
    rng = np.random.default_rng(seed)
    classes = [c for c in CLASSES if np.any(demo.labels == c)]
    classes += sorted(set(demo.labels.tolist()) - set(classes))
    fig = Figure(figsize=(1.2 + 1.35 * per_class, 0.4 + 1.45 * len(classes)), dpi=110)
    FigureCanvasAgg(fig)
    for r, c in enumerate(classes):
        idx = np.flatnonzero(demo.labels == c)
        pick = np.sort(rng.choice(idx, size=min(per_class, len(idx)), replace=False))
        for k in range(per_class):
            ax = fig.add_subplot(len(classes), per_class, r * per_class + k + 1)
            ax.set_xticks([])
            ax.set_yticks([])
            if k < len(pick):
                ax.imshow(demo.images[pick[k]], interpolation="nearest")
                ax.set_title(str(demo.groups[pick[k]]), fontsize=6, pad=2)
            else:
                ax.axis("off")
            if k == 0:
                ax.set_ylabel(f"{c} (n={len(idx)})", fontsize=9, rotation=0, ha="right", va="center")
    fig.suptitle("infantfer synthetic demo (cartoon; for testing mechanics only)", fontsize=9)
    w_in, h_in = fig.get_size_inches()
    fig.subplots_adjust(left=1.2 / w_in, right=0.99, bottom=0.02, top=1 - 0.4 / h_in, wspace=0.05, hspace=0.25)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")


if __name__ == "__main__":  # regenerate resources/demo_grid.png
    import sys

    save_sample_grid(sys.argv[1] if len(sys.argv) > 1 else "resources/demo_grid.png")
