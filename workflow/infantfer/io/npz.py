"""npz files: ``faces.npz`` (x uint8 (N, S, S), y, group, id) and training sets (x, y, id, source,
checkpoint), written atomically and read without pickles; a damaged one is named with its fix."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .atomic import atomic_path

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np


def write_npz(path: str | os.PathLike, arrays: dict) -> None:
    """``np.savez_compressed`` of ``arrays`` at exactly ``path`` (no ``.npz`` appended), atomically.
    Object arrays become fixed-width strings, so the file loads with ``allow_pickle=False``."""
    import numpy as np

    clean = {}
    for k, v in arrays.items():
        a = np.asarray(v)
        clean[k] = a.astype(str) if a.dtype == object else a
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, **clean)


class DamagedFile(ValueError):
    """A result file that cannot be read back (cut short by a full disk, a copy or a crash outside
    the atomic write), named with how to re-create it."""


# which rule writes the npz files other jobs read, for the fix a damaged one's message gives
NPZ_WRITERS = {"faces.npz": "faces", "train.npz": "augment", "resampled": "resample"}


def _writer_of(path: Path) -> str:
    for part in (path.name, *path.parts):
        if part in NPZ_WRITERS:
            return NPZ_WRITERS[part]
    return ""


def read_npz(path: str | os.PathLike) -> dict:
    """Every array of an npz file (``allow_pickle=False``); a damaged file raises
    :class:`DamagedFile` naming it and the job that re-creates it."""
    import zipfile
    import zlib

    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (zipfile.BadZipFile, EOFError, zlib.error, ValueError, OSError) as err:
        if isinstance(err, FileNotFoundError):
            raise
        rule = _writer_of(Path(path))
        rerun = f" (rule {rule} writes it)" if rule else ""
        raise DamagedFile(f"{path} cannot be read ({type(err).__name__}: {err}): it was cut short or changed after "
                          f"it was written.\n  Fix: delete it and run snakemake again{rerun}; the jobs after it "
                          "rerun too, everything before it is kept.") from None


# faces.npz: x uint8 (N, S, S), y, group, id
write_faces_npz = write_npz
read_faces_npz = read_npz


@dataclass
class TrainingSet:
    """A training set: images (N, S, S) uint8, labels, ids, each row's source (``real``,
    ``smote``, ``adasyn``, ``random_over``, ``borderline_smote``, ``cgan``), the GAN checkpoint
    of generated rows (-1 otherwise), and the real images' groups where known."""

    x: "np.ndarray"
    y: "np.ndarray"
    id: "np.ndarray"
    source: "np.ndarray"
    checkpoint: "np.ndarray | None" = None
    group: "np.ndarray | None" = None  # real images' groups (babies), for the gate's grouped recall

    def arrays(self) -> dict:
        import numpy as np

        out = {"x": self.x, "y": self.y, "id": self.id, "source": self.source}
        out["checkpoint"] = self.checkpoint if self.checkpoint is not None else np.full(len(self.y), -1)
        return out

    def save(self, path: str | os.PathLike) -> None:
        write_npz(path, self.arrays())

    @classmethod
    def load(cls, path: str | os.PathLike) -> "TrainingSet":
        a = read_npz(path)
        return cls(a["x"], a["y"], a["id"], a["source"], a.get("checkpoint"))
