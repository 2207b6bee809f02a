"""The faces stage over a manifest: every image read, its largest face cropped, and a report row
for every image, kept or dropped."""

from __future__ import annotations

import logging
import os
import time

import numpy as np
import pandas as pd

from ..schema import defaults
from .bias import _found_shares, detector_bias
from .crop import crop_face, whole_image
from .detectors import make_detector
from .images import TooLarge, UnreadableImage, load_rgb

LOGGER_NAME = "infantfer.faces"
ON_NO_FACE = ("drop", "keep_whole")
STATUSES = ("ok", "no_face", "unreadable", "whole_image", "too_small", "too_large", "constant")
REPORT_COLUMNS = ["id", "path", "label", "status", "score", "reason"]
# Below this many pixels on the shorter side there is no face to find.
MIN_SIDE = 8
_FACES = defaults("faces")  # the keyword defaults: the schema's faces section


def extract_faces(manifest: pd.DataFrame, *, detector: str = _FACES["detector"], size: int = _FACES["size"],
                  margin: float = _FACES["margin"], align: bool = _FACES["align"], equalize: bool = _FACES["equalize"],
                  on_no_face: str = _FACES["on_no_face"], min_score: float = _FACES["min_score"], progress_every: int = 50,
                  logger: logging.Logger | None = None, max_pixels: int | None = None,
                  root: str | os.PathLike | None = None) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
    """Run the faces stage over ``manifest`` (columns ``id``, ``path``,
    ``label``, ``group``; others ignored).

    Returns ``(arrays, report)``: ``arrays`` = ``{"x": uint8 (N, size, size),
    "y", "group", "id": unicode arrays}`` for the kept images in manifest
    order; ``report`` has one row per manifest row with columns
    ``id, path, label, status, score, reason`` (paths as the manifest gives them: relative to the
    dataset's folder ``root``, where the images are read; default: the folder :func:`infantfer.ingest.ingest`
    noted in ``manifest.attrs``, else the paths as they are). ``max_pixels``: larger images
    are reported ``too_large`` without being decoded. A crop of one flat grey
    level is reported ``constant`` and dropped: there is no face in it.
    """
    log = logger or logging.getLogger(LOGGER_NAME)
    size = _checked_size(manifest, on_no_face, size, margin)
    det_name = str(detector).lower()
    det = make_detector(det_name, min_score=min_score)
    if align and det_name != "blazeface":
        log.info("faces: align ignored for detector %r (it gives no eye keypoints)", det_name)
    use_align = bool(align) and det_name == "blazeface"

    root = manifest.attrs.get("root") if root is None else root
    ids = manifest["id"].astype(str).tolist()
    paths = manifest["path"].astype(str).tolist()
    labels = manifest["label"].astype(str).tolist()
    groups = manifest["group"].astype(str).tolist()
    n = len(ids)

    xs, keep = [], []
    rows = []
    t0 = time.perf_counter()
    for i in range(n):
        full = os.path.join(root, paths[i]) if root is not None else paths[i]
        status, score, reason, face = _process_one(
            full, det, det_name, size, margin, use_align, equalize, on_no_face, max_pixels)
        reason = reason.replace(full, paths[i])  # the report names files as the manifest does
        rows.append((ids[i], paths[i], labels[i], status, score, reason))
        if face is not None:
            xs.append(face)
            keep.append(i)
        _log_progress(log, i + 1, n, t0, progress_every)

    report = pd.DataFrame(rows, columns=REPORT_COLUMNS)
    report["score"] = report["score"].astype(float)
    keep_idx = np.asarray(keep, dtype=np.intp)
    arrays = {
        "x": np.stack(xs).astype(np.uint8) if xs else np.zeros((0, size, size), np.uint8),
        "y": _str_array([labels[i] for i in keep_idx]),
        "group": _str_array([groups[i] for i in keep_idx]),
        "id": _str_array([ids[i] for i in keep_idx]),
    }
    _log_summary(log, report, len(keep), n, det_name)
    return arrays, report


def _checked_size(manifest: pd.DataFrame, on_no_face: str, size, margin) -> int:
    """``size`` as an int, after checking the manifest's columns and the settings."""
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
    return size


def _log_progress(log: logging.Logger, done: int, n: int, t0: float, progress_every: int) -> None:
    if progress_every and (done % progress_every == 0 or done == n):
        el = time.perf_counter() - t0
        rate = done / el if el > 0 else float("inf")
        eta = (n - done) / rate if rate > 0 else float("nan")
        log.info("faces: %d/%d images (%.1f%%), %.1f img/s, ETA %.1f s",
                 done, n, 100.0 * done / n, rate, eta)


def _log_summary(log: logging.Logger, report: pd.DataFrame, kept: int, n: int, det_name: str) -> None:
    counts = report["status"].value_counts()
    log.info("faces: kept %d/%d images (%s) with detector %r",
             kept, n, ", ".join(f"{k} {int(v)}" for k, v in counts.items()), det_name)
    if det_name != "none":
        log.info("faces: share of faces found per class: %s", _found_shares(report))
        for w in detector_bias(report):
            log.warning("faces: %s", w)


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
