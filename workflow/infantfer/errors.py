"""The errors every data problem (ingest, split) and configuration problem raises, the examples
their messages name, and names made safe to print."""

from __future__ import annotations


class DataError(ValueError):
    """A problem with the data itself, naming the files involved and the fix."""


class ConfigError(ValueError):
    """A configuration problem, with the key at fault and how to fix it."""

    def __init__(self, key: str, problem: str, fix: str):
        self.key = key
        super().__init__(f"config key '{key}': {problem}\n  Fix: {fix}")


def shown(text) -> str:
    """``text`` safe to print in a message or a log: invisible and control characters (U+200B, an
    ESC byte, a tab) become ``\\u200b``, ``\\x1b``, ``\\x09``, and the bytes of a file name that is
    not UTF-8 (a latin-1 ``café``, read by Python as surrogates) become ``\\xe9``. Nothing raw reaches
    a console, and two names that would print alike can be told apart."""
    out = []
    for ch in str(text):
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # a byte os.fsdecode could not decode (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "".join(out)


def code_points(text) -> str:
    """:func:`shown`, and every character beyond ASCII written as its code point (``café`` NFC:
    ``caf\\xe9``; NFD: ``cafe\\u0301``): two spellings that print alike, told apart."""
    return shown(text).encode("ascii", "backslashreplace").decode("ascii")


def undecodable(name: str) -> bool:
    """Whether a file name held bytes that are not UTF-8 (Python keeps them as surrogates)."""
    return any(0xDC80 <= ord(ch) <= 0xDCFF for ch in name)


def _examples(items, n: int = 3) -> str:
    items = [shown(i) for i in items]
    return ", ".join(items[:n]) + (f" (and {len(items) - n} more)" if len(items) > n else "")


# what a job's failure to write or read a file means to a user, and what to do about it
_FILE_ERRORS = {
    "ENOSPC": ("no space left on the device",
               "free space there (or move the project to a larger disk: a moved project reruns nothing, "
               "docs/reruns.md), then run snakemake again"),
    "EDQUOT": ("your disk quota is used up",
               "free space within your quota (or move the project to a disk with room: a moved project "
               "reruns nothing, docs/reruns.md), then run snakemake again"),
    "EROFS": ("the file system is read-only",
              "run the workflow where results/ and logs/ can be written (a copy of the project reruns "
              "nothing, docs/reruns.md)"),
    "ENOENT": ("no such file or folder: it was deleted or moved while the run went on",
               "leave results/ alone while snakemake runs, then run snakemake again: it re-creates what is missing"),
}


def file_error_message(error: BaseException) -> str | None:
    """``FILE: what happened (free: X). Fix: ...`` for an OSError of a full disk, a used-up quota,
    a read-only file system or a vanished file, else None. Whatever had been computed is kept:
    every result is written atomically, and a GAN resumes from its last checkpoint."""
    import errno
    import os
    import shutil

    if not isinstance(error, OSError) or error.errno is None:
        return None
    name = errno.errorcode.get(error.errno, "")
    if name not in _FILE_ERRORS:
        return None
    what, fix = _FILE_ERRORS[name]
    file = error.filename or "a file of this job"
    free = ""
    if name in ("ENOSPC", "EDQUOT") and error.filename:
        folder = os.path.dirname(os.path.abspath(os.fsdecode(error.filename)))
        while folder and not os.path.isdir(folder):
            folder = os.path.dirname(folder)
        try:
            free = f" (free: {shutil.disk_usage(folder).free / 2**20:,.1f} MiB)"
        except OSError:
            pass
    return (f"{shown(file)}: {what}{free}. Nothing finished is lost (every result is written whole or not at "
            f"all; a GAN resumes from its last checkpoint).\n  Fix: {fix}.")
