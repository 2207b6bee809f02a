"""A hash of what a dataset holds, so that Snakemake re-ingests when its files change, and only then.

The fingerprint is of each file's name inside the dataset (the listing's ``source``: its path
relative to the dataset's folder, or the manifest's row), its size and its content (sha256), and of
the manifest's or pixel CSV's content. No absolute path and no modification time enters it: a
project copied or moved elsewhere (``cp -a``, ``rsync -a``, a fresh clone beside the old results),
or a config pointed at the same files in another folder, re-ingests nothing.

Hashing every file at every ``snakemake`` start would read the whole dataset each time: the hashes
are cached (:class:`FileHashes`, in ``.snakemake/infantfer/file_hashes.json``) under each file's
absolute path, size and modification time, so a file is read again only when one of those changes.
The cache may hold absolute paths and times; the fingerprint never does.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pandas as pd

from .layouts import LAYOUTS, list_images

CACHE_FORMAT = 1


def _sha256(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class FileHashes:
    """sha256 of files, cached in ``cache`` (a JSON file; None: no cache) under each file's
    absolute path, size and modification time (ns)."""

    def __init__(self, cache: str | os.PathLike | None = None):
        self.cache = Path(cache) if cache else None
        self._known: dict[str, list] = {}
        self._new = False
        if self.cache and self.cache.is_file():
            try:
                stored = json.loads(self.cache.read_text())
                if stored.get("format") == CACHE_FORMAT:
                    self._known = dict(stored["files"])
            except (ValueError, TypeError, KeyError, AttributeError):
                self._known = {}  # unreadable: hash afresh and rewrite it

    def sha256(self, path: str | os.PathLike) -> tuple[int, str]:
        """(size, sha256) of a file."""
        st = os.stat(path)
        key = os.fsencode(os.path.abspath(path)).decode("utf-8", "surrogateescape")
        known = self._known.get(key)
        if known and known[0] == st.st_size and known[1] == st.st_mtime_ns:
            return st.st_size, known[2]
        digest = _sha256(path)
        self._known[key] = [st.st_size, st.st_mtime_ns, digest]
        self._new = True
        return st.st_size, digest

    def save(self) -> None:
        """Write the cache if a file was hashed (atomically: snakemake runs may start together)."""
        if self.cache and self._new:
            from ..io.atomic import write_text

            # surrogates (names that are not UTF-8) are kept as their escapes
            write_text(self.cache, json.dumps({"format": CACHE_FORMAT, "files": self._known}, ensure_ascii=True))
            self._new = False


def content_hashes(ds: dict, listing: pd.DataFrame | None, hashes: FileHashes) -> set[str]:
    """The sha256 of each image file of a listed layout (empty for layouts that write their images:
    those are known only after ingest)."""
    if LAYOUTS[ds["layout"]].writes_images:
        return set()
    table = list_images(ds) if listing is None else listing
    return {hashes.sha256(path)[1] for path in table["path"]}


def listing_fingerprint(ds: dict, listing: pd.DataFrame | None = None, hashes: FileHashes | None = None) -> str:
    """A hash of a dataset's files (each one's name inside the dataset, size and content) and of
    its manifest or pixel CSV, so that Snakemake re-ingests when images are added, removed,
    renamed or edited, never when the dataset moves. The demo has none: it is drawn from its
    settings. ``listing``: :func:`list_images` of a listed layout, when the caller has it already;
    ``hashes``: a :class:`FileHashes` with its cache."""
    layout = LAYOUTS[ds["layout"]]
    if layout.path is None:
        return ds["layout"]
    hashes = hashes or FileHashes()
    named: list[tuple[str, str]] = []  # (name inside the dataset, path to read)
    if layout.writes_images:  # pixels_csv: the images are written from the CSV by ingest
        named.append(("<pixels csv>", ds["path"]))
    else:
        table = list_images(ds) if listing is None else listing
        named += [(f"file:{source}", path) for source, path in zip(table["source"], table["path"])]
    if ds.get("manifest"):
        named.append(("<manifest>", ds["manifest"]))
    h = hashlib.sha256()
    for name, path in sorted(named):
        size, digest = hashes.sha256(path)
        # the name's own bytes: a name that is not UTF-8 hashes too (ingest skips it, naming it)
        h.update(os.fsencode(name) + f"\t{size}\t{digest}\n".encode())
    return h.hexdigest()[:16]
