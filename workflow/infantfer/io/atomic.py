"""Atomic writes: a temporary file beside the target, fsync, rename. Standard library only."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator


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
    except BaseException as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(err, OSError) and err.errno is not None and not err.filename:
            # a write that failed (a full disk) names no file: name the one being written
            raise OSError(err.errno, os.strerror(err.errno), str(path)) from err
        raise


def write_text(path: str | os.PathLike, text: str) -> None:
    """A text file (the report's RST, HTML and Markdown pages) as UTF-8, atomically."""
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
