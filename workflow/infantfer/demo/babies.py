"""Who the demo's babies are and what they show: identity parameters, expressions, and which
baby each image is of."""

from __future__ import annotations

import numpy as np

from .drawing import _mix

# Difficulty knobs (calibrated so the grouped AdaBoost macro F1 is ~0.65-0.85; see tests).
# The pose and noise knobs are in render.py.
_P_OTHER_CLASS = 0.2  # chance an image of a baby shows a class other than the baby's main one
_INTENSITY_MIN = 0.45  # expression intensity ~ U(_INTENSITY_MIN, 1) for cry/laugh; 0 = looks neutral

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
