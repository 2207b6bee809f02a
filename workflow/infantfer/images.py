"""Greyscale image batches as the gate (:mod:`infantfer.gate`) and the privacy audit
(:mod:`infantfer.privacy`) take them: checked once, as uint8, so that both measure exactly the
images that would be added to a fold. And :func:`pil_bomb_check_off`, for the two stages that open
image files with a pixel budget of their own (ingest.max_pixels)."""

from __future__ import annotations

import contextlib

import numpy as np

__all__ = ["as_images", "flat", "pil_bomb_check_off"]


@contextlib.contextmanager
def pil_bomb_check_off():
    """While open, PIL's own decompression-bomb check is off: it would stop an image above 179
    million pixels at ``Image.open`` as an error ("unreadable") and warn about one above 89 million.
    Only for reading a header: ingest records the size, faces compares it with ingest.max_pixels
    before decoding and reports too_large."""
    from PIL import Image

    before = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = before


EMPTY = ("error", "keep", "zeros")  # what as_images does with a batch of no images


def as_images(x, name: str, shape: tuple[int, int] | None = None, empty: str = "error") -> np.ndarray:
    """uint8 (n, H, W). Other numbers are rounded and clipped to 0-255 (a generator's output).

    shape: the (H, W) the images must have (the real training images'). empty: "error" (no
    images raise), "keep" (an (0, H, W) array passes, whatever H and W) or "zeros" (any empty
    array becomes uint8 (0, *shape)).
    """
    if empty not in EMPTY:
        raise ValueError(f"empty must be one of {EMPTY}; got {empty!r}")
    x = np.asarray(x)
    if empty == "zeros" and x.ndim >= 1 and len(x) == 0:
        return np.zeros((0, *(shape or (0, 0))), np.uint8)
    if x.ndim != 3:
        raise ValueError(f"{name} must be greyscale images (n, H, W); got shape {x.shape}")
    if empty == "error" and len(x) == 0:
        raise ValueError(f"{name} holds no images (shape {x.shape})")
    if shape is not None and len(x) and tuple(x.shape[1:]) != tuple(shape):
        raise ValueError(f"{name} images are {tuple(x.shape[1:])}, the real training images are {tuple(shape)}")
    if x.dtype != np.uint8:
        f = x.astype(np.float64)
        if f.size and f.min() >= 0 and f.max() <= 1 and np.any(f != np.rint(f)):
            # rounding [0, 1] floats to grey levels would give black images (and no copies)
            raise ValueError(f"{name} looks scaled to [0, 1]; pass grey levels 0-255")
        x = np.clip(np.rint(f), 0, 255).astype(np.uint8)
    return x


def flat(x: np.ndarray) -> np.ndarray:
    """(n, H * W) float64 rows of pixels."""
    return x.reshape(len(x), -1).astype(np.float64)
