"""The workflow's interface files, read and written in one place.

Every file a job hands to another job goes through here: ``faces.npz``, training sets (``*.npz``
with x, y, id, source and checkpoint), and the TSV tables. Every write is atomic (a temporary file
in the same folder, fsync, rename), so a job killed mid-write never leaves a half file that a
rerun would trust.

:func:`atomic_path` uses only the standard library, so the torch-and-numpy-only GAN code can use
it too; numpy and pandas are imported where a function needs them, which keeps ``import
infantfer.io`` light.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

# Columns read as strings whatever they hold: ids, labels and class names ("0", "NA", "1e3") must
# never turn into numbers or NaN.
STRING_COLUMNS = {c: str for c in ("id", "label", "class", "y_true", "y_pred", "true", "pred", "group",
                                   "sha256", "source", "arm", "base", "file", "dataset", "classifier",
                                   "baseline", "metric", "step", "verdict", "note")}


def path_part(text: str) -> str:
    """The part of a file name a label (or any user-given text) becomes under ``results/``.

    Letters and digits of any script, ``-`` and ``_`` are kept; every other run of characters (a
    space, ``/``, ``..``, ``:``) becomes one ``_``; leading and trailing dots and underscores go. What is left
    empty becomes ``_`` plus a short hash of the text. The text itself stays verbatim in the tables:
    only file names use this, and two texts with the same part are an error where labels are read
    (:func:`infantfer.ingest.check_labels`).
    """
    import hashlib
    import re
    import unicodedata

    normal = unicodedata.normalize("NFC", str(text))
    part = re.sub(r"[^\w-]+", "_", normal).strip("._")
    return part[:100] if part else "_" + hashlib.sha1(normal.encode()).hexdigest()[:8]


def _new_file_beside(path: Path) -> str:
    """An empty file of a fresh name beside ``path``, created with mode 0666 so that the umask
    decides who may read it (``mkstemp`` would make every result 0600: colleagues could not read
    the balanced set's manifest)."""
    import secrets

    for _ in range(100):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return str(tmp)
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is fsynced and renamed onto ``path``,
    on failure removed. The parent folder is created."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _new_file_beside(path)
    try:
        yield Path(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


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


def write_tsv(table: "pd.DataFrame", path: str | os.PathLike, **kwargs) -> None:
    """A table as TSV without its index, atomically."""
    with atomic_path(path) as tmp:
        table.to_csv(tmp, sep="\t", index=False, **kwargs)


def write_text(path: str | os.PathLike, text: str) -> None:
    """A text file (the report's RST, HTML and Markdown pages) as UTF-8, atomically."""
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")


def read_tsv(path: str | os.PathLike, **kwargs) -> "pd.DataFrame":
    """A TSV table; id, label and class columns stay strings, empty cells stay empty strings."""
    import pandas as pd

    return pd.read_csv(path, sep="\t", dtype=STRING_COLUMNS, keep_default_na=False, **kwargs)


def read_metrics(path: str | os.PathLike) -> "pd.DataFrame":
    """A metrics table: names stay text whatever they look like ("NA", "01"); empty or NaN
    metrics (a fold missing a class) are NaN."""
    import pandas as pd

    table = read_tsv(path)
    for column in ("repeat", "fold"):
        table[column] = pd.to_numeric(table[column])
    from .method import METRICS

    for column in METRICS:
        table[column] = pd.to_numeric(table[column].replace("", "nan"), errors="coerce")
    return table


def read_numeric_tsv(path: str | os.PathLike) -> "pd.DataFrame":
    """A table of numbers beside names (statistics.tsv, thesis_claim.tsv, ...): the columns of
    STRING_COLUMNS stay text, every other column whose cells are all numbers or empty becomes
    numeric, with empty cells NaN."""
    import pandas as pd

    table = read_tsv(path)
    for column in table.columns:
        if column in STRING_COLUMNS or table[column].dtype == bool:
            continue
        filled = table[column] != ""
        converted = pd.to_numeric(table[column].where(filled), errors="coerce")
        if converted.notna().sum() == filled.sum():
            table[column] = converted
    return table


def as_bool(values) -> "pd.Series":
    """A table's True/False column as booleans, whether pandas read it as bool or as text
    (a column with an empty cell stays text); anything else is an error, never truthy."""
    import pandas as pd

    series = pd.Series(values)
    mapped = series.map({True: True, False: False, "True": True, "False": False})
    if mapped.isna().any():
        raise ValueError(f"not a True/False column: {sorted(set(series[mapped.isna()].astype(str)))[:3]}")
    return mapped.astype(bool)


def concat_tsv(paths, out: str | os.PathLike) -> "pd.DataFrame":
    """Concatenate TSV tables with the same columns into one."""
    import pandas as pd

    table = pd.concat([read_tsv(p) for p in paths], ignore_index=True)
    write_tsv(table, out)
    return table


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
