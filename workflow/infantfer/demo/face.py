"""The face parts (head, hair, eyes, brows, mouth, tears, pacifier) and :func:`_draw_face`, which
draws one face upright and centred at high resolution."""

from __future__ import annotations

import cv2
import numpy as np

from .drawing import _blend, _curve, _ellipse, _mix, _poly, _shade


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
