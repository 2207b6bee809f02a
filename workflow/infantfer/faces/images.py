"""Reading an image file as RGB pixels, EXIF orientation applied, whatever its mode."""

from __future__ import annotations

import contextlib
import os

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..images import pil_bomb_check_off


class UnreadableImage(Exception):
    """The file could not be opened or decoded as an image."""


class TooLarge(Exception):
    """The image has more pixels than the budget (ingest.max_pixels); it was not decoded."""


def load_rgb(path: str | os.PathLike, max_pixels: int | None = None) -> np.ndarray:
    """Read an image as an RGB uint8 array (H, W, 3), EXIF orientation applied.

    Handles greyscale, palette, alpha (composited over white, as viewers show
    it), CMYK and 16-bit/float images (rescaled, not clipped).  Raises
    :class:`UnreadableImage` for anything that cannot be decoded, and
    :class:`TooLarge`, before decoding, for more than ``max_pixels`` pixels (or,
    without ``max_pixels``, more than PIL's decompression-bomb limit).
    """
    try:
        # with a budget of our own, PIL's (an error at 179 million pixels) must not come first
        with (pil_bomb_check_off() if max_pixels is not None else contextlib.nullcontext()), Image.open(path) as im:
            if max_pixels is not None and im.width * im.height > max_pixels:
                raise TooLarge(f"{im.width} x {im.height} = {im.width * im.height:,} pixels, more than "
                               f"ingest.max_pixels = {max_pixels:,}; not decoded. Fix: if the image is meant to "
                               f"be read, raise ingest.max_pixels to {im.width * im.height:,} (memory: about "
                               f"{3 * im.width * im.height / 1e9:.1f} GB), or shrink the file")
            im = ImageOps.exif_transpose(im)  # also forces the decode
            im.load()
            return _pil_to_rgb(im)
    except (UnreadableImage, TooLarge):
        raise
    except Image.DecompressionBombError as e:
        raise TooLarge(f"{str(e).rstrip('.')}; not decoded. Fix: set ingest.max_pixels to the pixels it gives, or shrink the file") from e
    except FileNotFoundError as e:
        raise UnreadableImage(f"file not found: {path}") from e
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as e:
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
