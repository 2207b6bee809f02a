"""The part of a file name a label (or any user-given text) becomes under ``results/``."""

from __future__ import annotations


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
