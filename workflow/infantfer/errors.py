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
