"""What ingest records of each file: its sha256, its size and mode from the header alone, its id."""

from __future__ import annotations

import hashlib
import logging

from PIL import Image, UnidentifiedImageError

from ..errors import shown
from ..images import pil_bomb_check_off

# the stage's one logger: every line keeps the name infantfer.ingest
log = logging.getLogger(__package__)


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


EXIF_ORIENTATION = 0x0112
SWAPPED_ORIENTATIONS = {5, 6, 7, 8}  # rotated a quarter turn: width and height trade places


def _describe(path: str | Path, shown_as: str | None = None) -> tuple[float, float, str, int]:
    """Width, height (as the image is meant to be seen), mode and number of frames, from the headers
    alone: nothing is decoded here, so a decompression bomb costs nothing (the faces stage applies
    ingest.max_pixels and reports it too_large). ``shown_as``: the name a log line gives it."""
    try:
        # PIL's own bomb check off: it would call a 14000 x 14000 header "unreadable"
        with pil_bomb_check_off(), Image.open(path) as im:
            width, height = im.size
            # PNG's getexif() decodes the image to look for an eXIf chunk after the pixels: ask only
            # where the header holds the EXIF (JPEG's APP1, a PNG eXIf chunk before the pixels, TIFF)
            header_exif = "exif" in im.info or im.format == "TIFF"
            if header_exif and im.getexif().get(EXIF_ORIENTATION) in SWAPPED_ORIENTATIONS:
                width, height = height, width
            return float(width), float(height), im.mode, int(getattr(im, "n_frames", 1) or 1)
    except (UnidentifiedImageError, OSError, ValueError, EOFError) as exc:
        log.warning("unreadable image %s (%s); faces will report it", shown(shown_as or path), exc.__class__.__name__)
        return float("nan"), float("nan"), "unreadable", 1


def stable_id(dataset: str, location: str) -> str:
    """An image's id from its place in the dataset (the manifest's ``source`` column)."""
    return f"{dataset}-{hashlib.sha1(location.encode('utf-8', 'surrogateescape')).hexdigest()[:12]}"
