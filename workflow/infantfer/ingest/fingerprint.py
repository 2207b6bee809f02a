"""A hash of a dataset's listing, so that Snakemake re-ingests when its files change."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd

from .layouts import list_images


def listing_fingerprint(ds: dict, listing: pd.DataFrame | None = None) -> str:
    """A hash of a dataset's files (path, size, modification time) and manifest, so that Snakemake
    re-ingests when images are added, removed or edited. The demo has none: it is drawn.
    ``listing``: :func:`list_images` of a listed layout, when the caller has it already."""
    if ds["layout"] == "demo":
        return "demo"
    if ds["layout"] == "pixels_csv":
        files = [ds["path"]]
    else:
        files = list((list_images(ds) if listing is None else listing)["path"])
    if ds.get("manifest"):
        files.append(ds["manifest"])
    h = hashlib.sha256()
    for f in sorted(files):
        st = Path(f).stat()
        # the name's own bytes: a name that is not UTF-8 hashes too (ingest skips it, naming it)
        h.update(os.fsencode(f) + f"\t{st.st_size}\t{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]
