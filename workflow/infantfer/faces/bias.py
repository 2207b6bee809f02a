"""Whether the detector loses one class's images more than the others'."""

from __future__ import annotations

import pandas as pd


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

